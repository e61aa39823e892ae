/// @file
/// Why a sample took as long as it did: where its interval went (a breakdown) and the cause
/// that explains most of it (a verdict). Part of every worst case in Results.
#pragma once

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

/// One part of a breakdown: a state, its total time, and the task that part is about.
struct BreakdownPart {
  PartState state = PartState::unknown;  ///< what was going on
  std::int64_t ns = 0;                   ///< total time in this state (with this task, on this CPU)
  int cpu = -1;                          ///< the CPU it happened on
  std::optional<TaskRef> task;           ///< runnable: who ran; blocked: the waker
  std::optional<WakerActivity> waker;    ///< blocked only: what the waker did meanwhile
};

/// Where a sample's interval went. Parts are grouped by state, CPU and task, largest first;
/// their times add up to the interval.
struct Breakdown {
  std::vector<BreakdownPart> parts;  ///< largest first
  std::int64_t total_ns = 0;         ///< the interval
  std::int64_t covered_ns = 0;       ///< what the kept history could explain (total - unknown)
  /// True when the per-CPU history no longer reached the interval's start.
  bool history_too_short = false;
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
  insufficient_data,   ///< the events needed were not recorded or were lost
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
    case VerdictKind::insufficient_data:
      break;
  }
  return "insufficient_data";
}
/// Number of verdict kinds.
inline constexpr std::size_t verdict_kind_count = 11;

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
