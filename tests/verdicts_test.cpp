// Breakdowns and verdicts on hand-written traces (tests/traces/verdict_*.txt), one per verdict
// kind. Each file's header works out the expected breakdown; the numbers are written here again.
#include <gtest/gtest.h>

#include <rtlat/analyze.hpp>
#include <rtlat/source/text.hpp>

#include <cstdint>
#include <string>
#include <utility>

namespace {

using namespace rtlat;

constexpr std::int64_t us = 1000;
constexpr std::int64_t ms = 1000 * us;

Results analyze_trace(const std::string& name, Config cfg = {}) {
  TextOptions opts;
  opts.arch = "x86_64";
  TextSource src(std::string(RTLAT_SOURCE_DIR) + "/tests/traces/" + name, opts);
  return analyze(src, std::move(cfg));
}

const TaskResult* task(const Results& r, Pid pid) {
  for (const TaskResult& t : r.tasks)
    if (t.pid == pid) return &t;
  return nullptr;
}

// The worst window of `pid`'s metric `m`, with its breakdown and verdict; fails when absent.
const WorstWindow& worst(const Results& r, Pid pid, Metric m) {
  const TaskResult* t = task(r, pid);
  static const WorstWindow none;
  if (t == nullptr || !(*t)[m].worst) {
    ADD_FAILURE() << "no worst " << metric_name(m) << " for pid " << pid;
    return none;
  }
  const WorstWindow& w = *(*t)[m].worst;
  EXPECT_TRUE(w.breakdown.has_value());
  EXPECT_TRUE(w.verdict.has_value());
  return w;
}

// The part of a breakdown in `state` (with that task, if given), or nullptr.
const BreakdownPart* part(const WorstWindow& w, PartState state, Pid task_pid = -1) {
  if (!w.breakdown) return nullptr;
  for (const BreakdownPart& p : w.breakdown->parts)
    if (p.state == state && (task_pid < 0 || (p.task && p.task->pid == task_pid))) return &p;
  return nullptr;
}

void expect_verdict(const WorstWindow& w, VerdictKind kind, double share,
                    std::optional<Pid> culprit) {
  ASSERT_TRUE(w.verdict.has_value());
  EXPECT_EQ(verdict_kind_name(w.verdict->kind), verdict_kind_name(kind)) << w.verdict->text;
  EXPECT_NEAR(w.verdict->share, share, 0.001) << w.verdict->text;
  if (culprit) {
    ASSERT_TRUE(w.verdict->culprit.has_value()) << w.verdict->text;
    EXPECT_EQ(w.verdict->culprit->pid, *culprit);
  } else {
    EXPECT_FALSE(w.verdict->culprit.has_value()) << w.verdict->text;
  }
}

TEST(Verdicts, HigherPriority) {
  const Results r = analyze_trace("verdict_higher.txt");
  const WorstWindow& lat = worst(r, 100, Metric::latency);
  EXPECT_EQ(lat.end_ns - lat.start_ns, 300 * us);
  const BreakdownPart* behind = part(lat, PartState::runnable, 200);
  ASSERT_NE(behind, nullptr);
  EXPECT_EQ(behind->ns, 300 * us);
  EXPECT_EQ(behind->cpu, 0);
  EXPECT_EQ(behind->task->prio, 9);
  EXPECT_EQ(behind->task->cls(), TaskClass::rt);
  expect_verdict(lat, VerdictKind::higher_priority, 1.0, 200);
  EXPECT_NE(lat.verdict->text.find("behind hog:200 (RT 90) on CPU 0"), std::string::npos)
      << lat.verdict->text;
  const WorstWindow& resp = worst(r, 100, Metric::response);
  ASSERT_NE(part(resp, PartState::running), nullptr);
  EXPECT_EQ(part(resp, PartState::running)->ns, 50 * us);
  expect_verdict(resp, VerdictKind::higher_priority, 300.0 / 350.0, 200);
}

TEST(Verdicts, SamePriority) {
  const Results r = analyze_trace("verdict_same.txt");
  const WorstWindow& lat = worst(r, 100, Metric::latency);
  ASSERT_NE(part(lat, PartState::runnable, 300), nullptr);
  EXPECT_EQ(part(lat, PartState::runnable, 300)->ns, 400 * us);
  EXPECT_EQ(part(lat, PartState::runnable, 300)->task->cls(), TaskClass::fair);
  expect_verdict(lat, VerdictKind::same_priority, 1.0, 300);
}

TEST(Verdicts, LowerPriority) {
  const Results r = analyze_trace("verdict_lower.txt");
  const WorstWindow& lat = worst(r, 100, Metric::latency);
  ASSERT_NE(part(lat, PartState::runnable, 300), nullptr);
  EXPECT_EQ(part(lat, PartState::runnable, 300)->ns, 200 * us);
  expect_verdict(lat, VerdictKind::lower_priority, 1.0, 300);
}

TEST(Verdicts, RtThrottlingNeedsTheBudgetUsedUp) {
  const Results r = analyze_trace("verdict_throttle.txt");
  const WorstWindow& lat = worst(r, 100, Metric::latency);
  EXPECT_EQ(lat.end_ns - lat.start_ns, 40 * ms);
  ASSERT_NE(part(lat, PartState::runnable, 300), nullptr);
  EXPECT_EQ(part(lat, PartState::runnable, 300)->ns, 40 * ms);
  expect_verdict(lat, VerdictKind::rt_throttling, 1.0, 300);
  EXPECT_NE(lat.verdict->text.find("RT tasks ran 950.00ms of the 1.000s before on CPU 0"),
            std::string::npos)
      << lat.verdict->text;
  // A larger budget was not used up: the same wait behind a fair task is not throttling.
  Config cfg;
  cfg.sched_rt_runtime = std::chrono::seconds(2);
  const Results loose = analyze_trace("verdict_throttle.txt", cfg);
  expect_verdict(worst(loose, 100, Metric::latency), VerdictKind::lower_priority, 1.0, 300);
}

TEST(Verdicts, CpuIdleIsNotThrottling) {
  const Results r = analyze_trace("verdict_idle.txt");
  const WorstWindow& lat = worst(r, 100, Metric::latency);
  ASSERT_NE(part(lat, PartState::idle), nullptr);
  EXPECT_EQ(part(lat, PartState::idle)->ns, 250 * us);
  EXPECT_EQ(part(lat, PartState::idle)->cpu, 0);
  expect_verdict(lat, VerdictKind::cpu_idle, 1.0, std::nullopt);
}

TEST(Verdicts, HardIrqFromBeforeTheWakeup) {
  const Results r = analyze_trace("verdict_irq.txt");
  const WorstWindow& lat = worst(r, 100, Metric::latency);
  ASSERT_NE(part(lat, PartState::irq), nullptr);
  EXPECT_EQ(part(lat, PartState::irq)->ns, 190 * us);  // entered at 90 us, before the wakeup
  ASSERT_NE(part(lat, PartState::idle), nullptr);
  EXPECT_EQ(part(lat, PartState::idle)->ns, 10 * us);
  expect_verdict(lat, VerdictKind::irq, 0.95, std::nullopt);
}

TEST(Verdicts, Migration) {
  const Results r = analyze_trace("verdict_migration.txt");
  const WorstWindow& lat = worst(r, 100, Metric::latency);
  EXPECT_EQ(lat.cpu, 1);
  ASSERT_NE(part(lat, PartState::migration), nullptr);
  EXPECT_EQ(part(lat, PartState::migration)->ns, 250 * us);
  EXPECT_EQ(part(lat, PartState::migration)->cpu, 1);
  ASSERT_NE(part(lat, PartState::runnable, 200), nullptr);
  EXPECT_EQ(part(lat, PartState::runnable, 200)->ns, 50 * us);
  expect_verdict(lat, VerdictKind::migration, 250.0 / 300.0, std::nullopt);
}

TEST(Verdicts, OwnExecution) {
  const Results r = analyze_trace("verdict_own.txt");
  const WorstWindow& resp = worst(r, 100, Metric::response);
  ASSERT_NE(part(resp, PartState::running), nullptr);
  EXPECT_EQ(part(resp, PartState::running)->ns, 1 * ms);
  expect_verdict(resp, VerdictKind::own_execution, 1000.0 / 1005.0, std::nullopt);
  expect_verdict(worst(r, 100, Metric::latency), VerdictKind::cpu_idle, 1.0, std::nullopt);
}

TEST(Verdicts, BlockingNamesTheWakerAndShowsItsWakeup) {
  const Results r = analyze_trace("verdict_blocking.txt");
  const WorstWindow& relief = worst(r, 100, Metric::relief);
  EXPECT_EQ(relief.end_ns - relief.start_ns, 3201 * us);
  const BreakdownPart* blocked = part(relief, PartState::blocked, 200);
  ASSERT_NE(blocked, nullptr);
  EXPECT_EQ(blocked->ns, 3 * ms);
  EXPECT_EQ(blocked->cpu, 1);  // where the wakeup was issued
  ASSERT_TRUE(blocked->waker.has_value());
  EXPECT_EQ(blocked->waker->ran_ns, 3 * ms);
  EXPECT_EQ(blocked->waker->runnable_ns, 0);
  ASSERT_NE(part(relief, PartState::running), nullptr);
  EXPECT_EQ(part(relief, PartState::running)->ns, 181 * us);
  expect_verdict(relief, VerdictKind::blocking, 3000.0 / 3201.0, 200);
  // The wakeup that ended the block, issued on CPU 1, is in the window.
  bool wakeup_shown = false;
  for (const Event& e : relief.events)
    wakeup_shown = wakeup_shown || (e.kind == EventKind::sched_wakeup && e.cpu == 1 &&
                                    e.wakeup.pid == 100 && e.common_pid == 200);
  EXPECT_TRUE(wakeup_shown);
}

TEST(Verdicts, PriorityInversion) {
  const Results r = analyze_trace("verdict_inversion.txt");
  const WorstWindow& relief = worst(r, 100, Metric::relief);
  const BreakdownPart* blocked = part(relief, PartState::blocked, 200);
  ASSERT_NE(blocked, nullptr);
  EXPECT_EQ(blocked->ns, 3 * ms);
  ASSERT_TRUE(blocked->waker.has_value());
  EXPECT_EQ(blocked->waker->ran_ns, 410 * us);
  EXPECT_EQ(blocked->waker->runnable_ns, 2590 * us);
  ASSERT_TRUE(blocked->waker->behind.has_value());
  EXPECT_EQ(blocked->waker->behind->pid, 300);
  expect_verdict(relief, VerdictKind::priority_inversion, 3000.0 / 3201.0, 200);
  EXPECT_NE(relief.verdict->text.find("behind mid:300 (RT 60)"), std::string::npos)
      << relief.verdict->text;
}

TEST(Verdicts, InsufficientDataWhenTheCpuWasNotObserved) {
  const Results r = analyze_trace("verdict_insufficient.txt");
  const WorstWindow& lat = worst(r, 100, Metric::latency);
  ASSERT_NE(part(lat, PartState::unknown), nullptr);
  EXPECT_EQ(part(lat, PartState::unknown)->ns, 300 * us);
  EXPECT_EQ(lat.breakdown->covered_ns, 0);
  expect_verdict(lat, VerdictKind::insufficient_data, 1.0, std::nullopt);
  EXPECT_NE(lat.verdict->text.find("switches that were not recorded"), std::string::npos);
}

// --explain all counts a verdict per violation; none computes nothing.
TEST(Verdicts, ExplainAllCountsViolations) {
  Config cfg;
  cfg.explain = Config::Explain::all;
  cfg.slo(Metric::latency) = std::chrono::microseconds(100);
  const Results r = analyze_trace("verdict_higher.txt", cfg);
  const TaskResult* t = task(r, 100);
  ASSERT_NE(t, nullptr);
  ASSERT_EQ((*t)[Metric::latency].verdicts.size(), 1u);
  const VerdictCount& c = (*t)[Metric::latency].verdicts[0];
  EXPECT_EQ(c.kind, VerdictKind::higher_priority);
  EXPECT_EQ(c.count, 1u);
  ASSERT_TRUE(c.culprit.has_value());
  EXPECT_EQ(c.culprit->pid, 200);

  Config none;
  none.explain = Config::Explain::none;
  const Results bare = analyze_trace("verdict_higher.txt", none);
  const WorstWindow& w = *(*task(bare, 100))[Metric::latency].worst;
  EXPECT_FALSE(w.breakdown.has_value());
  EXPECT_FALSE(w.verdict.has_value());
}

}  // namespace
