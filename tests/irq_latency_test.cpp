// The irq_latency metric (irq_latency.hpp) on hand-written text traces
// (tests/traces/irqlat_*.txt): each file's header comment works its numbers out by hand, and they
// are written here again.
#include <gtest/gtest.h>

#include <rtlat/rtlat.hpp>
#include <rtlat/source/text.hpp>

#include <cstdint>
#include <string>

namespace {

using namespace rtlat;

Results analyze(const std::string& name) {
  Analyzer a;
  TextOptions opts;
  opts.arch = "x86_64";
  TextSource src(std::string(RTLAT_SOURCE_DIR) + "/tests/traces/" + name, opts);
  src.read(a);
  return a.results();
}

const TaskResult* task(const Results& r, Pid pid) {
  for (const TaskResult& t : r.tasks)
    if (t.pid == pid) return &t;
  return nullptr;
}

void expect_irq_latency(const TaskResult* t, std::uint64_t count, std::int64_t min = 0,
                        std::int64_t max = 0, double mean = 0) {
  ASSERT_NE(t, nullptr);
  SCOPED_TRACE(t->comm + ":" + std::to_string(t->pid));
  const MetricResult& m = (*t)[Metric::irq_latency];
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

// The worst sample's split; the parts make the sample.
void expect_split(const TaskResult* t, std::int64_t handler, std::int64_t scheduling) {
  ASSERT_NE(t, nullptr);
  const std::optional<WorstWindow>& w = (*t)[Metric::irq_latency].worst;
  ASSERT_TRUE(w.has_value());
  ASSERT_TRUE(w->irq_split.has_value());
  EXPECT_FALSE(w->timer_split.has_value());
  EXPECT_EQ(w->irq_split->handler_ns, handler);
  EXPECT_EQ(w->irq_split->scheduling_ns, scheduling);
  EXPECT_EQ(w->end_ns - w->start_ns, handler + scheduling);
}

TEST(IrqLatency, ThreadWokenByItsHardHandler) {
  const Results r = analyze("irqlat_thread.txt");
  const TaskResult* thread = task(r, 181);
  expect_irq_latency(thread, 2, 10000, 12000, 11000);
  expect_split(thread, 2000, 10000);
  const WorstWindow& w = *(*thread)[Metric::irq_latency].worst;
  EXPECT_EQ(w.start_ns, 100'000'010'000);
  EXPECT_EQ(w.end_ns, 100'000'022'000);
  ASSERT_FALSE(w.events.empty());
  EXPECT_EQ(w.events.front().kind, EventKind::irq_entry);
  EXPECT_EQ(w.events.front().irq.irq, 33);
  // The other IRQ between the wakeup and the switch-in is in the window.
  bool other_irq = false;
  for (const Event& e : w.events) other_irq |= e.kind == EventKind::irq_entry && e.irq.irq == 40;
  EXPECT_TRUE(other_irq);
  // The handler run time metric stays as it was.
  EXPECT_EQ((*thread)[Metric::irq].count, 1u);
  EXPECT_EQ((*thread)[Metric::irq].max_ns, 7000);
  // A wakeup from task context is a latency sample, not an irq_latency one.
  EXPECT_EQ((*thread)[Metric::latency].count, 3u);
  EXPECT_EQ((*thread)[Metric::latency].min_ns, 1000);
  expect_irq_latency(task(r, 400), 0);  // woken inside a handler, but not an IRQ thread
  expect_irq_latency(task(r, 300), 0);
  EXPECT_EQ(r.trace.unobserved_irq_latency, 0u);
  EXPECT_EQ((*thread)[Metric::irq_latency].unobserved, 0u);
}

TEST(IrqLatency, LostEventsAndThreadFoundRunning) {
  const Results r = analyze("irqlat_lost.txt");
  const TaskResult* thread = task(r, 181);
  expect_irq_latency(thread, 2, 1000, 5000, 3000);
  expect_split(thread, 1000, 4000);
  EXPECT_EQ(r.trace.unobserved_irq_latency, 1u);
  EXPECT_EQ((*thread)[Metric::irq_latency].unobserved, 1u);
  EXPECT_EQ(r.trace.lost_event_markers, 2u);
}

// The committed example of a threaded handler: each of its five hard IRQs wakes irq/33-eth0
// 1.5 us after the entry and the thread is switched in 4.5 us after that.
TEST(IrqLatency, CommittedThreadedExample) {
  Analyzer a;
  TextOptions opts;
  opts.arch = "x86_64";
  TextSource src(std::string(RTLAT_SOURCE_DIR) + "/data/irq-threaded.txt", opts);
  src.read(a);
  const Results r = a.results();
  const TaskResult* thread = task(r, 181);
  ASSERT_NE(thread, nullptr);
  const MetricResult& m = (*thread)[Metric::irq_latency];
  EXPECT_EQ(m.count, 5u);
  EXPECT_EQ(m.min_ns, 6000);
  EXPECT_EQ(m.max_ns, 6000);
  expect_split(thread, 1500, 4500);
}

TEST(IrqLatency, NameInReportsAndSlo) {
  Metric m{};
  ASSERT_TRUE(parse_metric("irq_latency", m));
  EXPECT_EQ(m, Metric::irq_latency);
  EXPECT_EQ(metric_name(Metric::irq_latency), "irq_latency");
}

}  // namespace
