// The timer metric (timer_latency.hpp) on hand-written text traces (tests/traces/timer_*.txt):
// each file's header comment works its numbers out by hand, and they are written here again.
#include <gtest/gtest.h>

#include <rtlat/rtlat.hpp>
#include <rtlat/source/text.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace {

using namespace rtlat;

std::string trace_path(const std::string& name) {
  return std::string(RTLAT_SOURCE_DIR) + "/tests/traces/" + name;
}

// `facts` stands for what a trace.dat would say about its clock and events (text says neither).
Results analyze(const std::string& name, std::optional<SourceInfo> facts = std::nullopt) {
  Analyzer a;
  TextOptions opts;
  opts.arch = "x86_64";
  TextSource src(trace_path(name), opts);
  if (facts) a.set_source(*facts);
  src.read(a);
  return a.results();
}

const TaskResult* task(const Results& r, Pid pid, int nth = 0) {
  for (const TaskResult& t : r.tasks)
    if (t.pid == pid && nth-- == 0) return &t;
  return nullptr;
}

void expect_timer(const TaskResult* t, std::uint64_t count, std::int64_t min = 0,
                  std::int64_t max = 0, double mean = 0) {
  ASSERT_NE(t, nullptr);
  SCOPED_TRACE(t->comm + ":" + std::to_string(t->pid));
  const MetricResult& m = (*t)[Metric::timer];
  EXPECT_EQ(m.count, count);
  if (count == 0) {
    EXPECT_FALSE(m.worst.has_value());
    return;
  }
  EXPECT_EQ(m.min_ns, min);
  EXPECT_EQ(m.max_ns, max);
  ASSERT_TRUE(m.mean_ns.has_value());
  EXPECT_NEAR(*m.mean_ns, mean, 0.01);
}

// The worst sample's split: irq delay and wakeup (empty: unknown), to wakeup, scheduling.
void expect_split(const TaskResult* t, std::optional<std::int64_t> irq_delay,
                  std::optional<std::int64_t> wakeup, std::int64_t to_wakeup,
                  std::int64_t scheduling) {
  ASSERT_NE(t, nullptr);
  const std::optional<WorstWindow>& w = (*t)[Metric::timer].worst;
  ASSERT_TRUE(w.has_value());
  ASSERT_TRUE(w->timer_split.has_value());
  EXPECT_EQ(w->timer_split->irq_delay_ns, irq_delay);
  EXPECT_EQ(w->timer_split->wakeup_ns, wakeup);
  EXPECT_EQ(w->timer_split->to_wakeup_ns, to_wakeup);
  EXPECT_EQ(w->timer_split->scheduling_ns, scheduling);
  EXPECT_EQ(w->end_ns - w->start_ns, to_wakeup + scheduling);  // the parts make the sample
}

TEST(TimerLatency, FiredLateWhileIdle) {
  const Results r = analyze("timer_idle.txt");
  const TaskResult* ctl = task(r, 100);
  expect_timer(ctl, 2, 8000, 38000, 23000);
  expect_split(ctl, 28000, 2000, 30000, 8000);
  const WorstWindow& w = *(*ctl)[Metric::timer].worst;
  EXPECT_EQ(w.start_ns, 100'000'102'000);
  EXPECT_EQ(w.end_ns, 100'000'140'000);
  ASSERT_FALSE(w.events.empty());
  EXPECT_EQ(w.events.front().kind, EventKind::hrtimer_expire_entry);
  EXPECT_EQ((*ctl)[Metric::latency].count, 2u);
  EXPECT_EQ((*ctl)[Metric::latency].max_ns, 7000);
  EXPECT_EQ((*ctl)[Metric::latency].min_ns, 3000);
  EXPECT_EQ(r.trace.unobserved_timer, 0u);
}

}  // namespace
