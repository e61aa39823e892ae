/// @file
/// Why a sample took as long as it did: where its interval went (a breakdown) and the cause
/// that explains most of it (a verdict). Part of every worst case in Results.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {

/// A task's scheduling class, from its kernel prio.
enum class TaskClass : std::uint8_t {
  deadline,  ///< SCHED_DEADLINE (prio -1)
  rt,        ///< SCHED_FIFO / SCHED_RR (prio 0..99; FIFO n is prio 99 - n)
  fair,      ///< SCHED_OTHER / BATCH / IDLE (prio 100..139)
};

/// The class of a kernel prio.
constexpr TaskClass task_class(int prio) noexcept {
  return prio < 0 ? TaskClass::deadline : prio < 100 ? TaskClass::rt : TaskClass::fair;
}
/// "DL", "RT" or "fair".
constexpr std::string_view task_class_name(TaskClass c) noexcept {
  return c == TaskClass::deadline ? "DL" : c == TaskClass::rt ? "RT" : "fair";
}

/// A kernel prio as people say it: "RT 80" (FIFO/RR 80), "DL", "nice 0".
inline std::string prio_name(int prio) {
  if (prio < 0) return "DL";
  if (prio < 100) return "RT " + std::to_string(99 - prio);
  return "nice " + std::to_string(prio - 120);
}

/// A task as a breakdown names it.
struct TaskRef {
  Pid pid = 0;   ///< its pid
  Comm comm{};   ///< its comm
  int prio = 0;  ///< its kernel prio when it ran there (lower is more urgent)
  /// Its class, from prio.
  TaskClass cls() const noexcept { return task_class(prio); }
};

/// "comm:pid (RT 90)".
inline std::string task_label(const TaskRef& t) {
  return std::string(t.comm.view()) + ":" + std::to_string(t.pid) + " (" + prio_name(t.prio) + ")";
}

/// What the measured task, or its CPU, was doing during one part of the interval.
enum class PartState : std::uint8_t {
  running,    ///< the task itself ran (cpu: where)
  runnable,   ///< the task waited while `task` ran on its CPU
  idle,       ///< the task waited while its CPU was idle
  irq,        ///< hard-IRQ handlers ran on the CPU the task ran or waited on
  softirq,    ///< softirqs ran there
  blocked,    ///< the task slept; `task` is who woke it (cpu: where the wakeup was issued)
  migration,  ///< the task moved to another CPU's runqueue and waited for it there
  unknown,    ///< not observable: lost events, a missed switch, or older than the history kept
  /// Timer samples: the timer was due but its CPU (`cpu`) had not taken the interrupt: it idled
  /// (`idle_state`, `task` empty) or ran `task` (`irqs_off_caller` when interrupts were seen off).
  timer_delay,
  /// Timer samples: the timer's slack (hrtimer_start's expires - softexpires): the kernel was
  /// allowed to fire it this much after the requested time (`cpu`: where it fired).
  timer_slack,
};
/// The JSON name of a state ("running", "runnable", ...).
constexpr std::string_view part_state_name(PartState s) noexcept {
  switch (s) {
    case PartState::running:
      return "running";
    case PartState::runnable:
      return "runnable";
    case PartState::idle:
      return "idle";
    case PartState::irq:
      return "irq";
    case PartState::softirq:
      return "softirq";
    case PartState::blocked:
      return "blocked";
    case PartState::migration:
      return "migration";
    case PartState::timer_delay:
      return "timer_delay";
    case PartState::timer_slack:
      return "timer_slack";
    case PartState::unknown:
      break;
  }
  return "unknown";
}

/// What the task that woke a blocked task did while it was blocked.
struct WakerActivity {
  std::int64_t ran_ns = 0;        ///< on any CPU
  std::int64_t runnable_ns = 0;   ///< waiting for a CPU
  std::int64_t blocked_ns = 0;    ///< asleep itself
  std::int64_t unknown_ns = 0;    ///< not observable
  std::optional<TaskRef> behind;  ///< who ran most while it waited
  std::int64_t behind_ns = 0;     ///< for how long
};

