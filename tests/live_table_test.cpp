// `rtlat live`'s terminal table (examples/cli/live_table.hpp) on hand-made results: the verdict
// kind of each task's worst latency, the order, the highlight and the width limit.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "cli/live_table.hpp"

namespace {

rtlat::TaskResult task(rtlat::Pid pid, const char* comm, std::int64_t lat_max,
                       std::optional<rtlat::VerdictKind> why, std::uint64_t violations) {
  rtlat::TaskResult t;
  t.pid = pid;
  t.comm = comm;
  rtlat::MetricResult& lat = t.metrics[static_cast<std::size_t>(rtlat::Metric::latency)];
  lat.count = 3;
  lat.min_ns = lat.p50_ns = lat.p99_ns = 1000;
  lat.max_ns = lat_max;
  lat.violations = violations;
  lat.worst.emplace();
  if (why) {
    lat.worst->verdict.emplace();
    lat.worst->verdict->kind = *why;
  }
  return t;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream is(s);
  for (std::string l; std::getline(is, l);) out.push_back(l);
  return out;
}

rtlat::Results two_tasks() {
  rtlat::Results r;
  r.tasks.push_back(task(10, "quiet", 5000, std::nullopt, 0));
  r.tasks.push_back(task(20, "ctl-loop", 2'280'000, rtlat::VerdictKind::higher_priority, 2));
  r.tasks.push_back(task(30, "worker", 40'000, rtlat::VerdictKind::priority_inversion, 0));
  return r;
}

TEST(LiveTable, EachTaskSaysWhyItsWorstLatencyWasLate) {
  const std::vector<std::string> l = lines_of(rtlat_cli::live_table(two_tasks(), "head", 10, 200));
  ASSERT_EQ(l.size(), 6u);
  EXPECT_EQ(l[0], "head");
  EXPECT_EQ(l[1], "");
  EXPECT_EQ(l[2],
            "     PID COMM              WAKEUPS   LAT p50   LAT p99   LAT max LAT WHY            "
            " RESP max RELIEF max   VIOL");
  // Worst first; a task with violations in reverse video.
  EXPECT_EQ(l[3],
            "\x1b[7m      20 ctl-loop                3     1.0us     1.0us    2.28ms "
            "higher_priority            -         -      2\x1b[0m");
  EXPECT_EQ(l[4],
            "      30 worker                  3     1.0us     1.0us    40.0us "
            "priority_inversion         -         -      0");
  EXPECT_EQ(l[5],
            "      10 quiet                   3     1.0us     1.0us     5.0us "
            "-                          -         -      0");
}

TEST(LiveTable, LinesAreCutToTheTerminalWidth) {
  const std::vector<std::string> l =
      lines_of(rtlat_cli::live_table(two_tasks(), std::string(120, 'h'), 2, 84));
  ASSERT_EQ(l.size(), 5u);  // --top / the screen's rows: two tasks
  EXPECT_EQ(l[0], std::string(84, 'h'));
  EXPECT_EQ(l[2].size(), 84u);
  // The highlight's escapes are around the cut line, not counted in it.
  EXPECT_EQ(l[3].substr(0, 4), "\x1b[7m");
  EXPECT_EQ(l[3].size(), 4u + 84u + 4u);
  EXPECT_EQ(l[4].size(), 84u);
  // 84 columns still show why the worst latency was late; the response and relief are cut.
  EXPECT_EQ(l[4].substr(64, 20), " priority_inversion ");
}

}  // namespace
