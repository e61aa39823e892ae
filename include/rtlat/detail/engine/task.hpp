// One task entry: what the engine believes about a task (its state and where it is), the
// intervals it has in flight, and its statistics. A pid reused by a new task gets a new entry.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "rtlat/detail/engine/finished_lru.hpp"
#include "rtlat/detail/engine/history.hpp"
#include "rtlat/detail/engine/metric_stats.hpp"
#include "rtlat/event.hpp"
#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// dead: it ended (sched_process_exit, its final (X) switch-out, or a fork reusing its pid), and
// stays so until the entry is reused; a final switch-out may still follow.
enum class TaskState : std::uint8_t { unknown, sleeping, runnable, running, dead };

// Laid out hot first: what every event touches (state, flags, the open intervals) fits in a few
// cache lines; statistics and the copies of interval start events come last.
// An IRQ thread's activation, measured from its switches when threaded-handler events are
// missing: on-CPU time from the switch-in after its wakeup to its sleep, preempted time excluded.
struct DerivedActivation {
  OpenInterval interval{3};
  bool running = false;         // on the CPU in this activation right now
  bool valid = false;           // every switch-in of this activation was seen
  Timestamp segment_start = 0;  // the current on-CPU stretch began
  std::int64_t accum = 0;       // on-CPU time of the stretches before it
};

struct Task {
  Pid pid = 0;
  Pid tgid = -1;
  Comm comm{};
  TaskState state = TaskState::unknown;
  bool selected = true;  // the Selection measures it
  // Measured only because its tgid is not known yet and --tgid may select it once it is
  // (a text trace's tgid column can first show it after its first samples).
  bool provisional = false;
  // Forked by a selected task under Selection::follow_forks: selected whatever it becomes.
  bool forked_by_selected = false;
  bool irq_thread = false;  // comm starts with "irq/"
  bool gone = false;        // dead and switched out for the last time (or its pid reused): pid free
  bool timer_marker_pending = false;  // relief: it requested a timer sleep not yet switched out
  bool last_sleep_known = false;      // relief: its last voluntary sleep was seen
  bool last_sleep_timer = false;      // relief: that sleep was a timer sleep
  std::int16_t prio = 120;            // its kernel prio, as last seen
  int cpu = -1;                       // running on / waiting on / last ran on
  std::uint64_t cpu_epoch = 0;        // lost-event epoch of `cpu` when the task was last checked
  Timestamp first_seen = 0, last_seen = 0;
  std::uint64_t own_events = 0;  // events it issued that are not window kinds (history.hpp)
  // CPUs that every interval below already has in its `cpus` (a subset of each): a task seen
  // again where it was seen before touches none of them.
  CpuMask cpus_in_all = 0;

  // Latency and response always open at the same wakeup, and a new one cannot open before the
  // response ends (the task must sleep first): they share one start-event copy.
  OpenInterval latency{0}, response{0}, relief{1}, irq{2};
  // The irq metric derived from an IRQ thread's switches (no threaded-handler events): the
  // activation in flight; its samples go to derived_irq.
  DerivedActivation derived;
  // Timer latency (timer_latency.hpp): from the requested expiry; its start event is the
  // timer handler's entry. The split's parts: irq delay (-1: not known) and the wakeup's time.
  OpenInterval timer{4};
  std::int64_t timer_irq_delay = -1;
  Timestamp timer_wake_ts = 0;
  std::int64_t timer_slack = 0;        // its timer's expires - softexpires (breakdowns)
  std::uint64_t sleep_timer = 0;       // its own sleep timer since it last woke (0: none)
  std::int64_t sleep_softexpires = 0;  // what that timer asked for
  std::uint64_t sleep_seq = 0;         // the event that armed it (its wakeup comes after)
  std::uint64_t timer_unobserved = 0;  // its timer wakeups without a sample
  // IRQ latency (irq_latency.hpp): from the hard IRQ's entry, its start event; and the wakeup.
  OpenInterval irq_latency{5};
  Timestamp irq_wake_ts = 0;
  std::uint64_t irq_latency_unobserved = 0;  // its hard-IRQ wakeups without a sample

  std::array<std::optional<std::int64_t>, metric_count> slo{};
  std::array<MetricStats, metric_count> stats;
  MetricStats derived_irq;  // the derived irq metric's samples (stats[irq] holds the real one's)
  std::array<Event, 6> start_events;  // indexed by OpenInterval::start_slot

  // Bounded memory (tasks.hpp): creation order, which results keep once entries are reused;
  // whether the entry's results went into a folded group (it is then free); its place in the
  // finished-LRU or the free list.
  std::uint64_t order = 0;
  bool folded = false;
  LruHook lru;

  bool in_flight() const noexcept {
    return latency.active || response.active || relief.active || irq.active ||
           derived.interval.active || timer.active || irq_latency.active;
  }
  const Event& start_of(const OpenInterval& iv) const noexcept {
    return start_events[iv.start_slot];
  }
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
