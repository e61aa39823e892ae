// Engine rules on hand-worked event sequences. Times are in microseconds; every expected value
// is worked out in the comment above the check.
#include <gtest/gtest.h>
#include <rtlat/report/json.hpp>
#include <rtlat/source/text.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "event_builder.hpp"

using namespace rtlat;
using rtlat::test::Feed;
using rtlat::test::find_task;
using rtlat::test::us;

namespace {

constexpr PrevState S = PrevState::sleeping;
constexpr PrevState R = PrevState::runnable;
constexpr PrevState Rp = PrevState::preempted;
constexpr PrevState D = PrevState::blocked;
constexpr PrevState X = PrevState::dead;

// By value: callers may pass a task of a temporary Results.
MetricResult M(const TaskResult* t, Metric m) {
  return (*t)[m];
}

TEST(Engine, MultipleWakeupsBeforeSwitchInMeasureFromTheFirst) {
  Analyzer a;
  Feed f(a);
  f.sw(0, 0, 100, "A", S, 0, "swapper/0");   // A sleeps
  f.wake(10, 1, 200, 100, "A", 0);           // latency and response start at 10
  f.wake(12, 1, 200, 100, "A", 0);           // A is runnable: starts nothing
  f.sw(15, 0, 0, "swapper/0", R, 100, "A");  // latency 15 - 10 = 5
  f.sw(20, 0, 100, "A", S, 0, "swapper/0");  // response 20 - 10 = 10
  const Results r = a.results();
  const TaskResult* t = find_task(r, 100);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(M(t, Metric::latency).count, 1u);
  EXPECT_EQ(M(t, Metric::latency).max_ns, 5000);
  EXPECT_EQ(M(t, Metric::response).count, 1u);
  EXPECT_EQ(M(t, Metric::response).max_ns, 10000);
  EXPECT_EQ(M(t, Metric::relief).count, 0u);
  EXPECT_EQ(r.trace.implicit_switches, 0u);
  EXPECT_EQ(r.trace.unobserved_latency, 0u);
  ASSERT_EQ(f.samples.size(), 2u);
  EXPECT_EQ(f.samples[0].metric, Metric::latency);
  EXPECT_EQ(f.samples[0].start_ns, us(10));
  EXPECT_EQ(f.samples[0].end_ns, us(15));
}

TEST(Engine, PreemptionInsideResponseDoesNotEndIt) {
  Analyzer a;
  Feed f(a);
  f.sw(0, 0, 100, "A", S, 0, "swapper/0");
  f.wake(10, 1, 200, 100, "A", 0);
  f.sw(12, 0, 0, "swapper/0", R, 100, "A");  // latency 2
  f.sw(20, 0, 100, "A", Rp, 300, "C");       // preempted: response goes on
  f.sw(25, 0, 300, "C", S, 100, "A");        // back in: not a latency sample (no wakeup)
  f.sw(30, 0, 100, "A", S, 0, "swapper/0");  // response 30 - 10 = 20
  const Results r = a.results();
  const TaskResult* t = find_task(r, 100);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(M(t, Metric::latency).count, 1u);
  EXPECT_EQ(M(t, Metric::latency).max_ns, 2000);
  EXPECT_EQ(M(t, Metric::response).count, 1u);
  EXPECT_EQ(M(t, Metric::response).min_ns, 20000);
}

TEST(Engine, ReliefSpansAMutexSleepInsideTheCycle) {
  Analyzer a;
  Feed f(a);
  f.nanosleep(0, 0, 100);
  f.sw(1, 0, 100, "ctl", S, 0, "swapper/0");     // a timer sleep
  f.wake(1000, 0, 0, 100, "ctl", 0);             // timer wakeup: relief starts at 1000
  f.sw(1005, 0, 0, "swapper/0", R, 100, "ctl");  // latency 5
  f.sw(1100, 0, 100, "ctl", S, 0, "swapper/0");  // mutex sleep: response 100, relief goes on
  f.wake(1300, 1, 200, 100, "ctl", 0);           // mutex released: latency starts, relief goes on
  f.sw(1302, 0, 0, "swapper/0", R, 100, "ctl");  // latency 2
  f.nanosleep(1400, 0, 100);
  f.sw(1401, 0, 100, "ctl", S, 0, "swapper/0");  // response 101, relief 1401 - 1000 = 401
  f.wake(2000, 0, 0, 100, "ctl", 0);
  f.sw(2003, 0, 0, "swapper/0", R, 100, "ctl");  // latency 3
  f.nanosleep(2050, 0, 100);
  f.sw(2051, 0, 100, "ctl", S, 0, "swapper/0");  // response 51, relief 51
  const Results r = a.results();
  const TaskResult* t = find_task(r, 100);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(M(t, Metric::latency).count, 3u);
  EXPECT_EQ(M(t, Metric::latency).min_ns, 2000);
  EXPECT_EQ(M(t, Metric::latency).max_ns, 5000);
  EXPECT_EQ(M(t, Metric::response).count, 3u);
  EXPECT_EQ(M(t, Metric::response).min_ns, 51000);
  EXPECT_EQ(M(t, Metric::response).max_ns, 101000);
  EXPECT_EQ(M(t, Metric::relief).count, 2u);
  EXPECT_EQ(M(t, Metric::relief).min_ns, 51000);
  EXPECT_EQ(M(t, Metric::relief).max_ns, 401000);
  EXPECT_DOUBLE_EQ(*M(t, Metric::relief).mean_ns, (401000.0 + 51000.0) / 2);
}

TEST(Engine, EventDrivenTaskHasNoRelief) {
  Analyzer a;
  Feed f(a);
  f.sw(0, 0, 100, "worker", S, 0, "swapper/0");  // futex wait, no timer marker
  for (int i = 1; i <= 3; ++i) {
    const double t0 = i * 100.0;
    f.wake(t0, 1, 200, 100, "worker", 0);
    f.sw(t0 + i, 0, 0, "swapper/0", R, 100, "worker");   // latency i
    f.sw(t0 + 10, 0, 100, "worker", S, 0, "swapper/0");  // response 10
  }
  const Results r = a.results();
  const TaskResult* t = find_task(r, 100);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(M(t, Metric::latency).count, 3u);
  EXPECT_EQ(M(t, Metric::latency).min_ns, 1000);
  EXPECT_EQ(M(t, Metric::latency).max_ns, 3000);
  EXPECT_DOUBLE_EQ(*M(t, Metric::latency).mean_ns, 2000.0);
  EXPECT_EQ(M(t, Metric::response).count, 3u);
  EXPECT_EQ(M(t, Metric::relief).count, 0u);
  EXPECT_FALSE(M(t, Metric::relief).max_ns.has_value());
  EXPECT_FALSE(M(t, Metric::relief).worst.has_value());
}

TEST(Engine, IrqThreadEntryExitPairs) {
  Analyzer a;
  Feed f(a);
  f.sw(0, 0, 0, "swapper/0", R, 50, "irq/42-eth0");
  a.feed(Event::make_irq(EventKind::irq_thread_entry, us(10), 0, 50, 42, "eth0"));
  a.feed(Event::make_irq(EventKind::irq_thread_exit, us(15), 0, 50, 42));  // 5
  a.feed(Event::make_irq(EventKind::irq_thread_entry, us(30), 0, 50, 42, "eth0"));
  a.feed(Event::make_irq(EventKind::irq_thread_exit, us(130), 0, 50, 42));  // 100
  // Entry/exit of a task that is not an irq/ thread is not an irq metric.
  f.sw(140, 0, 50, "irq/42-eth0", S, 60, "worker");
  a.feed(Event::make_irq(EventKind::irq_thread_entry, us(141), 0, 60, 42, "eth0"));
  a.feed(Event::make_irq(EventKind::irq_thread_exit, us(142), 0, 60, 42));
  const Results r = a.results();
  const TaskResult* t = find_task(r, 50);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(M(t, Metric::irq).count, 2u);
  EXPECT_EQ(M(t, Metric::irq).min_ns, 5000);
  EXPECT_EQ(M(t, Metric::irq).max_ns, 100000);
  EXPECT_FALSE(M(t, Metric::irq).derived);
  EXPECT_EQ(M(find_task(r, 60), Metric::irq).count, 0u);
}

TEST(Engine, DerivedIrqIsOnCpuTimeWithoutPreemption) {
  Analyzer a;
  Feed f(a);
  f.sw(0, 0, 50, "irq/42-eth0", S, 0, "swapper/0");
  f.wake(10, 0, 0, 50, "irq/42-eth0", 0);
  f.sw(11, 0, 0, "swapper/0", R, 50, "irq/42-eth0");  // activation starts: latency 1
  f.sw(15, 0, 50, "irq/42-eth0", Rp, 300, "C");       // 4 on CPU, then preempted
  f.sw(25, 0, 300, "C", S, 50, "irq/42-eth0");        // resumes
  f.sw(28, 0, 50, "irq/42-eth0", S, 0, "swapper/0");  // +3: activation = 7
  const Results r = a.results();
  const TaskResult* t = find_task(r, 50);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(M(t, Metric::irq).count, 1u);
  EXPECT_EQ(M(t, Metric::irq).max_ns, 7000);
  EXPECT_TRUE(M(t, Metric::irq).derived);
  EXPECT_EQ(M(t, Metric::latency).max_ns, 1000);
  // Non-irq tasks never get a derived irq metric.
  EXPECT_EQ(M(find_task(r, 300), Metric::irq).count, 0u);
  EXPECT_FALSE(M(find_task(r, 300), Metric::irq).derived);
}

TEST(Engine, DerivedIrqNeedsASeenSwitchIn) {
  Analyzer a;
  Feed f(a);
  f.sw(0, 0, 50, "irq/42-eth0", S, 0, "swapper/0");
  f.wake(10, 0, 0, 50, "irq/42-eth0", 0);
  f.run(11, 0, 50);                                   // switch-in not recorded
  f.sw(28, 0, 50, "irq/42-eth0", S, 0, "swapper/0");  // activation start unknown: no sample
  const Results r = a.results();
  EXPECT_EQ(M(find_task(r, 50), Metric::irq).count, 0u);
  EXPECT_EQ(r.trace.unobserved_irq, 1u);
  EXPECT_EQ(r.trace.unobserved_latency, 1u);
}

TEST(Engine, IrqThreadRunningAtTraceStartIsNotUnobserved) {
  Analyzer a;
  Feed f(a);
  f.sw(0, 0, 50, "irq/42-eth0", S, 0, "swapper/0");  // first event: an activation begun before
  const Results r = a.results();
  EXPECT_EQ(r.trace.unobserved_irq, 0u);
  EXPECT_EQ(M(find_task(r, 50), Metric::irq).count, 0u);
}

TEST(Engine, DerivedIrqDropsDoNotCountOnceHandlerEventsExist) {
  Analyzer a;
  Feed f(a);
  f.sw(0, 0, 50, "irq/42-eth0", S, 0, "swapper/0");
  f.wake(10, 0, 0, 50, "irq/42-eth0", 0);
  f.run(11, 0, 50);  // missed switch-in: the derived activation is unobservable
  f.sw(28, 0, 50, "irq/42-eth0", S, 0, "swapper/0");
  EXPECT_EQ(a.results().trace.unobserved_irq, 1u);  // derived irq is the irq metric so far
  a.feed(Event::make_irq(EventKind::irq_thread_entry, us(30), 0, 0, 42, "eth0"));
  EXPECT_EQ(a.results().trace.unobserved_irq, 0u);  // real handler events: derived drops moot
}

TEST(Engine, MissingSwitchInAfterIdleDropsLatencyKeepsResponse) {
  Analyzer a;
  Feed f(a);
  f.sw(0, 0, 100, "A", S, 0, "swapper/0");
  f.wake(10, 1, 200, 100, "A", 0);
  f.run(12, 0, 100);                         // A runs on CPU 0, but swapper -> A was not recorded
  f.sw(20, 0, 100, "A", S, 0, "swapper/0");  // response 20 - 10 = 10 (both ends seen)
  const Results r = a.results();
  const TaskResult* t = find_task(r, 100);
  EXPECT_EQ(M(t, Metric::latency).count, 0u);
  EXPECT_EQ(r.trace.unobserved_latency, 1u);
  EXPECT_EQ(r.trace.implicit_switches, 1u);
  EXPECT_EQ(M(t, Metric::response).count, 1u);
  EXPECT_EQ(M(t, Metric::response).max_ns, 10000);
}

TEST(Engine, ReliefIsKeptWhenOnlyTheSwitchInIsMissing) {
  Analyzer a;
  Feed f(a);
  f.nanosleep(0, 0, 100);
  f.sw(1, 0, 100, "ctl", S, 0, "swapper/0");
  f.wake(1000, 0, 0, 100, "ctl", 0);
  f.nanosleep(1200, 0, 100);                     // runs: switch-in missing
  f.sw(1201, 0, 100, "ctl", S, 0, "swapper/0");  // relief 201, response 201
  const Results r = a.results();
  const TaskResult* t = find_task(r, 100);
  EXPECT_EQ(M(t, Metric::latency).count, 0u);
  EXPECT_EQ(M(t, Metric::relief).count, 1u);
  EXPECT_EQ(M(t, Metric::relief).max_ns, 201000);
  EXPECT_EQ(M(t, Metric::response).max_ns, 201000);
}

TEST(Engine, TaskSwitchedOutUnseenLosesItsInFlightResponse) {
  Analyzer a;
  Feed f(a);
  f.sw(0, 0, 100, "A", S, 0, "swapper/0");
  f.wake(10, 1, 200, 100, "A", 0);
  f.sw(11, 0, 0, "swapper/0", R, 100, "A");  // latency 1, response open
  f.run(20, 0, 300);                         // someone else runs: A left unseen
  f.wake(30, 1, 200, 100, "A", 0);           // so A slept unseen: response end unknown
  f.sw(31, 0, 300, "B", S, 100, "A");        // latency 1
  f.sw(40, 0, 100, "A", S, 0, "swapper/0");  // response 40 - 30 = 10
  const Results r = a.results();
  const TaskResult* t = find_task(r, 100);
  EXPECT_EQ(M(t, Metric::latency).count, 2u);
  EXPECT_EQ(M(t, Metric::response).count, 1u);
  EXPECT_EQ(M(t, Metric::response).max_ns, 10000);
  EXPECT_EQ(r.trace.unobserved_response, 1u);
  EXPECT_EQ(r.trace.implicit_switches, 1u);
}

TEST(Engine, LostEventsDropInFlightIntervalsOfThatCpu) {
  Analyzer a;
  Feed f(a);
  f.sw(0, 0, 100, "A", S, 0, "swapper/0");
  f.sw(0, 1, 400, "Z", S, 0, "swapper/1");
  f.wake(10, 1, 200, 100, "A", 0);           // A waits on CPU 0
  f.wake(10, 1, 200, 400, "Z", 1);           // Z waits on CPU 1
  f.lost(11, 0, 5);                          // CPU 0 lost 5 events: A's latency/response are void
  f.sw(12, 0, 0, "swapper/0", R, 100, "A");  // no sample: A's state was unknown
  f.sw(13, 1, 200, "B", S, 400, "Z");        // Z unaffected: latency 3
  f.sw(20, 0, 100, "A", S, 0, "swapper/0");  // no response
  f.wake(30, 1, 200, 100, "A", 0);
  f.sw(31, 0, 0, "swapper/0", R, 100, "A");  // latency 1
  const Results r = a.results();
  const TaskResult* t = find_task(r, 100);
  EXPECT_EQ(M(t, Metric::latency).count, 1u);
  EXPECT_EQ(M(t, Metric::latency).max_ns, 1000);
  EXPECT_EQ(M(t, Metric::response).count, 0u);
  EXPECT_EQ(M(find_task(r, 400), Metric::latency).max_ns, 3000);
  EXPECT_EQ(r.trace.lost_events, 5u);
  EXPECT_EQ(r.trace.lost_event_markers, 1u);
  EXPECT_EQ(r.trace.unobserved_latency, 1u);
  EXPECT_EQ(r.trace.unobserved_response, 1u);
}

TEST(Engine, LostEventsCountTasksNeverSeenAgain) {
  Analyzer a;
  Feed f(a);
  f.sw(0, 0, 100, "A", S, 0, "swapper/0");
  f.wake(10, 1, 200, 100, "A", 0);
  f.lost(11, 0, 0);  // A's latency and response are void; A never appears again
  const Results r = a.results();
  EXPECT_EQ(r.trace.unobserved_latency, 1u);
  EXPECT_EQ(r.trace.unobserved_response, 1u);
  EXPECT_EQ(r.trace.lost_events, 0u);  // the marker did not say how many
  EXPECT_EQ(r.trace.lost_event_markers, 1u);
}

TEST(Engine, LostEventsMakeATaskSleepingThereForgetItsLastSleep) {
  Analyzer a;
  Feed f(a);
  f.nanosleep(0, 0, 100);
  f.sw(1, 0, 100, "ctl", S, 0, "swapper/0");  // a timer sleep on CPU 0
  f.lost(5, 0, 3);                            // it may have woken, run and slept again unseen
  f.wake(1000, 1, 0, 100, "ctl", 0);
  f.sw(1001, 0, 0, "swapper/0", R, 100, "ctl");  // latency 1
  f.nanosleep(1050, 0, 100);
  f.sw(1051, 0, 100, "ctl", S, 0, "swapper/0");  // no relief: its start was not a known timer wake
  const Results r = a.results();
  const TaskResult* t = find_task(r, 100);
  EXPECT_EQ(M(t, Metric::latency).count, 1u);
  EXPECT_EQ(M(t, Metric::relief).count, 0u);
  EXPECT_EQ(r.trace.unobserved_relief, 0u);  // nothing was in flight
}

TEST(Engine, PidReuseMakesANewTask) {
  Analyzer a;
  Feed f(a);
  f.sw(0, 0, 100, "old", S, 0, "swapper/0");
  f.wake(10, 1, 200, 100, "old", 0);
  f.sw(11, 0, 0, "swapper/0", R, 100, "old");  // latency 1
  a.feed(Event::make_exit(us(12), 0, 100, 100, "old", 120));
  f.sw(13, 0, 100, "old", X, 0, "swapper/0");
  a.feed(Event::make_fork(us(20), 1, 200, 200, 100, "new"));
  f.wake(21, 1, 200, 100, "new", 0, EventKind::sched_wakeup_new);
  f.sw(25, 0, 0, "swapper/0", R, 100, "new");  // latency 4
  const Results r = a.results();
  const TaskResult* t1 = find_task(r, 100, 0);
  const TaskResult* t2 = find_task(r, 100, 1);
  ASSERT_NE(t1, nullptr);
  ASSERT_NE(t2, nullptr);
  EXPECT_EQ(t1->comm, "old");
  EXPECT_TRUE(t1->exited);
  EXPECT_EQ(M(t1, Metric::latency).max_ns, 1000);
  EXPECT_EQ(t2->comm, "new");
  EXPECT_FALSE(t2->exited);
  EXPECT_EQ(M(t2, Metric::latency).count, 1u);
  EXPECT_EQ(M(t2, Metric::latency).max_ns, 4000);
}

TEST(Engine, AnExecBeforeExitIsNotPidReuse) {
  Analyzer a;
  Feed f(a);
  a.feed(Event::make_fork(us(0), 0, 3506, 3506, 12760, "bash"));
  f.wake(1, 0, 3506, 12760, "bash", 0, EventKind::sched_wakeup_new);
  f.sw(2, 0, 3506, "bash", S, 12760, "bash");  // latency 1
  // It execs cat (no event says so) and exits: the exit and the last switch name it "cat".
  a.feed(Event::make_exit(us(3), 0, 12760, 12760, "cat", 120));
  f.sw(4, 0, 12760, "cat", X, 3506, "bash");
  const Results r = a.results();
  ASSERT_NE(find_task(r, 12760), nullptr);
  EXPECT_EQ(find_task(r, 12760, 1), nullptr);  // one task, not two
  EXPECT_EQ(find_task(r, 12760)->comm, "cat");
  EXPECT_TRUE(find_task(r, 12760)->exited);
  EXPECT_EQ(M(find_task(r, 12760), Metric::latency).max_ns, 1000);
}

TEST(Engine, WakeupOfARunningTaskStartsNothing) {
  Analyzer a;
  Feed f(a);
  f.sw(0, 0, 0, "swapper/0", R, 100, "A");   // A runs (state before unknown)
  f.wake(5, 1, 200, 100, "A", 0);            // woken while running: nothing
  f.sw(10, 0, 100, "A", S, 0, "swapper/0");  // no response: never started
  f.wake(20, 1, 200, 100, "A", 0);
  f.sw(22, 0, 0, "swapper/0", R, 100, "A");  // latency 2
  f.sw(30, 0, 100, "A", D, 0, "swapper/0");  // response 10 (D is a sleep)
  const Results r = a.results();
  const TaskResult* t = find_task(r, 100);
  EXPECT_EQ(M(t, Metric::latency).count, 1u);
  EXPECT_EQ(M(t, Metric::latency).max_ns, 2000);
  EXPECT_EQ(M(t, Metric::response).count, 1u);
  EXPECT_EQ(M(t, Metric::response).max_ns, 10000);
}

TEST(Engine, SloViolationIsStrictlyOverTheBound) {
  Config c;
  c.slo(Metric::latency) = std::chrono::nanoseconds(2000);
  c.slo(101, Metric::latency) = std::chrono::nanoseconds(5000);
  Analyzer a(c);
  Feed f(a);
  std::vector<Sample> violations;
  a.on_violation([&](const Sample& s) { violations.push_back(s); });
  for (Pid pid : {100, 101}) {
    const char* comm = pid == 100 ? "A" : "B";
    const double t0 = pid == 100 ? 0 : 100;
    f.sw(t0, 0, pid, comm, S, 0, "swapper/0");
    f.wake(t0 + 10, 1, 200, pid, comm, 0);
    f.sw(t0 + 12, 0, 0, "swapper/0", R, pid, comm);  // 2000 ns: at the bound
    f.sw(t0 + 13, 0, pid, comm, S, 0, "swapper/0");
    f.wake(t0 + 20, 1, 200, pid, comm, 0);
    f.sw(t0 + 22.001, 0, 0, "swapper/0", R, pid, comm);  // 2001 ns: one over
    f.sw(t0 + 23, 0, pid, comm, S, 0, "swapper/0");
  }
  const Results r = a.results();
  const auto& la = M(find_task(r, 100), Metric::latency);
  EXPECT_EQ(la.count, 2u);
  EXPECT_EQ(la.slo_ns, 2000);
  EXPECT_EQ(la.violations, 1u);
  EXPECT_EQ(la.max_ns, 2001);
  const auto& lb = M(find_task(r, 101), Metric::latency);
  EXPECT_EQ(lb.slo_ns, 5000);
  EXPECT_EQ(lb.violations, 0u);
  EXPECT_FALSE(M(find_task(r, 100), Metric::response).slo_ns.has_value());
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].pid, 100);
  EXPECT_EQ(violations[0].value_ns, 2001);
}

