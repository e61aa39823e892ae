// The engine's second job, CPU state: the order events arrive in, each CPU's bounded history,
// the task the engine believes runs on each CPU, and what each CPU may have missed. Lost events
// (and events dropped for arriving out of order) bump their CPU's epoch; a task compares the
// epoch of its CPU when it is next touched, so a loss costs nothing per event and needs no
// per-CPU task lists. Nothing here knows the metric rules.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rtlat/detail/always_inline.hpp"
#include "rtlat/detail/engine/history.hpp"
#include "rtlat/detail/engine/sched_ring.hpp"
#include "rtlat/detail/engine/task.hpp"
#include "rtlat/error.hpp"
#include "rtlat/event.hpp"
#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

struct CpuState {
  Pid current = -1;              // -1: unknown
  std::uint64_t lost_epoch = 0;  // losses seen on this CPU
  Task* task = nullptr;          // the entry of `current`; null for idle and unknown
  Timestamp first_ts = INT64_MIN, last_ts = INT64_MIN;  // INT64_MIN: no event yet
};

class CpuStates {
 public:
  CpuStates(std::size_t history, std::size_t sched_history)
      : history_capacity_(history), sched_capacity_(sched_history) {}

  // Makes room for `cpu`; throws InputError (without a file: the caller knows it) at or beyond
  // max_cpus.
  void ensure(std::size_t cpu) {
    if (cpu < n_) return;
    if (cpu >= max_cpus)
      throw InputError("", "cpu " + std::to_string(cpu), "CPU number out of range");
    cpus_.resize(cpu + 1);
    while (history_.size() <= cpu) history_.emplace_back(history_capacity_);
    while (sched_.size() <= cpu) sched_.emplace_back(sched_capacity_);
    n_ = cpu + 1;
  }
  // Kept apart from the vectors: their size() divides by an element size that is no power of
  // two, and every event asks.
  std::size_t size() const noexcept { return n_; }
  CpuState& operator[](std::size_t cpu) noexcept { return cpus_[cpu]; }
  const CpuState& operator[](std::size_t cpu) const noexcept { return cpus_[cpu]; }

  enum class Admit : std::uint8_t { in_order, out_of_order };

  // Takes e into its CPU's history, unless it is older than an event already taken: then it is
  // dropped and counted, and its CPU counts as having lost events, since intervals measured
  // across it could come out negative or longer than they were. A lost-event marker measures
  // nothing and sources can place it only roughly (at its CPU's next or last event): a late one
  // is taken, stamped when it arrives, so windows stay in time order. Throws InputError when
  // time goes backwards on one CPU. e.cpu must be ensure()d.
  // With View, the history points at e instead of copying it (CpuHistory::push_view).
  template <bool View = false>
  RTLAT_ALWAYS_INLINE Admit admit(const Event& e) {
    CpuState& cs = cpus_[e.cpu];
    if (e.ts < newest_ts_) {
      if (e.ts < cs.last_ts) {
        throw InputError("", "cpu " + std::to_string(e.cpu) + " at " + std::to_string(e.ts) + " ns",
                         "time went backwards (previous event on this CPU at " +
                             std::to_string(cs.last_ts) + " ns)");
      }
      if (e.kind != EventKind::lost_events) {
        ++out_of_order_;
        lose_track(e.cpu);
        return Admit::out_of_order;
      }
      take_late(e, cs);
      return Admit::in_order;
    }
    take<View>(e, cs);
    return Admit::in_order;
  }

  // The source is about to reuse the memory of [begin, end), events it handed over as views.
  void retire_views(const Event* begin, const Event* end) noexcept {
    for (CpuHistory& h : history_) h.retire(begin, end);
  }
  // The source is about to free every event it handed over as a view.
  void release_views() noexcept {
    for (CpuHistory& h : history_) h.release();
  }

  // Events taken so far; the sequence number of the newest.
  std::uint64_t seq() const noexcept { return seq_; }
  std::uint64_t out_of_order() const noexcept { return out_of_order_; }
  const std::vector<CpuHistory>& history() const noexcept { return history_; }
  // The scheduler records of each CPU, for breakdowns.
  const std::vector<SchedRing>& sched() const noexcept { return sched_; }
  RTLAT_ALWAYS_INLINE SchedRecord& sched_slot(std::size_t cpu) { return sched_[cpu].next(); }

