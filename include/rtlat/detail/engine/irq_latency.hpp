// The irq_latency metric's wake source (README "Metric definitions", irq_latency):
//   irq_latency = a hard IRQ's entry (irq_handler_entry of line NN) -> the switch-in of the IRQ
//                 thread (irq/NN-name) its handler woke, split into
//                   handler    = the entry -> the sched_waking the handler issued
//                   scheduling = that waking -> the switch-in (0 when the thread was found running:
//                                the sample then ends at the waking)
// The thread is known by what happened, as for the timer metric: a sched_waking (sched_wakeup
// when waking is not recorded) of an irq/ thread issued on a CPU inside irq_handler_entry(NN) ..
// irq_handler_exit(NN) (the first wakeup after the entry when exits are not recorded) was caused
// by that IRQ. A handler that wakes nothing gives no sample.
//
// State, none of it allocated per event: per CPU, the hard IRQs whose handlers run now (two
// levels: an entry whose exit was lost, or a handler interrupted by another).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "rtlat/detail/always_inline.hpp"
#include "rtlat/detail/engine/handler_stacks.hpp"
#include "rtlat/detail/engine/task.hpp"
#include "rtlat/event.hpp"
#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// The hard IRQ that caused a wakeup: its handler's entry (the sample's start event).
struct IrqCause {
  const Event* entry = nullptr;
  std::uint64_t entry_seq = 0;
};

class IrqLatency {
 public:
  void entry(const Event& e, std::uint64_t seq) {
    Level& l = handlers_.push(e.cpu);
    l.entry = e;
    l.seq = seq;
  }
  void exit(const Event& e) noexcept {
    exit_seen_ = true;
    handlers_.exit(e.cpu, [&](const Level& l) { return l.entry.irq.irq == e.irq.irq; });
  }
  // The CPU's task switched: no hard handler runs across a switch. Every switch comes here, and
  // mostly no handler runs anywhere.
  RTLAT_ALWAYS_INLINE void switched(std::uint16_t cpu_nr) noexcept { handlers_.switched(cpu_nr); }
  // Lost events on `cpu_nr`: its handlers may have ended unseen.
  void lost(std::uint16_t cpu_nr) noexcept { switched(cpu_nr); }
  // Some hard IRQ handler runs on some CPU.
  bool handlers_busy() const noexcept { return handlers_.busy(); }
  // The hard IRQ whose handler issued `waking` on its CPU, if any. Without exit events only the
  // first wakeup after the entry counts. The entry stays valid until the CPU's next entry.
  RTLAT_ALWAYS_INLINE std::optional<IrqCause> cause(const Event& waking) noexcept {
    const Level* l = handlers_.innermost(waking.cpu, !exit_seen_);
    if (l == nullptr) return std::nullopt;
    return IrqCause{&l->entry, l->seq};
  }

 private:
  struct Level {
    Event entry{};
    std::uint64_t seq = 0;
  };
  HandlerStacks<Level> handlers_;
  bool exit_seen_ = false;
};

// The metric rules' hooks for irq_latency. R is MetricRules, which befriends this.
struct IrqLatencyRules {
  // A wakeup event of the kind that identifies the waker (TimerLatency::identifies()).
  template <class R>
  RTLAT_ALWAYS_INLINE static void wakeup(R& r, const Event& e) {
    const std::optional<IrqCause> cause = r.irqs_.cause(e);
    if (!cause) return;
    const Pid pid = e.wakeup.pid;
    if (pid <= 0) return;
    Task& t = r.lookup(pid, e.wakeup.comm, e.ts, false);  // the wakeup's own rules look it up too
    if (t.irq_thread) open(r, t, e, *cause);              // only IRQ threads have the metric
  }

  // t is switched in by `e` (or was found running at the wakeup `e`).
  template <class R>
  RTLAT_ALWAYS_INLINE static void end(R& r, Task& t, const Event& e) {
    if (t.irq_latency.active)
      r.complete(t, Metric::irq_latency, t.irq_latency, e, e.ts - t.irq_latency.start_ns, false);
  }

  // The split of t's sample that just completed at `end_ts`.
  static IrqSplit split(const Task& t, Timestamp end_ts) noexcept {
    IrqSplit s;
    s.handler_ns = t.irq_wake_ts - t.irq_latency.start_ns;
    s.scheduling_ns = end_ts - t.irq_wake_ts;
    return s;
  }

 private:
  template <class R>
  RTLAT_NOINLINE static void open(R& r, Task& t, const Event& wake, const IrqCause& cause) {
    if (t.state == TaskState::dead) return;
    r.drop(t, t.irq_latency, r.counts.unobserved_irq_latency, true);  // a switch-in was missed
    const bool running = t.state == TaskState::running;
    r.open(t, t.irq_latency, *cause.entry,
           running ? wake.cpu : R::valid_cpu(wake.wakeup.target_cpu, wake.cpu));
    t.irq_latency.start_seq = cause.entry_seq;
    t.irq_latency.cpus |= cpu_bit(cause.entry->cpu) | cpu_bit(wake.cpu);
    t.irq_wake_ts = wake.ts;
    if (running) end(r, t, wake);  // found running: nothing to wait for
  }
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