TEST(Engine, TimeGoingBackwardsOnACpuIsAnInputError) {
  Analyzer a;
  Feed f(a);
  f.run(10, 0, 100);
  f.run(5, 1, 100);  // another CPU may be behind
  try {
    f.run(9, 0, 100);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("time went backwards"), std::string::npos);
    EXPECT_EQ(e.in_file("x.txt").file(), "x.txt");
  }
}

TEST(Engine, WakingModeMeasuresFromSchedWaking) {
  for (WakeupEvent mode : {WakeupEvent::wakeup, WakeupEvent::waking}) {
    Config c;
    c.wakeup_event = mode;
    Analyzer a(c);
    Feed f(a);
    f.sw(0, 0, 100, "A", S, 0, "swapper/0");
    f.wake(10, 1, 200, 100, "A", 0, EventKind::sched_waking);
    f.wake(11, 1, 200, 100, "A", 0);
    f.sw(15, 0, 0, "swapper/0", R, 100, "A");
    const auto& l = M(find_task(a.results(), 100), Metric::latency);
    EXPECT_EQ(l.max_ns, mode == WakeupEvent::waking ? 5000 : 4000);
  }
}

// One timer cycle per call, ending in a sleep announced by `marker`.
void cycle(Feed& f, double t0, void (Feed::*marker)(double, int, Pid)) {
  f.wake(t0, 0, 0, 100, "ctl", 0);
  f.sw(t0 + 1, 0, 0, "swapper/0", R, 100, "ctl");
  (f.*marker)(t0 + 50, 0, 100);
  f.sw(t0 + 51, 0, 100, "ctl", S, 0, "swapper/0");
}

