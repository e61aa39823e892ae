// The breakdown of a timer sample (README "Breakdowns and verdicts"): from the requested expiry
// to the handler's entry, what the timer's CPU did instead of taking the interrupt (idle: an idle
// exit; another hard IRQ or softirq; a task: interrupts off in its kernel path, or the CPU
// stalled under it; or not observable); the handler up to its wakeup; then the task from the
// wakeup to its switch-in, as for latency.
#pragma once

#include <algorithm>
#include <vector>

#include "rtlat/breakdown.hpp"
#include "rtlat/detail/engine/attribution.hpp"
#include "rtlat/detail/engine/context_names.hpp"
#include "rtlat/detail/engine/sched_ring.hpp"
#include "rtlat/detail/engine/tasks.hpp"
#include "rtlat/detail/engine/walk.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// Where a timer sample's time went. `timer_cpu`: where the handler ran (and issued the wakeup);
// `handler_ts`: its entry (the wakeup itself without expiry events); `target`: the CPU whose
// runqueue the task joined.
struct TimerSampleSpan {
  Timestamp requested = 0, handler = 0, wakeup = 0, end = 0;
  std::int64_t slack = 0;  // expires - softexpires
  int timer_cpu = -1, target = -1;
};

inline Breakdown timer_breakdown(const std::vector<SchedRing>& rings, const TaskStore& tasks,
                                 const ContextNames& names, Pid pid, const TimerSampleSpan& s) {
  Breakdown b;
  b.total_ns = s.end > s.requested ? s.end - s.requested : 0;
  // The slack first: the kernel was not asked to fire the timer before requested + slack.
  const Timestamp due = s.requested + std::min(s.slack, s.handler - s.requested);
  if (due > s.requested) {
    BreakdownPart part;
    part.state = PartState::timer_slack;
    part.ns = due - s.requested;
    part.cpu = s.timer_cpu;
    b.parts.push_back(part);
  }
  // The timer's CPU from then to the handler: followed as a task no one is, waiting there, so
  // every stretch lands on what that CPU ran.
  if (s.handler > due && s.timer_cpu >= 0) {
    constexpr Pid nobody = -2;
    Walk walk(rings, due, s.handler, names.softirqs_seen);
    PartSums sums;
    walk.follow(nobody, Subject{Subject::runnable, s.timer_cpu, 0}, sums,
                [](Timestamp, Timestamp, Pid, int, WakeFrom, bool) {});
    b.history_too_short = walk.history_too_short();
    PartSums delay;
    sums.each([&](PartState st, int cpu, Pid p, int prio, std::int64_t ns, int detail) {
      // Idle or a task there instead of the handler: the timer's own delay. IRQs, softirqs
      // and what is unknown stay what they are.
      if (st == PartState::idle) st = PartState::timer_delay, p = 0;
      if (st == PartState::runnable) st = PartState::timer_delay;
      delay.add(st, cpu, p, prio, ns, detail);
    });
    add_parts(delay, tasks, names, b);
  }
  // The handler up to its wakeup: the timer's own interrupt.
  if (s.wakeup > s.handler) {
    BreakdownPart part;
    part.state = PartState::irq;
    part.ns = s.wakeup - s.handler;
    part.cpu = s.timer_cpu;
    InterruptRef timer;
    timer.name = "hrtimer";
    part.interrupt = timer;
    b.parts.push_back(part);
  }
  if (s.end > s.wakeup)
    follow_into(rings, tasks, names, pid, Subject{Subject::runnable, s.target, 0}, s.wakeup, s.end,
                b);
  finish(b);
  return b;
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