/// A hard IRQ or softirq a part is about.
struct InterruptRef {
  bool softirq = false;  ///< a softirq vector, else a hard IRQ line
  int number = -1;       ///< the IRQ number or softirq vector
  std::string name;      ///< the handler's name ("virtio1-req.0") or the vector's ("NET_RX")
  /// A wakeup from the idle task after this hard IRQ, without softirq events to show the bottom
  /// half: from interrupt context, but not seen inside the handler.
  bool after = false;
};
/// "IRQ 36 virtio1-req.0", "softirq NET_RX".
inline std::string interrupt_label(const InterruptRef& i) {
  if (i.softirq) return "softirq " + i.name;
  if (i.number < 0) return i.name;  // the timer's own handler: "hrtimer"
  std::string s = "IRQ " + std::to_string(i.number);
  if (!i.name.empty()) s += " " + i.name;
  return s;
}

/// One part of a breakdown: a state, its total time, and the task that part is about.
struct BreakdownPart {
  PartState state = PartState::unknown;  ///< what was going on
  std::int64_t ns = 0;                   ///< total time in this state (with this task, on this CPU)
  int cpu = -1;                          ///< the CPU it happened on
  std::optional<TaskRef> task;           ///< runnable: who ran; blocked: the waker
  std::optional<WakerActivity> waker;    ///< blocked only: what the waker did meanwhile
  /// irq / softirq: which one ran; blocked: the interrupt that woke the task (then `task` is
  /// empty: a wakeup from interrupt context is never the interrupted task's doing).
  std::optional<InterruptRef> interrupt;
  /// timer_delay while the CPU idled: the idle state it was in (power:cpu_idle), when recorded.
  std::optional<std::uint32_t> idle_state;
  /// timer_delay while `task` ran: where interrupts went off (preemptirq:irq_disable), when
  /// recorded; empty otherwise.
  std::string irqs_off_caller;
  /// timer_delay while `task` ran: preemptirq events on that CPU showed interrupts on.
  bool irqs_on = false;
  /// blocked: an uninterruptible sleep (D), such as I/O.
  bool uninterruptible = false;
};
/// timer_delay while `task` ran: whether interrupts were off ("off": `irqs_off_caller` is
/// known), on ("on") or neither was seen ("unknown"); the JSON "irqs".
inline std::string_view part_irqs_name(const BreakdownPart& p) noexcept {
  if (!p.irqs_off_caller.empty()) return "off";
  return p.irqs_on ? "on" : "unknown";
}

/// One stretch of the interval on the measured task's own timeline (for a timer's irq delay,
/// the timer's CPU's): `parts[part]` held from `from_ns` to `to_ns`. The walk that builds the
/// breakdown yields these; each part's time is the sum of its stretches.
struct BreakdownSpan {
  Timestamp from_ns = 0;  ///< where the stretch starts
  Timestamp to_ns = 0;    ///< where it ends
  std::size_t part = 0;   ///< the index in Breakdown::parts
};

/// What one CPU did over a stretch of the interval, as the walk behind the breakdown saw it.
struct CpuRun {
  int cpu = -1;           ///< the CPU
  Timestamp from_ns = 0;  ///< where the stretch starts
  Timestamp to_ns = 0;    ///< where it ends
  /// running (`task` ran), idle, irq or softirq (`interrupt`), or unknown (before an unrecorded
  /// switch, after lost events, or older than the history kept).
  PartState state = PartState::unknown;
  std::optional<TaskRef> task;              ///< running: the task, with the prio it ran with
  std::optional<InterruptRef> interrupt;    ///< irq / softirq: which one
  std::optional<std::uint32_t> idle_state;  ///< idle: power:cpu_idle's state, when recorded
};