TEST(Engine, HrtimerMarkersCountUntilTheFirstSyscallMarker) {
  Analyzer a;  // text input: syscall_events_recorded unknown
  Feed f(a);
  f.hrtimer(0, 0, 100);
  f.sw(1, 0, 100, "ctl", S, 0, "swapper/0");
  cycle(f, 100, &Feed::hrtimer);    // relief 51
  cycle(f, 200, &Feed::hrtimer);    // relief 51
  cycle(f, 300, &Feed::nanosleep);  // relief 51; from now on syscall markers win
  cycle(f, 400, &Feed::hrtimer);    // not a timer sleep any more: relief goes on
  cycle(f, 500, &Feed::nanosleep);  // relief 551 - 400 = 151
  const auto& rl = M(find_task(a.results(), 100), Metric::relief);
  EXPECT_EQ(rl.count, 4u);
  EXPECT_EQ(rl.max_ns, 151000);
}

TEST(Engine, HrtimerMarkersIgnoredWhenTheSourceRecordedSyscalls) {
  Analyzer a;
  SourceInfo info;
  info.syscall_events_recorded = true;
  a.set_source(info);
  Feed f(a);
  f.nanosleep(0, 0, 100);
  f.sw(1, 0, 100, "ctl", S, 0, "swapper/0");
  cycle(f, 100, &Feed::hrtimer);    // ignored: relief goes on
  cycle(f, 200, &Feed::nanosleep);  // relief 251 - 100 = 151
  const auto& rl = M(find_task(a.results(), 100), Metric::relief);
  EXPECT_EQ(rl.count, 1u);
  EXPECT_EQ(rl.max_ns, 151000);
}

