// The pass/fail policy (rtlat::any_violation): a violation counts wherever the results keep it,
// in a task listed on its own or in a group of folded tasks; and Config::on_violation fires for
// a task's violation as it happens, even when the task is folded later.
#include <gtest/gtest.h>

#include <rtlat/rtlat.hpp>

#include <chrono>
#include <cstddef>
#include <vector>

#include "event_builder.hpp"

namespace rtlat::test {
namespace {

using namespace std::chrono_literals;

Results with_task(std::uint64_t violations, Metric m) {
  Results r;
  TaskResult& t = r.tasks.emplace_back();
  t.pid = 100;
  t.comm = "worker";
  t[m].count = 3;
  t[m].slo_ns = 1000;
  t[m].violations = violations;
  return r;
}

TEST(Gate, NoViolationAnywherePasses) {
  EXPECT_FALSE(any_violation(Results{}));
  Results r = with_task(0, Metric::latency);
  FoldedGroup& g = r.folded.emplace_back();
  g.comm = "worker";
  g.tasks = 5;
  g[Metric::latency].count = 7;
  g[Metric::latency].slo_ns = 1000;
  EXPECT_FALSE(any_violation(r));
}

TEST(Gate, ViolationOfAListedTaskFails) {
  for (Metric m : all_metrics) EXPECT_TRUE(any_violation(with_task(1, m))) << metric_name(m);
}

TEST(Gate, ViolationOnlyInAFoldedGroupFails) {
  for (Metric m : all_metrics) {
    Results r = with_task(0, Metric::latency);
    r.folded.emplace_back().comm = "idle";
    FoldedGroup& g = r.folded.emplace_back();
    g.comm = "worker";
    g.tasks = 2;
    g[m].count = 2;
    g[m].violations = 1;
    EXPECT_TRUE(any_violation(r)) << metric_name(m);
    r.tasks.clear();  // nothing listed on its own: the group alone decides
    EXPECT_TRUE(any_violation(r)) << metric_name(m);
  }
}

// Two tasks of one comm, each woken, run and gone (X) on CPU 0; the first waits 2 ms, the second
// 10 us. With a 1 ms bound and max_finished_tasks 0 both are folded as they finish.
struct TwoExits {
  std::vector<Sample> violations;
  Results results;

  explicit TwoExits(std::optional<std::size_t> bound) {
    Config cfg;
    cfg.slo(Metric::latency) = 1ms;
    cfg.max_finished_tasks = bound;
    cfg.on_violation = [this](const Sample& s) { violations.push_back(s); };
    Analyzer a(std::move(cfg));
    Feed f(a);
    f.wake(0, 0, 0, 100, "worker", 0);
    f.sw(2000, 0, 0, "swapper/0", PrevState::runnable, 100, "worker");
    f.sw(2200, 0, 100, "worker", PrevState::dead, 0, "swapper/0");
    f.wake(10000, 0, 0, 200, "worker", 0);
    f.sw(10010, 0, 0, "swapper/0", PrevState::runnable, 200, "worker");
    f.sw(10200, 0, 200, "worker", PrevState::dead, 0, "swapper/0");
    results = a.results();
  }
};

TEST(Gate, FoldedTaskViolationFiresTheCallbackAndFailsTheGate) {
  const TwoExits listed(std::nullopt);
  ASSERT_EQ(listed.results.tasks.size(), 2u);
  EXPECT_TRUE(listed.results.folded.empty());
  EXPECT_TRUE(any_violation(listed.results));

  const TwoExits folded(0);
  EXPECT_TRUE(folded.results.tasks.empty());
  ASSERT_EQ(folded.results.folded.size(), 1u);
  const FoldedGroup& g = folded.results.folded[0];
  EXPECT_EQ(g.comm, "worker");
  EXPECT_EQ(g.tasks, 2u);
  EXPECT_EQ(g[Metric::latency].count, 2u);
  EXPECT_EQ(g[Metric::latency].violations, 1u);
  EXPECT_TRUE(any_violation(folded.results));

  // The callback fired once, for worker 100's 2 ms, before it was folded; the same as unfolded.
  for (const TwoExits* run : {&listed, &folded}) {
    ASSERT_EQ(run->violations.size(), 1u);
    const Sample& s = run->violations[0];
    EXPECT_EQ(s.pid, 100);
    EXPECT_EQ(s.metric, Metric::latency);
    EXPECT_EQ(s.value_ns, 2000000);
    EXPECT_EQ(s.slo_ns, std::optional<std::int64_t>(1000000));
    EXPECT_TRUE(s.violation);
  }
}

}  // namespace
}  // namespace rtlat::test
