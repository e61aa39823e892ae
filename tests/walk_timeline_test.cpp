// The HTML timeline and the breakdown come from one walk (issue 22): on every recording in data/
// and every hand-written trace, each worst window's task stretches add up to its breakdown's
// parts, each stretch spent on a CPU lies in that CPU's runs showing the same thing (behind X:
// X ran there; idle: the CPU idled; IRQ N: IRQ N ran), and the CPU lanes cover the interval. The
// HTML draws exactly those stretches and runs.
#include <gtest/gtest.h>

#include <rtlat/analyze.hpp>
#include <rtlat/report/html.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

using rtlat::Breakdown;
using rtlat::BreakdownPart;
using rtlat::CpuRun;
using rtlat::PartState;
using rtlat::Pid;
using rtlat::Timestamp;
using rtlat::WorstWindow;

std::vector<std::string> trace_files() {
  std::vector<std::string> files;
  for (const char* dir : {"/data", "/tests/traces"}) {
    for (const auto& e : std::filesystem::directory_iterator(std::string(RTLAT_SOURCE_DIR) + dir)) {
      const std::string ext = e.path().extension().string();
      if (ext == ".dat" || ext == ".txt") files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The parts whose time no walk measured: the timer's slack and its own handler.
bool synthetic(const BreakdownPart& p) {
  return p.state == PartState::timer_slack ||
         (p.state == PartState::irq && p.interrupt && p.interrupt->number < 0);
}

// What CPU `cpu` must show while the task spent part `p` there; empty when `p` says nothing
// about the CPU.
std::string expected_run(const BreakdownPart& p, Pid pid) {
  switch (p.state) {
    case PartState::running:
      return "running " + std::to_string(pid);
    case PartState::runnable:
      return "running " + std::to_string(p.task ? p.task->pid : -1);
    case PartState::timer_delay:
      return p.task ? "running " + std::to_string(p.task->pid) : "idle";
    case PartState::idle:
      return "idle";
    case PartState::irq:
    case PartState::softirq:
      return std::string(rtlat::part_state_name(p.state)) + " " +
             std::to_string(p.interrupt ? p.interrupt->number : -1);
    default:
      return {};
  }
}

std::string shown(const CpuRun& r) {
  switch (r.state) {
    case PartState::running:
      return "running " + std::to_string(r.task ? r.task->pid : -1);
    case PartState::irq:
    case PartState::softirq:
      return std::string(rtlat::part_state_name(r.state)) + " " +
             std::to_string(r.interrupt ? r.interrupt->number : -1);
    default:
      return std::string(rtlat::part_state_name(r.state));
  }
}

// Every way the window's timeline and its breakdown disagree, in words.
std::vector<std::string> disagreements(const WorstWindow& w, Pid pid) {
  std::vector<std::string> out;
  const Breakdown& b = *w.breakdown;
  std::vector<std::int64_t> sum(b.parts.size(), 0);
  Timestamp last_end = INT64_MIN;
  for (const rtlat::BreakdownSpan& s : b.spans) {
    if (s.part >= b.parts.size()) {
      out.push_back("span on part " + std::to_string(s.part) + " of " +
                    std::to_string(b.parts.size()));
      continue;
    }
    if (s.to_ns <= s.from_ns || s.from_ns < w.start_ns || s.to_ns > w.end_ns)
      out.push_back("span outside the window at " + std::to_string(s.from_ns));
    if (s.from_ns < last_end) out.push_back("spans overlap at " + std::to_string(s.from_ns));
    last_end = s.to_ns;
    sum[s.part] += s.to_ns - s.from_ns;
    const BreakdownPart& p = b.parts[s.part];
    const std::string want = expected_run(p, pid);
    if (want.empty() || synthetic(p) || p.cpu < 0) continue;
    // The CPU's runs over the span: all must show what the part says.
    Timestamp covered = 0;
    for (const CpuRun& r : b.cpu_runs) {
      if (r.cpu != p.cpu || r.to_ns <= s.from_ns || r.from_ns >= s.to_ns) continue;
      covered += std::min(r.to_ns, s.to_ns) - std::max(r.from_ns, s.from_ns);
      if (shown(r) != want)
        out.push_back("CPU " + std::to_string(p.cpu) + " shows " + shown(r) + " at " +
                      std::to_string(r.from_ns) + ", the breakdown " + want);
    }
    if (covered != s.to_ns - s.from_ns)
      out.push_back("CPU " + std::to_string(p.cpu) + " has no run over the span at " +
                    std::to_string(s.from_ns));
  }
  for (std::size_t i = 0; i < b.parts.size(); ++i)
    if (sum[i] != b.parts[i].ns)
      out.push_back("part " + std::to_string(i) + " (" +
                    std::string(rtlat::part_state_name(b.parts[i].state)) + ") is " +
                    std::to_string(b.parts[i].ns) + " ns, its spans " + std::to_string(sum[i]));
  // Each CPU's lane runs through the whole interval, without gaps or overlaps.
  std::map<int, Timestamp> at;
  for (const CpuRun& r : b.cpu_runs) {
    const auto [it, first] = at.emplace(r.cpu, w.end_ns - b.total_ns);
    if (r.from_ns != it->second)
      out.push_back("CPU " + std::to_string(r.cpu) + " lane breaks at " +
                    std::to_string(it->second));
    it->second = r.to_ns;
  }
  for (const auto& [cpu, end] : at)
    if (end != w.end_ns) out.push_back("CPU " + std::to_string(cpu) + " lane ends early");
  return out;
}

struct Window {
  std::string where;
  Pid pid;
  const WorstWindow* w;
};

std::vector<Window> windows(const rtlat::Results& r, const std::string& file) {
  std::vector<Window> out;
  for (const rtlat::TaskResult& t : r.tasks)
    for (const rtlat::Metric m : rtlat::all_metrics)
      if (const auto& w = t[m].worst; w && w->breakdown)
        out.push_back({file + " " + t.comm + ":" + std::to_string(t.pid) + " " +
                           std::string(rtlat::metric_name(m)),
                       t.pid, &*w});
  return out;
}

// The timeline is kept only when asked for (Config::timeline; `rtlat report --html` asks).
rtlat::Config with_timeline() {
  rtlat::Config cfg;
  cfg.timeline = true;
  return cfg;
}

TEST(WalkTimeline, AgreesWithTheBreakdownOnEveryTrace) {
  std::size_t checked = 0, with_spans = 0, timer = 0;
  for (const std::string& file : trace_files()) {
    rtlat::Results r;
    try {
      auto src = rtlat::open(file);
      r = rtlat::analyze(src, with_timeline());
    } catch (const rtlat::InputError&) {
      continue;  // the traces of the reader's error tests
    }
    for (const Window& w : windows(r, file)) {
      ++checked;
      if (!w.w->breakdown->spans.empty()) ++with_spans;
      if (w.w->timer_split) ++timer;
      for (const std::string& d : disagreements(*w.w, w.pid)) ADD_FAILURE() << w.where << ": " << d;
    }
  }
  // Hundreds of worst windows over the recordings, the timer metric's among them.
  EXPECT_GT(checked, 100u);
  EXPECT_EQ(with_spans, checked);
  EXPECT_GT(timer, 5u);
}

// The check itself finds a timeline that disagrees with its breakdown.
TEST(WalkTimeline, ADisagreementIsFound) {
  auto src = rtlat::open(std::string(RTLAT_SOURCE_DIR) + "/data/demo.txt");
  const rtlat::Results r = rtlat::analyze(src, with_timeline());
  const auto ws = windows(r, "demo.txt");
  const auto it = std::find_if(ws.begin(), ws.end(), [](const Window& w) {
    const Breakdown& b = *w.w->breakdown;
    return b.parts.size() >= 2 && std::any_of(b.parts.begin(), b.parts.end(), [](const auto& p) {
             return p.state == PartState::runnable;
           });
  });
  ASSERT_NE(it, ws.end());
  ASSERT_TRUE(disagreements(*it->w, it->pid).empty());

  // A stretch drawn on another part than the one it was added to.
  WorstWindow moved = *it->w;
  moved.breakdown->spans.front().part = (moved.breakdown->spans.front().part + 1) % 2;
  EXPECT_FALSE(disagreements(moved, it->pid).empty());

  // A CPU lane that shows someone else running while the task waited behind X there.
  WorstWindow other = *it->w;
  Breakdown& b = *other.breakdown;
  const auto behind = std::find_if(b.spans.begin(), b.spans.end(), [&b](const auto& s) {
    return b.parts[s.part].state == PartState::runnable;
  });
  ASSERT_NE(behind, b.spans.end());
  for (CpuRun& run : b.cpu_runs)
    if (run.cpu == b.parts[behind->part].cpu && run.from_ns < behind->to_ns &&
        run.to_ns > behind->from_ns)
      run.task->pid += 1;
  EXPECT_FALSE(disagreements(other, it->pid).empty());
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

// The HTML draws the walk's runs and stretches, one rectangle each, and nothing else in lanes.
TEST(WalkTimeline, HtmlDrawsTheWalk) {
  auto src = rtlat::open(std::string(RTLAT_SOURCE_DIR) + "/data/demo.txt");
  const rtlat::Results r = rtlat::analyze(src, with_timeline());
  std::size_t spans = 0, runs = 0;
  for (const rtlat::TaskResult& t : r.tasks)
    for (const rtlat::Metric m : rtlat::all_metrics)
      if (const auto& w = t[m].worst; w && w->breakdown && rtlat::has_samples(t)) {
        spans += w->breakdown->spans.size();
        runs += w->breakdown->cpu_runs.size();
      }
  std::ostringstream os;
  rtlat::write_html(os, r);
  EXPECT_GT(spans, 0u);
  EXPECT_EQ(count(os.str(), "<rect class=\"span\""), spans);
  EXPECT_EQ(count(os.str(), "<rect class=\"run\""), runs);
}

// Without Config::timeline the breakdowns are the same but keep no stretches and no CPU runs,
// which grow with the interval: the timeline costs memory only where it is drawn.
TEST(WalkTimeline, KeptOnlyWhenAskedFor) {
  std::size_t compared = 0, runs_with = 0;
  for (const char* name : {"/data/demo.txt", "/data/misprio.dat", "/data/cyclictest.dat"}) {
    auto with_src = rtlat::open(std::string(RTLAT_SOURCE_DIR) + name);
    const rtlat::Results with = rtlat::analyze(with_src, with_timeline());
    auto without_src = rtlat::open(std::string(RTLAT_SOURCE_DIR) + name);
    const rtlat::Results without = rtlat::analyze(without_src, rtlat::Config{});
    ASSERT_EQ(with.tasks.size(), without.tasks.size());
    for (std::size_t i = 0; i < with.tasks.size(); ++i)
      for (const rtlat::Metric m : rtlat::all_metrics) {
        const auto& a = with.tasks[i][m].worst;
        const auto& b = without.tasks[i][m].worst;
        ASSERT_EQ(a.has_value(), b.has_value());
        if (!a || !a->breakdown) continue;
        ASSERT_TRUE(b->breakdown.has_value());
        SCOPED_TRACE(std::string(name) + " " + with.tasks[i].comm + " " +
                     std::string(rtlat::metric_name(m)));
        EXPECT_TRUE(b->breakdown->spans.empty());
        EXPECT_TRUE(b->breakdown->cpu_runs.empty());
        runs_with += a->breakdown->cpu_runs.size();
        ASSERT_EQ(a->breakdown->parts.size(), b->breakdown->parts.size());
        for (std::size_t p = 0; p < a->breakdown->parts.size(); ++p) {
          EXPECT_EQ(a->breakdown->parts[p].state, b->breakdown->parts[p].state);
          EXPECT_EQ(a->breakdown->parts[p].ns, b->breakdown->parts[p].ns);
        }
        EXPECT_EQ(a->breakdown->covered_ns, b->breakdown->covered_ns);
        ASSERT_TRUE(a->verdict && b->verdict);
        EXPECT_EQ(a->verdict->kind, b->verdict->kind);
        ++compared;
      }
  }
  EXPECT_GT(compared, 20u);
  EXPECT_GT(runs_with, compared);
}

}  // namespace