TEST(Engine, WorstWindowHoldsTheExplainingEvents) {
  Analyzer a;
  Feed f(a);
  f.sw(0, 0, 100, "ctl", S, 0, "swapper/0");
  f.wake(10, 0, 0, 100, "ctl", 0);             // start
  f.sw(11, 0, 0, "swapper/0", R, 300, "hog");  // the hog takes the CPU
  f.run(12, 1, 500);                           // unrelated CPU: not in the window
  f.run(15, 0, 300);                           // hog's own event: not about ctl, not sched
  f.sw(40, 0, 300, "hog", Rp, 100, "ctl");     // end: latency 30
  const Results r = a.results();
  const auto& l = M(find_task(r, 100), Metric::latency);
  ASSERT_TRUE(l.worst.has_value());
  const WorstWindow& w = *l.worst;
  EXPECT_EQ(w.start_ns, us(10));
  EXPECT_EQ(w.end_ns, us(40));
  EXPECT_EQ(w.cpu, 0);
  EXPECT_EQ(w.elided, 0u);
  ASSERT_EQ(w.events.size(), 3u);
  EXPECT_EQ(w.events[0].kind, EventKind::sched_wakeup);
  EXPECT_EQ(w.events[1].kind, EventKind::sched_switch);
  EXPECT_EQ(w.events[1].sw.next_pid, 300);
  EXPECT_EQ(w.events[2].ts, us(40));
}

