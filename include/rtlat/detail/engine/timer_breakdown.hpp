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
#include "rtlat/detail/engine/sched_record_walk.hpp"
#include "rtlat/detail/engine/sched_ring.hpp"
#include "rtlat/detail/engine/tasks.hpp"

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

// Whether some CPU's records no longer reach back to t.
inline bool history_forgot(const std::vector<SchedRing>& rings, Timestamp t) {
  return std::any_of(rings.begin(), rings.end(),
                     [t](const SchedRing& r) { return r.forgot_before(t); });
}

// One walk over the whole sample, so that the timeline of every CPU runs through it; each
// stretch starts from what the records before it prove, as it would alone.
inline Breakdown timer_breakdown(const std::vector<SchedRing>& rings, const TaskStore& tasks,
                                 const ContextNames& names, Pid pid, const TimerSampleSpan& s,
                                 bool timeline) {
  Breakdown b;
  b.total_ns = s.end > s.requested ? s.end - s.requested : 0;
  SchedRecordWalk walk(rings, s.requested, std::max(s.end, s.requested), names.softirqs_seen);
  std::vector<LaneRun> lanes;
  if (timeline) walk.keep_lanes(&lanes);
  // The timer's CPU, followed as a task no one is, waiting there, so every stretch lands on
  // what that CPU ran.
  constexpr Pid nobody = -2;
  const TaskPlace on_timer_cpu{TaskPlace::runnable, s.timer_cpu, 0};
  const auto no_block = [](Timestamp, Timestamp, Pid, int, WakeFrom, bool) {};
  TimeByPart none;
  // The slack first: the kernel was not asked to fire the timer before requested + slack.
  const Timestamp due = s.requested + std::min(s.slack, s.handler - s.requested);
  if (due > s.requested) {
    BreakdownPart part;
    part.state = PartState::timer_slack;
    part.ns = due - s.requested;
    part.cpu = s.timer_cpu;
    if (timeline) b.spans.push_back({s.requested, due, b.parts.size()});
    b.parts.push_back(part);
  }
  walk.follow_until(nobody, on_timer_cpu, none, no_block, due);
  // From then to the handler.
  if (s.handler > due && s.timer_cpu >= 0) {
    walk.reseat();
    TimeByPart sums(true);
    walk.follow_until(nobody, on_timer_cpu, sums, no_block, s.handler);
    b.history_too_short = history_forgot(rings, due);
    TimeByPart delay(timeline);
    sums.each_span(
        [&](PartState st, int cpu, Pid p, int prio, Timestamp from, Timestamp to, int detail) {
          // Idle or a task there instead of the handler: the timer's own delay. IRQs, softirqs
          // and what is unknown stay what they are.
          if (st == PartState::idle) st = PartState::timer_delay, p = 0;
          if (st == PartState::runnable) st = PartState::timer_delay;
          delay.add(st, cpu, p, prio, from, to, detail);
        });
    add_spans(delay, add_parts(delay, tasks, names, b), no_part, b);
  } else {
    walk.follow_until(nobody, on_timer_cpu, none, no_block, s.handler);
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
    if (timeline) b.spans.push_back({s.handler, s.wakeup, b.parts.size()});
    b.parts.push_back(part);
  }
  walk.follow_until(nobody, on_timer_cpu, none, no_block, s.wakeup);
  if (s.end > s.wakeup) {
    walk.reseat();
    follow_into(walk, rings, tasks, names, pid, TaskPlace{TaskPlace::runnable, s.target, 0}, s.end,
                timeline, b);
    b.history_too_short = b.history_too_short || history_forgot(rings, s.wakeup);
  }
  add_lanes(lanes, tasks, names, b);
  finish(b);
  return b;
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