  // What happened on `cpu` was not all seen: its current task and in-flight intervals there are
  // no longer known.
  void lose_track(std::size_t cpu) noexcept {
    any_loss_ = true;
    ++cpus_[cpu].lost_epoch;
    forget_current(cpu);
  }
  void forget_current(std::size_t cpu) noexcept {
    cpus_[cpu].current = -1;
    cpus_[cpu].task = nullptr;
  }

  // An entry about to be reused: no CPU may still call it its current task. O(CPUs).
  void forget_task(const Task* t) noexcept {
    for (CpuState& cs : cpus_)
      if (cs.task == t) cs.task = nullptr;
  }

  // Where t runs, waits or last ran; t is up to date with that CPU's losses from now on.
  void set_cpu(Task& t, int cpu) {
    if (static_cast<std::size_t>(cpu) >= n_) ensure(static_cast<std::size_t>(cpu));
    set_known_cpu(t, cpu);
  }
  // The same for a CPU already ensure()d (the current event's): no size check on the way.
  void set_known_cpu(Task& t, int cpu) noexcept {
    t.cpu = cpu;
    t.cpu_epoch = cpus_[static_cast<std::size_t>(cpu)].lost_epoch;
  }
  // Whether t's CPU lost events since t was last checked.
  bool lost_since_checked(const Task& t) const noexcept {
    // Most traces lose nothing: then no task's CPU needs looking at.
    return any_loss_ && t.cpu >= 0 &&
           cpus_[static_cast<std::size_t>(t.cpu)].lost_epoch != t.cpu_epoch;
  }
  // Checks t against its CPU's losses: true (once per loss) when it must forget what was in
  // flight.
  bool acknowledge_loss(Task& t) noexcept {
    if (!lost_since_checked(t)) return false;
    t.cpu_epoch = cpus_[static_cast<std::size_t>(t.cpu)].lost_epoch;
    return true;
  }

  // The trace's extent and CPU count, from the CPUs that saw events.
  void extent(TraceStats& s) const noexcept {
    bool any = false;
    for (std::size_t c = 0; c < cpus_.size(); ++c) {
      const CpuState& cs = cpus_[c];
      if (cs.last_ts == INT64_MIN) continue;
      if (!any || cs.first_ts < s.start_ns) s.start_ns = cs.first_ts;
      if (!any || cs.last_ts > s.end_ns) s.end_ns = cs.last_ts;
      if (static_cast<int>(c) + 1 > s.cpus) s.cpus = static_cast<int>(c) + 1;
      any = true;
    }
  }

 private:
  template <bool View = false>
  RTLAT_ALWAYS_INLINE void take(const Event& e, CpuState& cs) {
    newest_ts_ = e.ts;  // admit() and take_late() pass nothing older
    if (cs.last_ts == INT64_MIN) cs.first_ts = e.ts;
    cs.last_ts = e.ts;
    if constexpr (View) {
      history_[e.cpu].push_view(e, ++seq_);
    } else {
      history_[e.cpu].push(e, ++seq_);
    }
  }

  // Out of line: a stamped copy of the event on the hot path's stack costs every event a
  // realigned frame.
#if defined(__GNUC__)
  __attribute__((noinline))
#endif
  void
  take_late(const Event& e, CpuState& cs) {
    Event late = e;
    late.ts = newest_ts_;
    take(late, cs);
  }

  std::size_t history_capacity_;
  std::size_t sched_capacity_;
  std::size_t n_ = 0;  // CPUs ensure()d: the size of each vector below
  std::vector<CpuState> cpus_;
  std::vector<CpuHistory> history_;
  std::vector<SchedRing> sched_;
  std::uint64_t seq_ = 0;
  std::uint64_t out_of_order_ = 0;
  Timestamp newest_ts_ = INT64_MIN;  // the latest timestamp taken, over all CPUs
  bool any_loss_ = false;            // a lost-event marker or an out-of-order event was seen
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