TEST(Engine, WorstWindowIsCappedAndCountsWhatItLeftOut) {
  Config c;
  c.window = 8;
  Analyzer a(c);
  Feed f(a);
  f.sw(0, 0, 100, "ctl", S, 0, "swapper/0");
  f.wake(10, 0, 0, 100, "ctl", 0);
  for (int i = 0; i < 20; ++i) {  // 20 wakeups of others on the CPU where ctl waits
    f.wake(11 + i, 0, 0, 600 + i, "w", 1);
  }
  f.sw(40, 0, 0, "swapper/0", R, 100, "ctl");
  const WorstWindow w = *M(find_task(a.results(), 100), Metric::latency).worst;
  ASSERT_EQ(w.events.size(), 8u);
  EXPECT_EQ(w.elided, 22u - 8u);
  EXPECT_EQ(w.events.front().ts, us(10));  // the start is kept
  EXPECT_EQ(w.events.back().ts, us(40));   // and the end
}

TEST(Engine, WindowStartSurvivesHistoryOverflow) {
  Config c;
  c.history = 16;
  Analyzer a(c);
  Feed f(a);
  f.sw(0, 0, 100, "ctl", S, 0, "swapper/0");
  f.wake(10, 0, 0, 100, "ctl", 0);
  for (int i = 0; i < 40; ++i) f.wake(11 + i * 0.1, 0, 0, 600 + i, "w", 1);  // push history out
  f.sw(60, 0, 0, "swapper/0", R, 100, "ctl");
  const WorstWindow w = *M(find_task(a.results(), 100), Metric::latency).worst;
  EXPECT_EQ(w.events.front().kind, EventKind::sched_wakeup);
  EXPECT_EQ(w.events.front().ts, us(10));
  EXPECT_EQ(w.events.back().ts, us(60));
  // The window: the start, 40 wakeups and the end. The 16-event ring kept the end and the last
  // 15 wakeups, so 17 are shown and 25 wakeups fell out of the history.
  EXPECT_EQ(w.events.size(), 17u);
  EXPECT_EQ(w.elided, 25u);
}