/// Where a sample's interval went. Parts are grouped by state, CPU and task, largest first;
/// their times add up to the interval.
struct Breakdown {
  std::vector<BreakdownPart> parts;  ///< largest first
  std::int64_t total_ns = 0;         ///< the interval
  std::int64_t covered_ns = 0;       ///< what the kept history could explain (total - unknown)
  /// True when the per-CPU history no longer reached the interval's start.
  bool history_too_short = false;
  /// The measured task's timeline, in time order: the stretches the parts add up.
  std::vector<BreakdownSpan> spans;
  /// What every CPU did meanwhile, per CPU in time order, from the same walk: a runnable span
  /// behind task X on CPU c lies within runs of X on c.
  std::vector<CpuRun> cpu_runs;
};

/// The causes a verdict can name (a fixed set: part of the JSON contract).
enum class VerdictKind : std::uint8_t {
  higher_priority,     ///< runnable while tasks of higher priority ran on its CPU
  same_priority,       ///< runnable behind tasks of equal priority
  lower_priority,      ///< runnable while a lower-priority task kept the CPU
  rt_throttling,       ///< RT, runnable while its throttled CPU idled or ran fair tasks
  cpu_idle,            ///< runnable while its CPU stayed idle, without a throttling pattern
  priority_inversion,  ///< blocked on a lower-priority task that waited behind a middle one
  blocking,            ///< blocked while the task that woke it ran
  irq,                 ///< hard-IRQ and softirq time
  migration,           ///< time lost moving between CPUs
  own_execution,       ///< the task itself ran for most of the interval
  idle_exit,           ///< its timer fired late while the timer's CPU was idle
  irqs_off,   ///< its timer fired late while a task ran on the timer's CPU with interrupts off
  cpu_stall,  ///< its timer fired late while a task ran with interrupts on: the CPU stalled
  /// its timer fired late while a task ran; no preemptirq events say whether interrupts were
  /// off or the CPU stalled
  irqs_off_or_stall,
  timer_slack,        ///< its timer fired within the slack it was armed with (timer_slack_ns, poll)
  mixed,              ///< complete data, but no one cause covers half of the interval
  insufficient_data,  ///< the events needed were not recorded or were lost
};
/// The JSON name of a verdict kind ("higher_priority", ...).
constexpr std::string_view verdict_kind_name(VerdictKind k) noexcept {
  switch (k) {
    case VerdictKind::higher_priority:
      return "higher_priority";
    case VerdictKind::same_priority:
      return "same_priority";
    case VerdictKind::lower_priority:
      return "lower_priority";
    case VerdictKind::rt_throttling:
      return "rt_throttling";
    case VerdictKind::cpu_idle:
      return "cpu_idle";
    case VerdictKind::priority_inversion:
      return "priority_inversion";
    case VerdictKind::blocking:
      return "blocking";
    case VerdictKind::irq:
      return "irq";
    case VerdictKind::migration:
      return "migration";
    case VerdictKind::own_execution:
      return "own_execution";
    case VerdictKind::idle_exit:
      return "idle_exit";
    case VerdictKind::irqs_off:
      return "irqs_off";
    case VerdictKind::cpu_stall:
      return "cpu_stall";
    case VerdictKind::irqs_off_or_stall:
      return "irqs_off_or_stall";
    case VerdictKind::timer_slack:
      return "timer_slack";
    case VerdictKind::mixed:
      return "mixed";
    case VerdictKind::insufficient_data:
      break;
  }
  return "insufficient_data";
}
/// Number of verdict kinds.
inline constexpr std::size_t verdict_kind_count = 17;

/// The cause that explains most of a sample.
struct Verdict {
  VerdictKind kind = VerdictKind::insufficient_data;  ///< which cause
  std::string text;                                   ///< one line naming the tasks and times
  double share = 0.0;  ///< the fraction of the interval its evidence covers
  /// The task it blames most (the one ahead of it, the waker, ...), when there is one.
  std::optional<TaskRef> culprit;
};

/// How many of a metric's SLO violations got one verdict with one culprit (Config::Explain::all).
struct VerdictCount {
  VerdictKind kind = VerdictKind::insufficient_data;  ///< the verdict
  std::optional<TaskRef> culprit;                     ///< the task it blamed, if any
  std::uint64_t count = 0;                            ///< violations with this verdict and culprit
};

}  // namespace v1
}  // namespace rtlat
