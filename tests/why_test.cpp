// The why through the interrupt path and the misattributions fixed on the way, on hand-written
// traces (tests/traces/why_*.txt, verdict_mixed.txt); each file's header works the numbers out.
#include <gtest/gtest.h>

#include <rtlat/analyze.hpp>
#include <rtlat/source/text.hpp>

#include <cstdint>
#include <string>
#include <utility>

namespace {

using namespace rtlat;

constexpr std::int64_t us = 1000;

Results analyze_trace(const std::string& name) {
  TextOptions opts;
  opts.arch = "x86_64";
  TextSource src(std::string(RTLAT_SOURCE_DIR) + "/tests/traces/" + name, opts);
  return analyze(src, Config{});
}

const WorstWindow& worst(const Results& r, Pid pid, Metric m) {
  static const WorstWindow none;
  for (const TaskResult& t : r.tasks)
    if (t.pid == pid && t[m].worst && t[m].worst->breakdown && t[m].worst->verdict)
      return *t[m].worst;
  ADD_FAILURE() << "no explained worst " << metric_name(m) << " for pid " << pid;
  return none;
}

const BreakdownPart* part(const WorstWindow& w, PartState state, Pid task_pid = -1) {
  if (!w.breakdown) return nullptr;
  for (const BreakdownPart& p : w.breakdown->parts)
    if (p.state == state && (task_pid < 0 || (p.task && p.task->pid == task_pid))) return &p;
  return nullptr;
}

bool says(const WorstWindow& w, const std::string& s) {
  return w.verdict && w.verdict->text.find(s) != std::string::npos;
}

TEST(Why, TimerLateWhileIdleNamesTheIdleState) {
  const Results r = analyze_trace("why_timer.txt");
  const WorstWindow& w = worst(r, 100, Metric::timer);
  EXPECT_EQ(w.end_ns - w.start_ns, 210 * us);
  ASSERT_TRUE(w.verdict);
  EXPECT_EQ(w.verdict->kind, VerdictKind::idle_exit) << w.verdict->text;
  EXPECT_NEAR(w.verdict->share, 202.0 / 210.0, 1e-3);
  EXPECT_FALSE(w.verdict->culprit);
  const BreakdownPart* deep = nullptr;
  for (const BreakdownPart& p : w.breakdown->parts)
    if (p.state == PartState::timer_delay && p.idle_state == 2u) deep = &p;
  ASSERT_NE(deep, nullptr);
  EXPECT_EQ(deep->ns, 200 * us);
  EXPECT_EQ(deep->cpu, 0);
  EXPECT_TRUE(says(w, "CPU 0 idled in idle state 2")) << w.verdict->text;
  ASSERT_NE(part(w, PartState::idle), nullptr);
  EXPECT_EQ(part(w, PartState::idle)->ns, 7 * us);
}

TEST(Why, TimerLateWhileATaskRanWithInterruptsOffNamesTaskAndCaller) {
  const Results r = analyze_trace("why_timer.txt");
  const WorstWindow& w = worst(r, 101, Metric::timer);
  EXPECT_EQ(w.end_ns - w.start_ns, 310 * us);
  ASSERT_TRUE(w.verdict);
  EXPECT_EQ(w.verdict->kind, VerdictKind::irqs_off) << w.verdict->text;
  EXPECT_NEAR(w.verdict->share, 300.0 / 310.0, 1e-3);
  ASSERT_TRUE(w.verdict->culprit);
  EXPECT_EQ(w.verdict->culprit->pid, 200);
  EXPECT_TRUE(says(w, "interrupts off since _raw_spin_lock_irqsave+0x1a")) << w.verdict->text;
  const BreakdownPart* off = part(w, PartState::timer_delay, 200);
  ASSERT_NE(off, nullptr);
  EXPECT_EQ(off->ns, 300 * us);
  EXPECT_EQ(off->irqs_off_caller, "_raw_spin_lock_irqsave+0x1a");
  EXPECT_EQ(part_irqs_name(*off), "off");
}

TEST(Why, TimerLateWhileATaskRanWithInterruptsOnIsAStall) {
  const Results r = analyze_trace("why_timer.txt");
  const WorstWindow& w = worst(r, 103, Metric::timer);
  EXPECT_EQ(w.end_ns - w.start_ns, 260 * us);
  ASSERT_TRUE(w.verdict);
  EXPECT_EQ(w.verdict->kind, VerdictKind::cpu_stall) << w.verdict->text;
  EXPECT_NEAR(w.verdict->share, 250.0 / 260.0, 1e-3);
  ASSERT_TRUE(w.verdict->culprit);
  EXPECT_EQ(w.verdict->culprit->pid, 201);
  const BreakdownPart* on = part(w, PartState::timer_delay, 201);
  ASSERT_NE(on, nullptr);
  EXPECT_TRUE(on->irqs_on);
  EXPECT_EQ(part_irqs_name(*on), "on");
  EXPECT_EQ(on->ns, 250 * us);
}

// A caller wins over irqs_on: interrupts went off after preemptirq had shown them on.
TEST(Why, IrqsNameIsOffWithACallerOnWithoutOneAndUnknownWithNeither) {
  BreakdownPart p;
  p.state = PartState::timer_delay;
  EXPECT_EQ(part_irqs_name(p), "unknown");
  p.irqs_on = true;
  EXPECT_EQ(part_irqs_name(p), "on");
  p.irqs_off_caller = "do_idle+0x10";
  EXPECT_EQ(part_irqs_name(p), "off");
}

TEST(Why, TimerLateWhileAnotherIrqRanNamesIt) {
  const Results r = analyze_trace("why_timer.txt");
  const WorstWindow& w = worst(r, 102, Metric::timer);
  EXPECT_EQ(w.end_ns - w.start_ns, 290 * us);
  ASSERT_TRUE(w.verdict);
  EXPECT_EQ(w.verdict->kind, VerdictKind::irq) << w.verdict->text;
  EXPECT_NEAR(w.verdict->share, 281.0 / 290.0, 1e-3);  // IRQ 36, and the timer's own 1 us
  EXPECT_TRUE(says(w, "IRQ 36 virtio1-req.0")) << w.verdict->text;
  const BreakdownPart* irq = part(w, PartState::irq);
  ASSERT_NE(irq, nullptr);
  ASSERT_TRUE(irq->interrupt);
  EXPECT_EQ(irq->interrupt->number, 36);
  EXPECT_EQ(irq->ns, 280 * us);
}

TEST(Why, IoWakeupInsideAHardIrqIsTheIrqs) {
  const Results r = analyze_trace("why_io_irq.txt");
  const WorstWindow& w = worst(r, 100, Metric::relief);
  EXPECT_EQ(w.end_ns - w.start_ns, 801 * us);
  ASSERT_TRUE(w.verdict);
  EXPECT_EQ(w.verdict->kind, VerdictKind::blocking) << w.verdict->text;
  EXPECT_NEAR(w.verdict->share, 602.0 / 801.0, 1e-3);
  EXPECT_FALSE(w.verdict->culprit);  // not the idle task it interrupted, and not nobody:
  EXPECT_TRUE(says(w, "blocked 602.0us of 801.0us on I/O completed from IRQ 36 virtio1-req.0"))
      << w.verdict->text;
  const BreakdownPart* b = part(w, PartState::blocked);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(b->interrupt);
  EXPECT_EQ(b->interrupt->number, 36);
  EXPECT_FALSE(b->interrupt->after);
  EXPECT_TRUE(b->uninterruptible);
  EXPECT_FALSE(b->task);
  EXPECT_EQ(part(w, PartState::running)->ns, 181 * us);
}

TEST(Why, IdleWakeupAfterAHardIrqWithoutSoftirqEventsNamesTheIrq) {
  const Results r = analyze_trace("why_io_irq.txt");
  const WorstWindow& w = worst(r, 101, Metric::relief);
  EXPECT_EQ(w.end_ns - w.start_ns, 801 * us);
  ASSERT_TRUE(w.verdict);
  EXPECT_EQ(w.verdict->kind, VerdictKind::blocking) << w.verdict->text;
  EXPECT_NEAR(w.verdict->share, 650.0 / 801.0, 1e-3);
  EXPECT_TRUE(says(w, "from IRQ 37 nvme0q1")) << w.verdict->text;
  const BreakdownPart* b = part(w, PartState::blocked);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(b->interrupt);
  EXPECT_EQ(b->interrupt->number, 37);
  EXPECT_TRUE(b->interrupt->after);
  EXPECT_EQ(b->ns, 650 * us);
}

TEST(Why, UnrecordedSwitchIsUnknownAndPrioIsTheSwitchOuts) {
  const Results r = analyze_trace("why_implicit.txt");
  const WorstWindow& w = worst(r, 100, Metric::latency);
  EXPECT_EQ(w.end_ns - w.start_ns, 1900 * us);
  ASSERT_NE(part(w, PartState::unknown), nullptr);
  EXPECT_EQ(part(w, PartState::unknown)->ns, 900 * us);
  EXPECT_EQ(part(w, PartState::idle), nullptr);
  const BreakdownPart* hog = part(w, PartState::runnable, 200);
  ASSERT_NE(hog, nullptr);
  EXPECT_EQ(hog->ns, 1000 * us);
  EXPECT_EQ(hog->task->prio, 9);
  ASSERT_TRUE(w.verdict);
  EXPECT_EQ(w.verdict->kind, VerdictKind::higher_priority) << w.verdict->text;
  EXPECT_NEAR(w.verdict->share, 1000.0 / 1900.0, 1e-3);
  EXPECT_EQ(w.breakdown->covered_ns, 1000 * us);
}

TEST(Why, CompleteDataWithoutAMajorityIsMixed) {
  const Results r = analyze_trace("verdict_mixed.txt");
  const WorstWindow& w = worst(r, 100, Metric::latency);
  EXPECT_EQ(w.end_ns - w.start_ns, 1000 * us);
  ASSERT_TRUE(w.verdict);
  EXPECT_EQ(w.verdict->kind, VerdictKind::mixed) << w.verdict->text;
  EXPECT_NEAR(w.verdict->share, 0.4, 1e-3);
  ASSERT_TRUE(w.verdict->culprit);
  EXPECT_EQ(w.verdict->culprit->pid, 200);
  EXPECT_EQ(w.breakdown->covered_ns, 1000 * us);
}

}  // namespace