TEST(Engine, WindowCountsTheTasksOwnEventsAndSkipsOthers) {
  Config c;
  c.window = 4;  // 1 from the start side, 3 from the end side
  Analyzer a(c);
  Feed f(a);
  f.sw(0, 0, 100, "A", S, 0, "swapper/0");
  f.wake(10, 1, 200, 100, "A", 0);                     // start (on the waker's CPU 1)
  f.sw(11, 0, 0, "swapper/0", R, 100, "A");            // window kind on CPU 0
  for (int i = 0; i < 10; ++i) f.run(12 + i, 0, 100);  // 10 of A's own events
  f.run(30, 1, 200);                                   // B's event on CPU 1: not in the window
  f.sw(40, 0, 100, "A", S, 0, "swapper/0");            // end: response 30
  const WorstWindow w = *M(find_task(a.results(), 100), Metric::response).worst;
  // start + switch-in + 10 own + end = 13 events; 4 shown.
  ASSERT_EQ(w.events.size(), 4u);
  EXPECT_EQ(w.elided, 9u);
  EXPECT_EQ(w.events[0].ts, us(10));
  EXPECT_EQ(w.events[1].ts, us(20));
  EXPECT_EQ(w.events[2].ts, us(21));
  EXPECT_EQ(w.events[3].ts, us(40));
}

TEST(Engine, SelectionByPidCommAndTgid) {
  Config c;
  c.selection.pids = {100};
  c.selection.comm = [](std::string_view comm) { return comm.substr(0, 6) == "cyclic"; };
  c.selection.tgids = {900};
  Analyzer a(c);
  Feed f(a);
  a.task_info({301, Comm::from("w"), 900});  // known tgid before it appears
  f.run(1, 0, 100);
  f.sw(2, 0, 100, "A", S, 200, "cyclictest");
  f.sw(3, 0, 200, "cyclictest", S, 300, "other");
  f.sw(4, 0, 300, "other", S, 301, "w");
  const Results r = a.results();
  std::vector<Pid> pids;
  for (const auto& t : r.tasks) pids.push_back(t.pid);
  EXPECT_EQ(pids, (std::vector<Pid>{100, 200, 301}));
  EXPECT_EQ(find_task(r, 301)->tgid, 900);
}

TEST(Engine, FollowForksSelectsWhatASelectedTaskStarts) {
  Config c;
  c.selection.pids = {100};
  c.selection.follow_forks = true;
  Analyzer a(c);
  Feed f(a);
  std::vector<Pid> called;
  a.on_sample([&](const Sample& s) { called.push_back(s.pid); });
  f.sw(0, 0, 0, "swapper/0", R, 100, "sh");
  a.feed(Event::make_fork(us(1), 0, 100, 100, 101, "sh"));  // a child of the command
  a.feed(Event::make_fork(us(2), 0, 100, 100, 102, "sh"));
  f.sw(3, 0, 100, "sh", S, 101, "sh");
  a.feed(Event::make_fork(us(4), 0, 101, 101, 103, "sh"));     // a grandchild
  f.sw(5, 0, 101, "sleep", S, 500, "other");                   // 101 exec'd: a new comm
  a.feed(Event::make_fork(us(6), 0, 500, 500, 501, "other"));  // not the command's
  // Each is woken at 10 and runs in turn.
  for (Pid p : {101, 103, 500, 501}) {
    f.wake(10, 1, 0, p, p == 500 || p == 501 ? "other" : "sleep", 0);
  }
  f.sw(15, 0, 500, "other", R, 101, "sleep");
  f.sw(16, 0, 101, "sleep", S, 103, "sleep");
  f.sw(17, 0, 103, "sleep", S, 500, "other");
  f.sw(18, 0, 500, "other", S, 501, "other");
  const Results r = a.results();
  std::vector<Pid> pids;
  for (const auto& t : r.tasks) pids.push_back(t.pid);
  EXPECT_EQ(pids, (std::vector<Pid>{100, 101, 102, 103}));
  // The latency and then the response of each followed task; nothing of 500 or 501.
  EXPECT_EQ(called, (std::vector<Pid>{101, 101, 103, 103}));
}

