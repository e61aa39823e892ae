// From a breakdown to a verdict: each part is evidence for one cause, and the cause with the
// most evidence wins (README "Verdicts" gives the rules and thresholds).
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "rtlat/breakdown.hpp"
#include "rtlat/detail/engine/attribution.hpp"
#include "rtlat/duration.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// The RT-throttling pattern: RT tasks ran on the CPU for at least this share of
// sched_rt_runtime_us in the sched_rt_period_us before the stall.
inline constexpr double throttle_share = 0.9;
// A waker that waited for a CPU for at least this share of a block, behind a task of middle
// priority, is the inversion.
inline constexpr double inversion_share = 0.5;
// A verdict needs its evidence to cover at least this share of the interval; below it, no one
// cause explains the interval and the verdict says so, naming the largest: mixed when what was
// not observed could not have made any cause reach the share, insufficient_data when it could.
inline constexpr double verdict_share = 0.5;

struct VerdictInputs {
  const std::vector<SchedRing>* rings = nullptr;
  Pid pid = 0;
  Comm comm{};
  int prio = 120;  // the measured task's
  std::int64_t rt_runtime_ns = 950'000'000;
  std::int64_t rt_period_ns = 1'000'000'000;
  Timestamp start = 0;  // the interval's start
};

inline Verdict decide(const Breakdown& b, const VerdictInputs& in) {
  enum Cause : std::size_t {
    higher,
    same,
    lower,
    throttling,
    idle,
    inversion,
    blocking,
    irq,
    migration,
    own,
    idle_exit,
    irqs_off,
    cpu_stall,
    off_or_stall,
    slack,
    unknown,
    count
  };
  std::array<std::int64_t, count> evidence{};
  std::array<const BreakdownPart*, count> biggest{};  // the largest part behind each cause
  const bool rt = in.prio < 100;
  // Throttled CPUs, decided once per CPU: RT time in the period before the interval.
  std::vector<int> throttled(in.rings->size(), -1);
  std::string throttle_note;
  auto is_throttled = [&](int cpu) {
    if (cpu < 0 || static_cast<std::size_t>(cpu) >= throttled.size()) return false;
    int& t = throttled[static_cast<std::size_t>(cpu)];
    if (t < 0) {
      const auto [rt_ns, covered] = rt_time(*in.rings, cpu, in.start - in.rt_period_ns, in.start);
      t = static_cast<double>(rt_ns) >= throttle_share * static_cast<double>(in.rt_runtime_ns);
      if (t != 0 && throttle_note.empty())
        throttle_note = "RT tasks ran " + format_duration(rt_ns) + " of the " +
                        format_duration(in.rt_period_ns) + " before on CPU " + std::to_string(cpu);
      else if (t == 0 && covered + in.rt_period_ns / 20 < in.rt_period_ns && throttle_note.empty())
        throttle_note = "(history too short to check RT throttling)";
    }
    return t != 0;
  };
  auto add = [&](Cause c, const BreakdownPart& p) {
    evidence[c] += p.ns;
    if (biggest[c] == nullptr || p.ns > biggest[c]->ns) biggest[c] = &p;
  };
  for (const BreakdownPart& p : b.parts) {
    switch (p.state) {
      case PartState::running:
        add(own, p);
        break;
      case PartState::runnable: {
        const int other = p.task ? p.task->prio : 120;
        const bool other_fair = other >= 100;
        if (rt && other_fair && is_throttled(p.cpu))
          add(throttling, p);
        else if (other < in.prio && !(other_fair && in.prio >= 100))
          add(higher, p);
        else if (other == in.prio || (other_fair && in.prio >= 100))
          add(same, p);
        else
          add(lower, p);
        break;
      }
      case PartState::idle:
        add(rt && is_throttled(p.cpu) ? throttling : idle, p);
        break;
      case PartState::irq:
      case PartState::softirq:
        add(irq, p);
        break;
      case PartState::migration:
        add(migration, p);
        break;
      case PartState::blocked: {
        const WakerActivity* w = p.waker ? &*p.waker : nullptr;
        const int wp = p.task ? p.task->prio : 120;
        const bool inverted =
            w != nullptr && wp > in.prio && w->behind &&
            static_cast<double>(w->runnable_ns) >= inversion_share * static_cast<double>(p.ns) &&
            w->behind->prio < wp && w->behind->prio > in.prio;
        add(inverted ? inversion : blocking, p);
        break;
      }
      case PartState::timer_delay:
        add(!p.task                      ? idle_exit
            : !p.irqs_off_caller.empty() ? irqs_off
            : p.irqs_on                  ? cpu_stall
                                         : off_or_stall,
            p);
        break;
      case PartState::timer_slack:
        add(slack, p);
        break;
      case PartState::unknown:
        add(unknown, p);
        break;
    }
  }
  std::size_t win = unknown;
  for (std::size_t c = 0; c < count; ++c)
    if (evidence[c] > evidence[win]) win = c;

  Verdict v;
  const std::int64_t total = b.total_ns > 0 ? b.total_ns : 1;
  v.share = static_cast<double>(evidence[win]) / static_cast<double>(total);
  const BreakdownPart* p = biggest[win];
  const std::string of = format_duration(evidence[win]) + " of " + format_duration(b.total_ns);
  const std::string cpu = p != nullptr && p->cpu >= 0 ? " on CPU " + std::to_string(p->cpu) : "";
  const std::string me = std::string(in.comm.view()) + " (" + prio_name(in.prio) + ")";
  if (p != nullptr && p->task) v.culprit = p->task;
  switch (win) {
    case higher:
      v.kind = VerdictKind::higher_priority;
      v.text = "runnable " + of + " behind " + task_label(*p->task) + cpu +
               ", higher priority than " + me;
      break;
    case same:
      v.kind = VerdictKind::same_priority;
      v.text = "runnable " + of + " behind " + task_label(*p->task) + cpu +
               ", the same priority as " + me;
      break;
    case lower:
      v.kind = VerdictKind::lower_priority;
      v.text = "runnable " + of + " while lower-priority " + task_label(*p->task) + " kept " +
               (p->cpu >= 0 ? "CPU " + std::to_string(p->cpu) : std::string("its CPU")) +
               " (a non-preemptible section, or a CPU that did not get to run)";
      break;
    case throttling:
      v.kind = VerdictKind::rt_throttling;
      v.text = "RT throttling: runnable " + of + cpu + " while it ran " +
               (p->task ? task_label(*p->task) : std::string("idle")) + "; " + throttle_note;
      break;
    case idle:
      v.kind = VerdictKind::cpu_idle;
      v.text = "runnable " + of + " while " +
               (p->cpu >= 0 ? "CPU " + std::to_string(p->cpu) : std::string("its CPU")) +
               " stayed idle: check idle-exit latency and C-states (cpuidle, idle=poll to compare)"
               ", and on a VM whether the vCPU ran";
      if (!throttle_note.empty() && rt) v.text += " " + throttle_note;
      break;
    case inversion: {
      v.kind = VerdictKind::priority_inversion;
      const WakerActivity& w = *p->waker;
      v.text = "blocked " + of + " on lower-priority " + task_label(*p->task) + ", which waited " +
               format_duration(w.runnable_ns) + " behind " + task_label(*w.behind) +
               ": priority inversion";
      break;
    }
    case blocking:
      v.kind = VerdictKind::blocking;
      if (p->interrupt) {
        const std::string irq = interrupt_label(*p->interrupt);
        v.text = "blocked " + of +
                 (p->uninterruptible ? " on I/O completed from " + irq
                                     : " until " + irq + " woke it, from interrupt context");
        if (p->interrupt->after)
          v.text += " (woken by the idle task after that IRQ; no softirq events recorded)";
      } else if (p->task) {
        v.text = "blocked " + of + " until " + task_label(*p->task) + " woke it";
        if (p->waker) v.text += "; it ran " + format_duration(p->waker->ran_ns) + " meanwhile";
      } else {
        v.text = "blocked " + of + " and not woken within the interval";
      }
      break;
    case irq:
      v.kind = VerdictKind::irq;
      v.text = "hard IRQs and softirqs took " + of + cpu;
      if (p->interrupt) v.text += ", most of it " + interrupt_label(*p->interrupt);
      break;
    case idle_exit:
      v.kind = VerdictKind::idle_exit;
      v.text = "its timer fired " + of + " late while " +
               (p->cpu >= 0 ? "CPU " + std::to_string(p->cpu) : std::string("its CPU")) + " idled" +
               (p->idle_state ? " in idle state " + std::to_string(*p->idle_state)
                              : std::string(" (idle state not recorded)")) +
               ": idle exit; check C-states (cpuidle, idle=poll to compare), and on a VM whether "
               "the vCPU ran";
      break;
    case irqs_off:
      v.kind = VerdictKind::irqs_off;
      v.text = "its timer's interrupt was held off " + of + cpu + " while " + task_label(*p->task) +
               " ran with interrupts off since " + p->irqs_off_caller;
      break;
    case off_or_stall:
      v.kind = VerdictKind::irqs_off_or_stall;
      v.text = "its timer's interrupt came " + of + " late" + cpu + " while " +
               task_label(*p->task) +
               " ran: interrupts off in its kernel path, or the CPU stalled under it (a vCPU not "
               "running, an SMI); record preemptirq:irq_disable/irq_enable to tell";
      break;
    case cpu_stall:
      v.kind = VerdictKind::cpu_stall;
      v.text = "its timer's interrupt came " + of + " late" + cpu + " while " +
               task_label(*p->task) +
               " ran with interrupts on: the CPU stalled under it (a vCPU not running, an SMI)";
      break;
    case migration:
      v.kind = VerdictKind::migration;
      v.text = "moved to CPU " + std::to_string(p->cpu) + " and waited there: " + of;
      break;
    case own:
      v.kind = VerdictKind::own_execution;
      v.text = me + " ran " + of + " itself" + cpu;
      break;
    default:
      v.kind = VerdictKind::insufficient_data;
      v.culprit.reset();
      v.text = format_duration(evidence[unknown]) + " of " + format_duration(b.total_ns) +
               " not observable: " +
               (b.history_too_short ? "older than the scheduler history kept"
                                    : "lost events or switches that were not recorded");
      break;
  }
  if (win != unknown && v.share < verdict_share) {
    // Could what was not observed have given some cause the share? Then data is missing;
    // otherwise the interval is mixed.
    const bool missing = static_cast<double>(evidence[win] + evidence[unknown]) >=
                             verdict_share * static_cast<double>(total) ||
                         b.history_too_short;
    v.text = "no single cause covers most of the interval; the largest, " +
             std::string(verdict_kind_name(v.kind)) + ": " + v.text;
    v.kind = missing ? VerdictKind::insufficient_data : VerdictKind::mixed;
  }
  return v;
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
