// Bounded memory (Config::max_finished_tasks): finished tasks folded into per-comm groups lose
// no sample, keep the true worst values, and the engine's memory stays bounded however many
// tasks come and go.
#include <gtest/gtest.h>

#include <rtlat/report/csv.hpp>
#include <rtlat/report/json.hpp>
#include <rtlat/report/ranking.hpp>
#include <rtlat/report/text.hpp>
#include <rtlat/rtlat.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "event_builder.hpp"
#include "support/fork_stream.hpp"

namespace rtlat::test {
namespace {

using namespace std::chrono_literals;
using namespace rtlat::soak;

Config fold_config(std::optional<std::size_t> bound) {
  Config cfg;
  cfg.slo(Metric::latency) = std::chrono::nanoseconds(slo_latency_ns);
  cfg.max_finished_tasks = bound;
  return cfg;
}

// Per comm, the listed tasks' and folded groups' metrics summed: what a reader of the report
// can add up.
std::map<std::string, std::array<Truth, 2>> reported(const Results& r) {
  std::map<std::string, std::array<Truth, 2>> out;
  auto take = [&](const std::string& comm, const std::array<MetricResult, metric_count>& ms) {
    const std::array<Metric, 2> which = {Metric::latency, Metric::response};
    for (std::size_t k = 0; k < 2; ++k) {
      const MetricResult& m = ms[static_cast<std::size_t>(which[k])];
      if (m.count == 0) continue;
      Truth& t = out[comm][k];
      t.count += m.count;
      t.min = std::min(t.min, *m.min_ns);
      t.max = std::max(t.max, *m.max_ns);
      t.violations += m.violations;
    }
  };
  for (const TaskResult& t : r.tasks) take(t.comm, t.metrics);
  for (const FoldedGroup& g : r.folded) take(g.comm, g.metrics);
  return out;
}

void expect_matches(const std::map<std::string, std::array<Truth, 2>>& got,
                    const std::map<std::string, std::array<Truth, 2>>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [comm, w] : want) {
    const auto it = got.find(comm);
    ASSERT_NE(it, got.end()) << comm;
    for (std::size_t k = 0; k < 2; ++k) {
      EXPECT_EQ(it->second[k].count, w[k].count) << comm << " metric " << k;
      EXPECT_EQ(it->second[k].min, w[k].min) << comm << " metric " << k;
      EXPECT_EQ(it->second[k].max, w[k].max) << comm << " metric " << k;
      EXPECT_EQ(it->second[k].violations, w[k].violations) << comm << " metric " << k;
    }
  }
}

TEST(Fold, NoBoundListsEveryTask) {
  Analyzer a(fold_config(std::nullopt));
  StreamTruth truth;
  ForkStream s(5000, 4321);
  s.run([&](const Event& e) { a.feed(e); }, [] {}, truth);
  const Results r = a.results();
  EXPECT_TRUE(r.folded.empty());
  std::size_t jobs = 0;
  for (const TaskResult& t : r.tasks) jobs += t.comm.rfind("job", 0) == 0 ? 1 : 0;
  EXPECT_EQ(jobs, 5000u);
  expect_matches(reported(r), truth.per_comm());
  EXPECT_EQ(a.memory().folded_tasks, 0u);
  EXPECT_EQ(a.memory().free, 0u);
}

TEST(Fold, BoundKeepsTheMostRecentlyFinishedAndFoldsTheRest) {
  Analyzer a(fold_config(100));
  StreamTruth truth;
  ForkStream s(5000, 4321);
  s.run([&](const Event& e) { a.feed(e); }, [] {}, truth);
  const Results r = a.results();
  std::vector<const TaskResult*> jobs;
  for (const TaskResult& t : r.tasks)
    if (t.comm.rfind("job", 0) == 0) jobs.push_back(&t);
  ASSERT_EQ(jobs.size(), 100u);
  // The last 100 tasks, first seen first: tasks 4900..4999.
  for (std::size_t k = 0; k < jobs.size(); ++k) {
    EXPECT_EQ(jobs[k]->pid, first_pid + static_cast<Pid>(4900 + k));
    EXPECT_TRUE(jobs[k]->exited);
  }
  ASSERT_EQ(r.folded.size(), static_cast<std::size_t>(comms));
  std::uint64_t folded = 0;
  for (const FoldedGroup& g : r.folded) folded += g.tasks;
  EXPECT_EQ(folded, 4900u);
  EXPECT_EQ(r.folded[0].comm, "job0");  // groups in the order first folded
  EXPECT_EQ(r.folded[0].tasks, 4900u / comms + 1);
  expect_matches(reported(r), truth.per_comm());
  // The worst window moved with its samples: task 4321 (job33) was folded.
  const FoldedGroup* g = nullptr;
  for (const FoldedGroup& x : r.folded)
    if (x.comm == "job" + std::to_string(4321 % comms)) g = &x;
  ASSERT_NE(g, nullptr);
  const MetricResult& lat = (*g)[Metric::latency];
  EXPECT_EQ(lat.max_ns, 3'000'000);
  ASSERT_TRUE(lat.worst.has_value());
  EXPECT_EQ(lat.worst->end_ns - lat.worst->start_ns, 3'000'000);
  ASSERT_TRUE(lat.worst->verdict.has_value());
  // Percentiles come from the merged histogram: p999 of ~77 tasks' 154 samples is the max.
  EXPECT_EQ(lat.p999_ns, 3'000'000);
  std::uint64_t bins = 0;
  for (const HistogramBin& b : lat.histogram) bins += b.count;
  EXPECT_EQ(bins, lat.count);
  const EngineMemory m = a.memory();
  EXPECT_EQ(m.folded_tasks, 4900u);
  EXPECT_EQ(m.folded_groups, static_cast<std::size_t>(comms));
  EXPECT_EQ(m.finished, 100u);
  // Entries are recycled: the bound, the spawners and the one task in flight.
  EXPECT_LE(m.entries, 100u + cpus + 2);
}

TEST(Fold, BoundZeroFoldsEveryFinishedTask) {
  Analyzer a(fold_config(0));
  StreamTruth truth;
  ForkStream s(1000, 10);
  s.run([&](const Event& e) { a.feed(e); }, [] {}, truth);
  const Results r = a.results();
  for (const TaskResult& t : r.tasks) EXPECT_EQ(t.comm, "spawner");
  expect_matches(reported(r), truth.per_comm());
  EXPECT_LE(a.memory().entries, static_cast<std::size_t>(cpus) + 2);
}

// Tasks of ever new comms: past max_fold_groups - 1 comms, the rest share one group, so the
// groups stay bounded too; every sample is still in a group.
TEST(Fold, GroupsAreBoundedWhenEveryTaskHasItsOwnComm) {
  Analyzer a(fold_config(0));
  const std::size_t tasks = detail::max_fold_groups + 44;
  Timestamp ts = 1000;
  a.feed(Event::make_switch(ts, 0, 0, 0, "swapper", 120, PrevState::preempted, 0x100, 10, "spawner",
                            120));
  for (std::size_t i = 0; i < tasks; ++i) {
    const Pid p = 100 + static_cast<Pid>(i);
    const std::string comm = "w" + std::to_string(i);
    a.feed(Event::make_fork(ts += 100, 0, 10, 10, p, comm));
    a.feed(Event::make_wakeup(EventKind::sched_wakeup_new, ts += 10, 0, 10, p, comm, 120, 0));
    a.feed(Event::make_switch(ts += 1000 + static_cast<Timestamp>(i), 0, 10, 10, "spawner", 120,
                              PrevState::preempted, 0x100, p, comm, 120));
    a.feed(Event::make_exit(ts += 50, 0, p, p, comm, 120));
    a.feed(Event::make_switch(ts += 20, 0, p, p, comm, 120, PrevState::dead, 0x80, 10, "spawner",
                              120));
  }
  const Results r = a.results();
  ASSERT_EQ(r.folded.size(), detail::max_fold_groups);
  std::uint64_t folded = 0, samples = 0;
  for (const FoldedGroup& g : r.folded) {
    folded += g.tasks;
    samples += g[Metric::latency].count;
  }
  EXPECT_EQ(folded, tasks);
  EXPECT_EQ(samples, tasks);
  const FoldedGroup& other = r.folded.back();
  EXPECT_EQ(other.comm, detail::other_comm);
  EXPECT_EQ(other.tasks, tasks - (detail::max_fold_groups - 1));
  EXPECT_EQ(other[Metric::latency].max_ns, 1000 + static_cast<std::int64_t>(tasks - 1));
  EXPECT_EQ(r.folded.front().comm, "w0");
}

TEST(Fold, ReportsShowTheGroups) {
  Analyzer a(fold_config(2));
  StreamTruth truth;
  ForkStream s(10, 3);
  s.run([&](const Event& e) { a.feed(e); }, [] {}, truth);
  const Results r = a.results();
  ASSERT_EQ(r.folded.size(), 8u);  // tasks 0..7 folded, 8 and 9 listed
  std::ostringstream text, json, csv;
  write_text(text, r);
  write_json(json, r);
  write_csv(csv, r);
  EXPECT_NE(text.str().find("folded: 8 finished tasks in 8 groups by comm"), std::string::npos);
  EXPECT_NE(text.str().find("=== folded: job3  1 task ="), std::string::npos) << text.str();
  EXPECT_NE(json.str().find("\"folded\": [\n  {\"comm\": \"job0\", \"tasks\": 1, "),
            std::string::npos)
      << json.str();
  EXPECT_NE(csv.str().find(",violations,tasks\n"), std::string::npos);
  EXPECT_NE(csv.str().find(",,\"job3\",latency,2,"), std::string::npos) << csv.str();
  Results top = r;
  keep_top(top, 1);
  ASSERT_EQ(top.folded.size(), 1u);
  EXPECT_EQ(top.folded[0].comm, "job3");  // the group holding the worst value
}

// The soak test's size: the full 20 M events where the build is optimised, a tenth of it in a
// sanitized or unoptimised build, where the full stream takes minutes. The full size always
// runs too: tests/CMakeLists.txt builds fold_soak_full optimised and without sanitizers.
#if defined(__SANITIZE_ADDRESS__) || !defined(__OPTIMIZE__)
constexpr std::uint64_t soak_tasks = 200'000;
#else
constexpr std::uint64_t soak_tasks = 2'000'000;
#endif

// 20 M events, 2 M short-lived tasks (pid reuse throughout): the engine's memory stays under a
// fixed bound from the first million events on, every sample is in a task or a group, and the
// worst values are the true ones. RTLAT_SOAK_TASKS sets the number of tasks (10 events each).
TEST(FoldSoak, TwentyMillionEventsStayBounded) {
  std::uint64_t tasks = soak_tasks;
  if (const char* env = std::getenv("RTLAT_SOAK_TASKS")) tasks = std::strtoull(env, nullptr, 10);
  constexpr std::size_t bound = 1024;
  // The bound's entries and what they hold, the 64 groups' histograms and windows, the pid
  // table: a few MB, fixed by the configuration, not by the tasks seen.
  constexpr std::size_t byte_bound = 8u << 20;
  Analyzer a(fold_config(bound));
  std::uint64_t samples = 0;
  a.on_sample([&](const Sample&) { ++samples; });
  StreamTruth truth;
  ForkStream s(tasks, tasks / 2 + 1);
  std::uint64_t events = 0;
  std::size_t max_bytes = 0, max_entries = 0, bytes_at_1m = 0;
  s.run([&](const Event& e) { a.feed(e); },
        [&] {
          if (++events % 100'000 != 0 || events < 1'000'000) return;
          const EngineMemory m = a.memory();
          if (events == 1'000'000) bytes_at_1m = m.bytes;
          max_bytes = std::max(max_bytes, m.bytes);
          max_entries = std::max(max_entries, m.entries);
        },
        truth);
  EXPECT_EQ(events, tasks * 10);
  const EngineMemory m = a.memory();
  std::printf(
      "soak: %llu events, %llu tasks: entries max %zu, bytes at 1M %zu, max %zu, end %zu, "
      "%zu groups\n",
      static_cast<unsigned long long>(events), static_cast<unsigned long long>(tasks), max_entries,
      bytes_at_1m, max_bytes, m.bytes, m.folded_groups);
  if (events >= 1'000'000) {
    EXPECT_LE(max_bytes, byte_bound);
    EXPECT_LE(max_entries, bound + cpus + 2);
  }
  const Results r = a.results();
  // Every sample went somewhere: the tasks' and groups' counts add up to the samples made.
  std::uint64_t reported_samples = 0;
  for (const TaskResult& t : r.tasks)
    for (const MetricResult& x : t.metrics) reported_samples += x.count;
  for (const FoldedGroup& g : r.folded)
    for (const MetricResult& x : g.metrics) reported_samples += x.count;
  EXPECT_EQ(samples, tasks * 3);
  EXPECT_EQ(reported_samples, samples);
  EXPECT_EQ(truth.all[0].count + truth.all[1].count, samples);
  expect_matches(reported(r), truth.per_comm());
  std::int64_t worst = 0;
  for (const FoldedGroup& g : r.folded)
    worst = std::max(worst, g[Metric::latency].max_ns.value_or(0));
  for (const TaskResult& t : r.tasks)
    worst = std::max(worst, t[Metric::latency].max_ns.value_or(0));
  EXPECT_EQ(worst, 3'000'000);
  EXPECT_EQ(worst, truth.all[0].max);
}

}  // namespace
}  // namespace rtlat::test