TEST(Engine, WithoutFollowForksAPidSelectionIsThosePidsAlone) {
  Config c;
  c.selection.pids = {100};
  Analyzer a(c);
  Feed f(a);
  f.sw(0, 0, 0, "swapper/0", R, 100, "sh");
  a.feed(Event::make_fork(us(1), 0, 100, 100, 101, "sh"));
  const Results r = a.results();
  ASSERT_EQ(r.tasks.size(), 1u);
  EXPECT_EQ(r.tasks[0].pid, 100);
}

TEST(Engine, TgidSelectionKeepsSamplesTakenBeforeTheTgidWasKnown) {
  Config c;
  c.selection.tgids = {1999};
  Analyzer a(c);
  Feed f(a);
  std::vector<Pid> called;
  a.on_sample([&](const Sample& s) { called.push_back(s.pid); });
  f.sw(0, 0, 100, "worker", S, 0, "swapper/0");
  f.wake(10, 1, 200, 100, "worker", 0);
  f.sw(12, 0, 0, "swapper/0", R, 100, "worker");  // latency 2: tgid still unknown
  a.task_info({100, Comm{}, 1999});               // learned from a later line
  f.sw(20, 0, 100, "worker", S, 0, "swapper/0");  // response 10
  a.task_info({200, Comm{}, 7});
  const Results r = a.results();
  ASSERT_EQ(r.tasks.size(), 1u);
  EXPECT_EQ(r.tasks[0].pid, 100);
  EXPECT_EQ(M(&r.tasks[0], Metric::latency).max_ns, 2000);
  EXPECT_EQ(M(&r.tasks[0], Metric::response).max_ns, 10000);
  // Callbacks fire only once the task is known to be selected.
  EXPECT_EQ(called, (std::vector<Pid>{100}));
}

TEST(Engine, EventsFromIdleNeverMakeATask) {
  Analyzer a;
  Feed f(a);
  f.run(1, 0, 0);
  f.sw(2, 0, 0, "swapper/0", R, 0, "swapper/0");
  EXPECT_TRUE(a.results().tasks.empty());
  EXPECT_EQ(a.results().trace.events, 2u);
}

TEST(Engine, OutOfRangeCpuIsAnInputError) {
  Analyzer a;
  EXPECT_THROW(a.feed(Event::make_other(1, 9000, 1, "x")), InputError);
}

}  // namespace

// The hostile-input sweep: text read in file order fed a sched_wakeup on CPU 1 stamped 250
// before the switch-in it caused on CPU 0, stamped 100, and the engine reported latency
// 100 - 250 = -150us. Now the switch-in, older than the wakeup already fed, is dropped and
// counted; CPU 0 counts as having lost events, so A's latency (waiting on CPU 0) is unobserved.
TEST(Engine, SwitchInOlderThanItsWakeupIsNeverANegativeSample) {
  Analyzer a;
  Feed f(a);
  f.sw(0, 0, 100, "A", S, 0, "swapper/0");
  f.wake(250, 1, 200, 100, "A", 0);
  f.sw(100, 0, 0, "swapper/0", R, 100, "A");
  const Results r = a.results();
  EXPECT_EQ(r.trace.out_of_order, 1u);
  EXPECT_EQ(r.trace.unobserved_latency, 1u);
  const TaskResult* t = find_task(r, 100);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(M(t, Metric::latency).count, 0u);
  EXPECT_TRUE(f.samples.empty());
}

// Events fed out of time order across CPUs: the wakeup at 150 arrives after the switch-in at
// 200 on CPU 0. The wakeup (older than 200, already fed) is dropped and counted, and CPU 1,
// where it was issued, counts as having lost events. A's switch-in at 200 had no wakeup: no
// latency sample. The later in-order cycle (wakeup 500, switch-in 520) is measured: 20us.
TEST(Engine, EventOlderThanOneAlreadyFedIsDroppedAndCounted) {
  Analyzer a;
  Feed f(a);
  f.sw(0, 0, 100, "A", S, 0, "swapper/0");
  f.run(10, 1, 300);                          // B runs on CPU 1
  f.sw(200, 0, 0, "swapper/0", R, 100, "A");  // A in: no wakeup seen
  f.wake(150, 1, 300, 100, "A", 0);           // older than 200: dropped
  f.sw(300, 0, 100, "A", S, 0, "swapper/0");  // A sleeps
  f.wake(500, 1, 300, 100, "A", 0);
  f.sw(520, 0, 0, "swapper/0", R, 100, "A");  // latency 20
  const Results r = a.results();
  EXPECT_EQ(r.trace.out_of_order, 1u);
  EXPECT_EQ(r.trace.events, 6u);  // the dropped event is not analysed
  EXPECT_EQ(r.trace.lost_event_markers, 0u);
  const TaskResult* t = find_task(r, 100);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(M(t, Metric::latency).count, 1u);
  EXPECT_EQ(M(t, Metric::latency).max_ns, 20000);
  for (const Sample& s : f.samples) EXPECT_GE(s.value_ns, 0);
}

