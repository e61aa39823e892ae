// How a sample ends (MetricRules::complete): it is added to its task's stats against its SLO
// bound, and a new worst gets its window, breakdown and verdict; then the sample callbacks run.
#pragma once

#include <cstdint>
#include <optional>

#include "rtlat/config.hpp"
#include "rtlat/detail/always_inline.hpp"
#include "rtlat/detail/engine/attribution.hpp"
#include "rtlat/detail/engine/metric_rules.hpp"
#include "rtlat/detail/engine/timer_breakdown.hpp"
#include "rtlat/detail/engine/verdict.hpp"
#include "rtlat/event.hpp"
#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

RTLAT_ALWAYS_INLINE void MetricRules::complete(Task& t, Metric m, OpenInterval& iv,
                                               const Event& end, std::int64_t value, bool derived) {
  iv.active = false;
  if (!t.selected) return;
  if (value < 0 || end.ts < iv.start_ns) {
    // Events arrive in time order (CpuStates drops the rest), so this cannot happen; should it
    // ever, a duration that did not happen is never reported.
    ++(derived ? unobserved_derived_irq : counts.unobserved(m));
    return;
  }
  const auto mi = static_cast<std::size_t>(m);
  MetricStats& st = derived ? t.derived_irq : t.stats[mi];
  const std::optional<std::int64_t>& bound = t.slo[mi];
  const bool violation = bound && value > *bound;
  if (st.add(value, bound)) {
    new_worst(t, m, iv, end, derived, violation, st);
  } else if (violation && cfg_.explain == Config::Explain::all) {
    st.count_verdict(decide_for(t, iv, explain(t, m, iv, end, derived)));
  }
  if (derived && irq_events_in_use()) return;  // real irq events exist: derived ones are moot
  if (t.provisional) return;                   // not known to be selected yet
  if (cfg_.on_sample || (violation && cfg_.on_violation)) {
    const Sample s{t.pid,  t.tgid, t.comm,  m,     derived,  iv.start_ns,
                   end.ts, value,  end.cpu, bound, violation};
    if (cfg_.on_sample) cfg_.on_sample(s);
    if (violation && cfg_.on_violation) cfg_.on_violation(s);
  }
}

// Kept out of line: rare once a task's worst has settled, and large enough to slow every
// sample's path if inlined there.
inline RTLAT_NOINLINE void MetricRules::new_worst(Task& t, Metric m, const OpenInterval& iv,
                                                  const Event& end, bool derived, bool violation,
                                                  MetricStats& st) {
  WorstWindow w = cut_window(cpus_.history(), iv, t.start_of(iv), end, t.pid, t.own_events,
                             cfg_.window, scratch_);
  if (cfg_.explain != Config::Explain::none) {
    w.breakdown = explain(t, m, iv, end, derived);
    w.verdict = decide_for(t, iv, *w.breakdown);
    if (violation && cfg_.explain == Config::Explain::all) st.count_verdict(*w.verdict);
  }
  if (m == Metric::timer) w.timer_split = TimerRules::split(t, end.ts);
  if (m == Metric::irq_latency) w.irq_split = IrqLatencyRules::split(t, end.ts);
  st.set_worst(std::move(w));
}

// Where the interval of t's sample (started by t.start_of(iv), ended by `end`) went.
inline Breakdown MetricRules::explain(const Task& t, Metric m, const OpenInterval& iv,
                                      const Event& end, bool derived) const {
  const Event& start = t.start_of(iv);
  if (m == Metric::timer) {
    TimerSampleSpan span;
    span.requested = iv.start_ns;
    span.handler = start.ts;  // the handler's entry, or the wakeup without expiry events
    span.wakeup = t.timer_wake_ts;
    span.end = end.ts;
    span.slack = t.timer_slack;
    span.timer_cpu = start.cpu;
    span.target = iv.home_cpu >= 0 ? iv.home_cpu : start.cpu;
    return timer_breakdown(cpus_.sched(), tasks_, context_, t.pid, span, cfg_.timeline);
  }
  TaskPlace s;
  if (m == Metric::irq || derived) {
    s = {TaskPlace::running, start.cpu, 0};
  } else {
    s = {TaskPlace::runnable, iv.home_cpu >= 0 ? iv.home_cpu : start.cpu, 0};
  }
  return breakdown(cpus_.sched(), tasks_, context_, t.pid, s, iv.start_ns, end.ts, cfg_.timeline);
}
// The verdict on t's sample; its priority is the one its start event gave (a wakeup names
// it), since a task may change class after.
inline Verdict MetricRules::decide_for(const Task& t, const OpenInterval& iv,
                                       const Breakdown& b) const {
  const Event& start = t.start_of(iv);
  const bool woken = start.kind == EventKind::sched_wakeup ||
                     start.kind == EventKind::sched_waking ||
                     start.kind == EventKind::sched_wakeup_new;
  VerdictInputs in;
  in.rings = &cpus_.sched();
  in.pid = t.pid;
  in.comm = t.comm;
  in.prio = woken ? start.wakeup.prio : t.prio;
  in.rt_runtime_ns = std::chrono::nanoseconds(cfg_.sched_rt_runtime).count();
  in.rt_period_ns = std::chrono::nanoseconds(cfg_.sched_rt_period).count();
  in.start = iv.start_ns;
  return decide(b, in);
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
