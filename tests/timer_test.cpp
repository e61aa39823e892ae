// The timer metric (timer_latency.hpp) on hand-written text traces (tests/traces/timer_*.txt):
// each file's header comment works its numbers out by hand, and they are written here again.
#include <gtest/gtest.h>

#include <rtlat/detail/engine/timer_latency.hpp>
#include <rtlat/rtlat.hpp>
#include <rtlat/source/text.hpp>

#include <cstdint>
#include <cstdlib>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "support/counting_new.hpp"

namespace {

using namespace rtlat;

std::string trace_path(const std::string& name) {
  return std::string(RTLAT_SOURCE_DIR) + "/tests/traces/" + name;
}

// `facts` stands for what a trace.dat would say about its clock and events (text says neither).
Results analyze(const std::string& name, std::optional<SourceInfo> facts = std::nullopt,
                const Config& cfg = Config()) {
  Analyzer a(cfg);
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

TEST(TimerLatency, OnTheTimersClockTheIrqDelayRunsToTheTracedEntry) {
  SourceInfo mono;
  mono.hrtimer_expiry_recorded = true;
  mono.clock_monotonic = true;
  const Results m = analyze("timer_mono.txt", mono);
  const TaskResult* ctl = task(m, 100);
  expect_timer(ctl, 2, 10000, 40000, 25000);
  expect_split(ctl, 30000, 2000, 32000, 8000);
  EXPECT_EQ((*ctl)[Metric::timer].worst->start_ns, 100'000'100'000);

  const Results u = analyze("timer_mono.txt");  // text: the clock is not known
  const TaskResult* c = task(u, 100);
  expect_timer(c, 2, 10000, 38000, 24000);
  expect_split(c, 28000, 2000, 30000, 8000);
  EXPECT_EQ((*c)[Metric::timer].worst->start_ns, 100'000'102'000);
}

TEST(TimerLatency, CancelledAndRearmed) {
  const Results r = analyze("timer_rearm.txt");
  const TaskResult* ctl = task(r, 100);
  expect_timer(ctl, 2, 4000, 9000, 6500);
  expect_split(ctl, 4000, 1000, 5000, 4000);
  EXPECT_EQ(r.trace.unobserved_timer, 0u);
  EXPECT_EQ((*ctl)[Metric::timer].unobserved, 0u);
}

TEST(TimerLatency, ExpiryOnAnotherCpuAndTaskFoundRunning) {
  const Results r = analyze("timer_other_cpu.txt");
  const TaskResult* ctl = task(r, 100);
  expect_timer(ctl, 2, 1500, 23000, 12250);
  expect_split(ctl, 8000, 1000, 9000, 14000);
  const WorstWindow& w = *(*ctl)[Metric::timer].worst;
  ASSERT_FALSE(w.events.empty());
  EXPECT_EQ(w.events.front().kind, EventKind::hrtimer_expire_entry);
  EXPECT_EQ(w.events.front().cpu, 1);
  EXPECT_EQ(w.cpu, 0);
  EXPECT_EQ(r.trace.unobserved_timer, 0u);
}

TEST(TimerLatency, PidReuseStartsAfresh) {
  const Results r = analyze("timer_pid_reuse.txt");
  const TaskResult* old_task = task(r, 100, 0);
  const TaskResult* new_task = task(r, 100, 1);
  ASSERT_NE(old_task, nullptr);
  ASSERT_NE(new_task, nullptr);
  EXPECT_EQ(old_task->comm, "old");
  EXPECT_EQ(new_task->comm, "new");
  expect_timer(old_task, 0);
  expect_timer(new_task, 1, 5000, 5000, 5000);
  expect_split(new_task, 2000, 1000, 3000, 2000);
  EXPECT_EQ(r.trace.unobserved_timer, 0u);
}

TEST(TimerLatency, LostEventsAreCountedNotGuessed) {
  const Results r = analyze("timer_lost.txt");
  const TaskResult* ctl = task(r, 100);
  expect_timer(ctl, 1, 2000, 2000, 2000);
  expect_split(ctl, 0, 500, 500, 1500);
  EXPECT_EQ(r.trace.unobserved_timer, 2u);
  EXPECT_EQ(r.trace.unobserved_timer_no_request, 1u);
  EXPECT_EQ(r.trace.unobserved_timer_clock, 0u);
  EXPECT_EQ(r.trace.lost_event_markers, 2u);
  EXPECT_EQ((*ctl)[Metric::timer].unobserved, 2u);
}

TEST(TimerLatency, SlackCountsFromSoftexpires) {
  const Results r = analyze("timer_slack.txt");
  const TaskResult* app = task(r, 100);
  expect_timer(app, 1, 53000, 53000, 53000);
  expect_split(app, 49000, 1000, 50000, 3000);
}

// What a trace.dat with a mono clock and no hrtimer_expire_entry would say.
SourceInfo mono_without_expiry() {
  SourceInfo mono;
  mono.hrtimer_expiry_recorded = false;
  mono.clock_monotonic = true;
  return mono;
}

// timer_no_expiry*.txt: ctl 100's two own-sleep samples on a mono clock (5 and 15 us, the worst
// 12 us to its wakeup and 3 us of scheduling); on an unknown clock, its three wakeups counted
// unobserved. Returns the mono results.
Results expect_own_sleeps(const std::string& trace) {
  SCOPED_TRACE(trace);
  Results m = analyze(trace, mono_without_expiry());
  const TaskResult* ctl = task(m, 100);
  expect_timer(ctl, 2, 5000, 15000, 10000);
  expect_split(ctl, std::nullopt, std::nullopt, 12000, 3000);
  EXPECT_EQ(m.trace.unobserved_timer, 0u);

  const Results u = analyze(trace);  // text: the clock is not known
  expect_timer(task(u, 100), 0);
  EXPECT_EQ(u.trace.unobserved_timer, 3u);
  EXPECT_EQ(u.trace.unobserved_timer_clock, 3u);
  EXPECT_EQ((*task(u, 100))[Metric::timer].unobserved, 3u);
  return m;
}

TEST(TimerLatency, WithoutExpiryEventsOnlyAMonotonicClockGivesSamples) {
  expect_own_sleeps("timer_no_expiry.txt");
}

// With sched_wakeup recorded too, the task's own sleep timer is checked at the sched_wakeup,
// yet the sample is split at the sched_waking and its window starts there.
TEST(TimerLatency, WithoutExpiryEventsTheWakingStillSplitsTheSample) {
  const Results m = expect_own_sleeps("timer_no_expiry_wakeup.txt");
  const TaskResult* ctl = task(m, 100);
  ASSERT_NE(ctl, nullptr);
  const std::optional<WorstWindow>& w = (*ctl)[Metric::timer].worst;
  ASSERT_TRUE(w.has_value());
  ASSERT_FALSE(w->events.empty());
  EXPECT_EQ(w->events.front().kind, EventKind::sched_waking);
  EXPECT_EQ(w->events.front().ts, 100'000'112'000);
  // The window: the waking, the sched_wakeup and the switch-in on the task's CPU (the other
  // task's events on CPU 1 are not on the task's CPUs).
  EXPECT_EQ(w->events.size(), 3u);
  EXPECT_EQ(w->elided, 0u);
  expect_timer(task(m, 300), 0);
  // Cut to two events, the window still counts the sched_wakeup that came after the waking.
  Config two;
  two.window = 2;
  const Results cut = analyze("timer_no_expiry_wakeup.txt", mono_without_expiry(), two);
  const std::optional<WorstWindow>& cw = (*task(cut, 100))[Metric::timer].worst;
  ASSERT_TRUE(cw.has_value());
  EXPECT_EQ(cw->events.size(), 2u);
  EXPECT_EQ(cw->elided, 1u);
}

// The table of armed timers: backward-shift deletion keeps every other timer findable, and it
// grows past its first size without losing any.
TEST(TimerLatency, ArmedTimersTable) {
  detail::ArmedTimers t;
  for (std::uint64_t i = 1; i <= 1000; ++i) t.set(i * 64, static_cast<std::int64_t>(i));
  EXPECT_EQ(t.size(), 1000u);
  for (std::uint64_t i = 1; i <= 1000; i += 2)
    EXPECT_EQ(t.take(i * 64), static_cast<std::int64_t>(i));
  EXPECT_EQ(t.size(), 500u);
  for (std::uint64_t i = 2; i <= 1000; i += 2)
    EXPECT_EQ(t.take(i * 64), static_cast<std::int64_t>(i));
  EXPECT_EQ(t.size(), 0u);
  EXPECT_FALSE(t.take(64).has_value());
  t.set(64, 5);
  t.set(64, 7);  // a re-arm replaces
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.take(64), 7);
  std::int64_t slack = -1;
  t.set(64, 10, 15);
  EXPECT_EQ(t.take(64, &slack), 10);
  EXPECT_EQ(slack, 5);
  t.set(64, 10);  // a sleep marker's: no expires
  t.set(64, 12, 12);
  EXPECT_EQ(t.take(64, &slack), 12);
  EXPECT_EQ(slack, 0);
}

// A full table starts over at a new timer, never at a re-arm of one it holds: re-arming a CPU's
// tick must not forget every other timer armed.
TEST(TimerLatency, ArmedTimersFullTableKeepsItsTimersOnReArm) {
  detail::ArmedTimers t;
  constexpr std::uint64_t n = detail::ArmedTimers::max_armed_timers;
  for (std::uint64_t i = 1; i <= n; ++i) t.set(i * 64, static_cast<std::int64_t>(i));
  EXPECT_EQ(t.size(), n);
  t.set(64, 1000);  // the first one, re-armed
  EXPECT_EQ(t.size(), n);
  EXPECT_EQ(t.take(64), 1000);
  EXPECT_EQ(t.take(n * 64), static_cast<std::int64_t>(n));
  t.set(64, 5);      // n - 1 timers: room for one more
  t.set(n * 64, 6);  // the table is full again
  EXPECT_EQ(t.size(), n);
  t.set((n + 1) * 64, 7);  // a new timer: the table starts over with it alone
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.take((n + 1) * 64), 7);
}

// After warm-up, the timer and irq_latency sources allocate nothing however many events come
// (README, Performance): a task sleeps on its hrtimer, its expiry wakes it, a hard IRQ comes and
// another timer is re-armed, every millisecond, with and without expiry events recorded.
TEST(TimerLatency, AllocationsDoNotFollowEvents) {
  for (const bool expiries : {true, false}) {
    SCOPED_TRACE(expiries ? "with expiry events" : "without expiry events");
    std::vector<Event> cycle;
    auto stream = [&](std::int64_t k) {
      cycle.clear();
      const Timestamp t = 1'000'000'000 + k * 1'000'000;
      cycle.push_back(
          Event::make_timer_sleep(t, 0, 100, TimerSleepSource::hrtimer, -1, 0x1000, t + 500'000));
      cycle.push_back(Event::make_hrtimer(EventKind::hrtimer_start, t + 1, 0, 100, 0x2000,
                                          t + 4'000'000, t + 4'000'000));
      cycle.push_back(Event::make_switch(t + 2, 0, 100, 100, "sleeper", 49, PrevState::sleeping, 1,
                                         0, "swapper/0", 120));
      if (expiries)
        cycle.push_back(Event::make_hrtimer(EventKind::hrtimer_expire_entry, t + 500'100, 0, 0,
                                            0x1000, 0, 0, t + 500'100));
      cycle.push_back(
          Event::make_wakeup(EventKind::sched_waking, t + 500'200, 0, 0, 100, "sleeper", 49, 0));
      cycle.push_back(
          Event::make_wakeup(EventKind::sched_wakeup, t + 500'250, 0, 0, 100, "sleeper", 49, 0));
      if (expiries)
        cycle.push_back(
            Event::make_hrtimer(EventKind::hrtimer_expire_exit, t + 500'300, 0, 0, 0x1000));
      cycle.push_back(Event::make_irq(EventKind::irq_entry, t + 500'350, 0, 0, 9, "acpi"));
      cycle.push_back(Event::make_irq(EventKind::irq_exit, t + 500'400, 0, 0, 9));
      cycle.push_back(Event::make_switch(t + 500'500, 0, 0, 0, "swapper/0", 120,
                                         PrevState::runnable, 0, 100, "sleeper", 49));
    };
    Analyzer a;
    SourceInfo facts;
    facts.hrtimer_expiry_recorded = expiries;
    facts.clock_monotonic = true;
    a.set_source(facts);
    constexpr std::int64_t warm_up = 100;
    constexpr std::int64_t measured = 10'000;
    std::int64_t k = 0;
    for (; k < warm_up; ++k) {
      stream(k);
      for (const Event& e : cycle) a.feed(e);
    }
    rtlat_test::alloc::count = 0;
    for (; k < warm_up + measured; ++k) {
      stream(k);  // cycle keeps its capacity: no allocation
      rtlat_test::alloc::counting = true;
      for (const Event& e : cycle) a.feed(e);
      rtlat_test::alloc::counting = false;
    }
    EXPECT_EQ(rtlat_test::alloc::count, 0u);
    // The count sees allocations: results() makes some.
    rtlat_test::alloc::counting = true;
    const Results counted = a.results();
    rtlat_test::alloc::counting = false;
    EXPECT_GT(rtlat_test::alloc::count, 0u);
    EXPECT_FALSE(counted.tasks.empty());
    // What was fed was measured: one timer sample per cycle, each 500 ns from the requested
    // expiry to the switch-in.
    const Results r = a.results();
    const TaskResult* t = task(r, 100);
    expect_timer(t, static_cast<std::uint64_t>(warm_up + measured), 500, 500, 500);
  }
}

}  // namespace