// A dropped event invalidates what is in flight on its CPU, like lost events: B woke on CPU 1
// at 10 (latency open, waiting on CPU 1); an out-of-order event on CPU 1 means CPU 1's picture
// is incomplete, so B's latency is unobserved, not measured at its switch-in at 50.
TEST(Engine, OutOfOrderEventDropsWhatIsInFlightOnItsCpu) {
  Analyzer a;
  Feed f(a);
  f.sw(0, 1, 300, "B", S, 0, "swapper/1");
  f.wake(10, 0, 100, 300, "B", 1);  // B waits on CPU 1
  f.run(40, 0, 100);
  f.run(30, 1, 0);                           // older than 40: dropped, CPU 1 lost track
  f.sw(50, 1, 0, "swapper/1", R, 300, "B");  // would have been latency 40
  f.sw(60, 1, 300, "B", S, 0, "swapper/1");  // response dropped too (B unknown after the loss)
  const Results r = a.results();
  EXPECT_EQ(r.trace.out_of_order, 1u);
  const TaskResult* t = find_task(r, 300);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(M(t, Metric::latency).count, 0u);
  EXPECT_EQ(M(t, Metric::response).count, 0u);
  EXPECT_EQ(r.trace.unobserved_latency, 1u);
  EXPECT_EQ(r.trace.unobserved_response, 1u);
}

// Going backwards on one CPU is still corrupt input, not reordering.
TEST(Engine, TimeGoingBackwardsOnOneCpuThrows) {
  Analyzer a;
  Feed f(a);
  f.run(100, 0, 5);
  EXPECT_THROW(f.run(50, 0, 5), InputError);
}

// A lost-event marker placed at its CPU's last event (as text sources do at the end of input)
// is older than another CPU's newest event, but it is taken: it measures nothing.
TEST(Engine, LateLostMarkerIsTakenNotDropped) {
  Analyzer a;
  Feed f(a);
  f.run(10, 0, 5);
  f.run(100, 1, 6);
  f.lost(10, 0, 7);
  const Results r = a.results();
  EXPECT_EQ(r.trace.out_of_order, 0u);
  EXPECT_EQ(r.trace.lost_events, 7u);
  EXPECT_EQ(r.trace.lost_event_markers, 1u);
}

// A source that hands the engine views (detail::Views, the engine borrowing events) and then reuses
// its buffers: the engine must copy what its history still points at when told, so that windows cut
// later show the events as they were, not what the buffers hold by then. Compared with copies of
// the same events, on a real recording, with a history short enough that windows reach its oldest
// end. The last events are fed as copies after the views are released, and a task woken just before
// that point and switched in just after it has its window span both.
TEST(Engine, ViewedEventsGiveTheSameResultsAsCopies) {
  struct Collect {
    std::vector<Event> ev;
    void feed(const Event& e) { ev.push_back(e); }
  } rec;
  TextSource src(RTLAT_SOURCE_DIR "/data/cyclictest.txt");
  src.read(rec);
  ASSERT_GT(rec.ev.size(), 2000u);
  const std::size_t split = rec.ev.size() - 500;
  const Event& before = rec.ev[split - 10];
  const Event& after = rec.ev[split];
  const Pid straddler = 999999;
  std::vector<Event> seq(rec.ev.begin(), rec.ev.begin() + static_cast<std::ptrdiff_t>(split));
  seq.insert(seq.end() - 10, Event::make_wakeup(EventKind::sched_wakeup, before.ts, before.cpu, 0,
                                                straddler, "straddler", 120, before.cpu));
  const std::size_t viewed = seq.size();
  seq.push_back(Event::make_switch(after.ts, before.cpu, 0, 0, "swapper", 120, PrevState::runnable,
                                   0, straddler, "straddler", 120));
  seq.insert(seq.end(), rec.ev.begin() + static_cast<std::ptrdiff_t>(split), rec.ev.end());

  const Event poison = Event::make_other(-1, 0, 424242, "poison");
  auto json = [](const Analyzer& a) {
    std::ostringstream os;
    write_json(os, a.results());
    return os.str();
  };
  Config c;
  c.history = 16;
  c.explain = Config::Explain::all;
  c.slo(Metric::latency) = std::chrono::microseconds(5);
  Analyzer copies(c);
  for (const Event& e : seq) copies.feed(e);
  const std::string expected = json(copies);
  const MetricResult lat = M(find_task(copies.results(), straddler), Metric::latency);
  ASSERT_TRUE(lat.worst.has_value());
  ASSERT_GT(lat.worst->events.size(), 5u);  // events from before the release are in it

  // Chunks smaller than the history with none kept (nearly every retire copies), and larger
  // ones with the previous chunk kept, as the trace.dat reader does.
  for (auto [chunk, keep] : {std::pair<std::size_t, std::size_t>{5, 0}, {7, 1}, {100, 1}}) {
    SCOPED_TRACE("chunk " + std::to_string(chunk) + " keep " + std::to_string(keep));
    Analyzer views(c);
    std::vector<std::vector<Event>> buffers(keep + 1, std::vector<Event>(chunk));
    std::size_t fed_chunks = 0;
    for (std::size_t at = 0; at < viewed; at += chunk, ++fed_chunks) {
      std::vector<Event>& b = buffers[fed_chunks % buffers.size()];
      if (fed_chunks >= buffers.size()) {
        rtlat::detail::Views::retire(views, b.data(), b.data() + b.size());
        std::fill(b.begin(), b.end(), poison);
      }
      const std::size_t n = std::min(chunk, viewed - at);
      std::copy_n(seq.begin() + static_cast<std::ptrdiff_t>(at), n, b.begin());
      for (std::size_t k = 0; k < n; ++k) rtlat::detail::Views::feed(views, b[k]);
    }
    rtlat::detail::Views::release(views);
    for (auto& b : buffers) std::fill(b.begin(), b.end(), poison);
    for (std::size_t i = viewed; i < seq.size(); ++i) views.feed(seq[i]);
    EXPECT_EQ(json(views), expected);
  }
}
