// The engine's metric rules as one class: what it knows of the input, the dispatch of each event
// to its rule, the scheduler records kept for breakdowns, and the task and interval bookkeeping
// every rule shares; also the timer-sleep marker and threaded-IRQ rules. rules.hpp lists where
// the rest of its members are defined.
#pragma once

#include <cstdint>
#include <optional>

#include "rtlat/config.hpp"
#include "rtlat/detail/always_inline.hpp"
#include "rtlat/detail/engine/context_names.hpp"
#include "rtlat/detail/engine/cpus.hpp"
#include "rtlat/detail/engine/history.hpp"
#include "rtlat/detail/engine/irq_latency.hpp"
#include "rtlat/detail/engine/task.hpp"
#include "rtlat/detail/engine/tasks.hpp"
#include "rtlat/detail/engine/timer_latency.hpp"
#include "rtlat/detail/engine/verdict.hpp"
#include "rtlat/event.hpp"
#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// Facts the source knows about its whole input, which decide two rules.
struct RecordedEvents {
  // Syscall events recorded: hrtimer_start(hrtimer_wakeup) markers are then ignored; unknown
  // (text input): they count until the first syscall event appears.
  std::optional<bool> syscalls;
  // irq_threaded_handler_* recorded: otherwise irq is derived from scheduler events; unknown:
  // derived until the first such event appears.
  std::optional<bool> irq_threads;
  // sched_wakeup recorded: otherwise sched_waking starts latency and response; unknown (text
  // input): sched_waking does until the first sched_wakeup appears, which then takes over
  // (exact: a kernel that records both emits a task's sched_wakeup before its switch-in).
  std::optional<bool> wakeups;
};

class MetricRules {
 public:
  MetricRules(const Config& cfg, TaskStore& tasks, CpuStates& cpus)
      : cfg_(cfg), tasks_(tasks), cpus_(cpus) {
    wakeup_facts_changed();
  }

  // What the source says it recorded (Analyzer::set_source()).
  void set_recorded(const RecordedEvents& r) noexcept {
    recorded_ = r;
    wakeup_facts_changed();
  }
  const RecordedEvents& recorded() const noexcept { return recorded_; }
  TimerLatency timers_;  // the timer metric's wake source (timer_latency.hpp)
  IrqLatency irqs_;      // irq_latency's wake source (irq_latency.hpp)
  TraceStats counts;     // implicit switches, unobserved samples, lost events
  // Derived-irq samples dropped; they count as unobserved irq only if the irq metric is derived.
  std::uint64_t unobserved_derived_irq = 0;
  // Which of the events the metrics need were analysed (TraceStats::missing).
  struct Seen {
    bool sched_switch = false;
    bool wakeup = false;  // the configured wakeup event, or sched_wakeup_new
    bool timer_marker = false;
    bool syscall = false;  // a syscall event: syscalls were traced
  } seen;

  // sched_waking stands in for the sched_wakeup the trace lacks (RecordedEvents::wakeups).
  bool waking_fallback() const noexcept {
    if (cfg_.wakeup_event != WakeupEvent::wakeup) return false;
    if (recorded_.wakeups) return !*recorded_.wakeups;
    return !wakeup_seen_;
  }
  // Some sample started at a sched_waking standing in for sched_wakeup (TraceStats).
  bool waking_fallback_used() const noexcept { return waking_used_; }

  bool irq_events_in_use() const noexcept {
    if (recorded_.irq_threads) return *recorded_.irq_threads;
    return irq_events_seen_;
  }

  // `e` (taken by CpuStates) on its CPU. A common_pid that is not the CPU's current task is an
  // implicit switch.
  RTLAT_ALWAYS_INLINE void event(const Event& e) {
    if (e.kind == EventKind::lost_events) {
      ++counts.lost_event_markers;
      counts.lost_events += e.lost.count;
      cpus_.lose_track(e.cpu);
      timers_.lost(e.cpu);
      irqs_.lost(e.cpu);
      handlers_changed();
      record(e, SchedRecord::lost);
      return;
    }
    if (e.common_pid >= 0) {
      if (e.common_pid != cpus_[e.cpu].current) {
        if (e.kind == EventKind::other && e.other.detached) {
          // It shows in the windows of the task it names, so it counts as that task's.
          if (Task* t = tasks_.find(e.common_pid)) ++t->own_events;
          return;  // no rule takes an other event
        }
        observe_running(e, e.common_pid);
      }
      if (!is_window_kind(e.kind)) {
        if (Task* t = cpus_[e.cpu].task) ++t->own_events;
      }
    }
    switch (e.kind) {
      case EventKind::sched_switch:
        seen.sched_switch = true;
        if (handlers_busy_) {
          timers_.switched(e.cpu);
          irqs_.switched(e.cpu);
          handlers_changed();
        }
        record_switch(e);
        on_switch(e);
        break;
      case EventKind::sched_wakeup:
        if (timers_.identifies(e.kind))
          identified_wakeup(e, cfg_.wakeup_event == WakeupEvent::wakeup
                                   ? TimerRules::OwnSleep::on_wakeup
                                   : TimerRules::OwnSleep::here);
        if (cfg_.wakeup_event == WakeupEvent::wakeup) {
          if (!wakeup_seen_) {
            wakeup_seen_ = true;
            wakeup_facts_changed();
          }
          seen.wakeup = true;
          record_wakeup(e);
          on_wakeup(e);
        }
        break;
      case EventKind::sched_waking:
        // The wakeup's rules run for this event, or else for the sched_wakeup that follows.
        if (timers_.identifies(e.kind)) identified_wakeup(e, TimerRules::OwnSleep::on_wakeup);
        if (waking_opens_) {
          if (cfg_.wakeup_event == WakeupEvent::wakeup) waking_used_ = true;
          seen.wakeup = true;
          record_wakeup(e);
          on_wakeup(e);
        }
        break;
      case EventKind::sched_wakeup_new:
        seen.wakeup = true;
        record_wakeup(e);
        on_wakeup(e);
        break;
      case EventKind::migrate:
        record(e, SchedRecord::migrated, e.migrate.pid, 0, e.migrate.prio, e.migrate.dest_cpu);
        break;
      case EventKind::irq_entry:
        if (cfg_.explain != Config::Explain::none) context_.irq(e.irq.irq, e.irq.name);
        record_number(e, SchedRecord::irq_entry, e.irq.irq);
        irqs_.entry(e, cpus_.seq());
        handlers_busy_ = true;
        break;
      case EventKind::irq_exit:
        record_number(e, SchedRecord::irq_exit, e.irq.irq);
        irqs_.exit(e);
        handlers_changed();
        break;
      case EventKind::softirq_entry:
        context_.softirqs_seen = true;
        record_number(e, SchedRecord::softirq_entry, static_cast<int>(e.softirq.vec));
        break;
      case EventKind::softirq_exit:
        record_number(e, SchedRecord::softirq_exit, static_cast<int>(e.softirq.vec));
        break;
      case EventKind::cpu_idle:  // IdleFields::idle_exit becomes -1
        record_number(e, SchedRecord::idle, static_cast<int>(e.idle.state));
        break;
      case EventKind::irqs_off:
      case EventKind::irqs_on:
        record_irqs(e);
        break;
      case EventKind::process_exit:
        on_exit(e);
        break;
      case EventKind::process_fork:
        on_fork(e);
        break;
      case EventKind::timer_sleep:
        seen.timer_marker = true;
        timers_.marker(e);
        on_timer_marker(e);
        break;
      case EventKind::hrtimer_start:
        timers_.start(e);
        break;
      case EventKind::hrtimer_expire_entry:
        if (timers_.expiry_starts_use()) arm_own_sleeps();
        timers_.event(e, cpus_.seq());
        handlers_busy_ = true;
        break;
      case EventKind::hrtimer_cancel:
      case EventKind::hrtimer_expire_exit:
        timers_.event(e, cpus_.seq());
        handlers_changed();
        break;
      case EventKind::syscall:
        seen.syscall = true;
        break;
      case EventKind::irq_thread_entry:
      case EventKind::irq_thread_exit:
        on_irq_thread(e);
        break;
      default:
        break;
    }
  }

 private:
  friend struct TimerRules;
  friend struct IrqLatencyRules;
  using Task = detail::Task;

  // A wakeup that names its waker: a timer's expiry or a hard IRQ's handler may have caused it.
  // Mostly no handler runs anywhere: one flag tells, for both.
  RTLAT_ALWAYS_INLINE void identified_wakeup(const Event& e, TimerRules::OwnSleep own) {
    if (!handlers_busy_) {
      TimerRules::wakeup_without_cause(*this, e, own);
      return;
    }
    TimerRules::wakeup(*this, e, own);
    IrqLatencyRules::wakeup(*this, e);
    handlers_changed();  // without exit events, the wakeup ended its handler
  }
  // After the recorded events or the first sched_wakeup: what a sched_waking does is kept, not
  // derived at every one.
  void wakeup_facts_changed() noexcept {
    waking_opens_ = cfg_.wakeup_event == WakeupEvent::waking || waking_fallback();
  }
  void handlers_changed() noexcept {
    handlers_busy_ = timers_.handlers_busy() || irqs_.handlers_busy();
  }

  // Scheduler records for breakdowns (sched_ring.hpp), written in place: this runs for every
  // scheduler event.
  RTLAT_ALWAYS_INLINE void record(const Event& e, SchedRecord::Type type, Pid pid = 0,
                                  Pid other_pid = 0, int prio = 0, int target_cpu = -1,
                                  int other_prio = 0) {
    if (cfg_.explain == Config::Explain::none) return;
    cpus_.sched_slot(e.cpu) = {e.ts,
                               pid,
                               other_pid,
                               static_cast<std::int16_t>(prio),
                               static_cast<std::int16_t>(other_prio),
                               type,
                               SchedRecord::slept,
                               static_cast<std::int16_t>(target_cpu)};
  }
  // A record that carries a number (SchedRecord::number()), not a task.
  RTLAT_ALWAYS_INLINE void record_number(const Event& e, SchedRecord::Type type, int number) {
    record(e, type, static_cast<Pid>(number));
  }
  RTLAT_ALWAYS_INLINE void record_switch(const Event& e) {
    if (cfg_.explain == Config::Explain::none) return;
    const SchedRecord::PrevClass how = e.prev_state == PrevState::blocked ? SchedRecord::slept_io
                                       : is_voluntary_sleep(e.prev_state) ? SchedRecord::slept
                                       : e.prev_state == PrevState::dead  ? SchedRecord::died
                                                                          : SchedRecord::preempted;
    cpus_.sched_slot(e.cpu) = {e.ts,           e.sw.prev_pid,         e.sw.next_pid, e.sw.prev_prio,
                               e.sw.next_prio, SchedRecord::switched, how,           -1};
  }
  // Interrupts off / on, with where (the caller's name, kept once in context_).
  RTLAT_NOINLINE void record_irqs(const Event& e) {
    if (cfg_.explain == Config::Explain::none) return;
    const std::string_view caller = e.irqs.caller_view();
    record_number(e, e.kind == EventKind::irqs_off ? SchedRecord::irqs_off : SchedRecord::irqs_on,
                  context_.caller(caller.empty() ? std::string_view("?") : caller));
  }
  RTLAT_ALWAYS_INLINE void record_wakeup(const Event& e) {
    record(e, SchedRecord::woken, e.wakeup.pid, e.common_pid, e.wakeup.prio, e.wakeup.target_cpu);
  }

  // The entry of pid, with any lost events on its CPU applied.
  RTLAT_ALWAYS_INLINE Task* find(Pid pid) {
    Task* t = tasks_.find(pid);
    if (t != nullptr) check_lost(*t);
    return t;
  }
  // The task a wakeup / fork / switch names: a new entry when the pid was freed or reused.
  // Inlined into every event's path; what is rare (a new or renamed task) is out of line.
  RTLAT_ALWAYS_INLINE Task& lookup(Pid pid, const Comm& comm, Timestamp ts, bool starts_life) {
    Task* t = find(pid);
    if (t == nullptr || TaskStore::reused(*t, comm, starts_life)) return replace(t, pid, comm, ts);
    t->last_seen = ts;
    if (!comm.empty() && comm != t->comm) rename(*t, comm);
    return *t;
  }
  RTLAT_NOINLINE Task& replace(Task* old, Pid pid, const Comm& comm, Timestamp ts) {
    if (old != nullptr) drop_all(*old, false);
    return tasks_.create(pid, comm, ts);
  }
  RTLAT_NOINLINE void rename(Task& t, const Comm& comm) { tasks_.set_comm(t, comm); }
  // Lost events on t's CPU invalidate what it had in flight and what the engine knew of it.
  RTLAT_ALWAYS_INLINE void check_lost(Task& t) {
    if (cpus_.lost_since_checked(t)) forget_lost(t);
  }
  RTLAT_NOINLINE void forget_lost(Task& t) {
    cpus_.acknowledge_loss(t);
    drop_all(t, true);
    if (t.state != TaskState::dead) t.state = TaskState::unknown;
    t.last_sleep_known = false;
    t.timer_marker_pending = false;
  }
  // A wakeup's target CPU as a place to wait: out-of-range values fall back to the waker's CPU.
  static int valid_cpu(int cpu, int fallback) noexcept {
    return cpu >= 0 && static_cast<std::size_t>(cpu) < max_cpus ? cpu : fallback;
  }
  bool hrtimer_markers_count() const noexcept {
    if (recorded_.syscalls) return !*recorded_.syscalls;
    return !seen.syscall;
  }
  void add_cpu(Task& t, int cpu) noexcept {
    const CpuMask b = cpu_bit(cpu);
    if ((t.cpus_in_all & b) != 0) return;
    t.cpus_in_all |= b;
    t.latency.cpus |= b;
    t.response.cpus |= b;
    t.relief.cpus |= b;
    t.irq.cpus |= b;
    t.derived.interval.cpus |= b;
    t.timer.cpus |= b;
    t.irq_latency.cpus |= b;
  }
  // t was seen running on `cpu`; if it still counted as running elsewhere, its switch-out
  // there was lost.
  void leave_other_cpu(Task& t, int cpu, Pid pid) noexcept {
    if (t.state == TaskState::running && t.cpu != cpu && t.cpu >= 0 &&
        static_cast<std::size_t>(t.cpu) < cpus_.size() &&
        cpus_[static_cast<std::size_t>(t.cpu)].current == pid) {
      cpus_.forget_current(static_cast<std::size_t>(t.cpu));
    }
  }

  // Inlined: every wakeup opens two or three intervals, and `&iv != &t.response` folds away.
  RTLAT_ALWAYS_INLINE void open(Task& t, OpenInterval& iv, const Event& start, int home_cpu) {
    iv.active = true;
    iv.start_ns = start.ts;
    iv.start_seq = cpus_.seq();
    if (&iv != &t.response) t.start_events[iv.start_slot] = start;  // response: latency's copy
    iv.cpus = cpu_bit(home_cpu);
    t.cpus_in_all &= iv.cpus;
    iv.home_cpu = home_cpu;
    // CPUs without events yet have counted nothing.
    const auto& history = cpus_.history();
    iv.home_window = home_cpu >= 0 && static_cast<std::size_t>(home_cpu) < cpus_.size()
                         ? history[static_cast<std::size_t>(home_cpu)].window_total()
                         : 0;
    iv.own_at_open = t.own_events;
  }
  void drop(Task& t, OpenInterval& iv, std::uint64_t& counter, bool count) noexcept {
    if (iv.active && count && t.selected) {
      ++counter;
      if (&iv == &t.timer) ++t.timer_unobserved;
      if (&iv == &t.irq_latency) ++t.irq_latency_unobserved;
    }
    iv.active = false;
  }
  void drop_all(Task& t, bool count) noexcept {
    drop(t, t.latency, counts.unobserved_latency, count);
    drop(t, t.response, counts.unobserved_response, count);
    drop(t, t.relief, counts.unobserved_relief, count);
    drop(t, t.irq, counts.unobserved_irq, count);
    drop(t, t.derived.interval, unobserved_derived_irq, count);
    drop(t, t.timer, counts.unobserved_timer, count);
    drop(t, t.irq_latency, counts.unobserved_irq_latency, count);
    t.sleep_timer = 0;
    t.derived.running = false;
    t.derived.valid = false;
  }
  void complete(Task& t, Metric m, OpenInterval& iv, const Event& end, std::int64_t value,
                bool derived);
  void new_worst(Task& t, Metric m, const OpenInterval& iv, const Event& end, bool derived,
                 bool violation, MetricStats& st);
  // Where the interval of t's sample (started by t.start_of(iv), ended by `end`) went.
  Breakdown explain(const Task& t, Metric m, const OpenInterval& iv, const Event& end,
                    bool derived) const;
  // The verdict on t's sample; its priority is the one its start event gave (a wakeup names
  // it), since a task may change class after.
  Verdict decide_for(const Task& t, const OpenInterval& iv, const Breakdown& b) const;

  void observe_running(const Event& e, Pid pid);
  void on_switch(const Event& e);
  void on_wakeup(const Event& e);
  void restart_at_wakeup(Task& t, const Event& e);
  void on_exit(const Event& e);
  void on_fork(const Event& e);
  void on_timer_marker(const Event& e);
  void arm_own_sleeps();
  void on_irq_thread(const Event& e);

  const Config& cfg_;
  TaskStore& tasks_;
  CpuStates& cpus_;
  WindowScratch scratch_;
  ContextNames context_;  // IRQ names and interrupts-off callers, for breakdowns
  RecordedEvents recorded_;
  bool irq_events_seen_ = false;
  bool handlers_busy_ = false;  // a timer's or a hard IRQ's handler runs on some CPU
  bool wakeup_seen_ = false;    // a sched_wakeup arrived (RecordedEvents::wakeups)
  bool waking_opens_ = false;   // a sched_waking runs the wakeup's rules (wakeup_facts_changed)
  bool waking_used_ = false;    // sched_waking stood in for sched_wakeup
};

// A timer-sleep marker: the relief rule's, and the timer metric's own sleep timer (one task
// lookup for both).
RTLAT_ALWAYS_INLINE void MetricRules::on_timer_marker(const Event& e) {
  bool relief = true;
  if (e.timer.source == TimerSleepSource::syscall) {
    seen.syscall = true;
  } else {
    relief = hrtimer_markers_count();
  }
  const bool own_sleep = TimerRules::own_sleep(timers_, e);
  if (e.common_pid <= 0 || !(relief || own_sleep)) return;
  if (Task* t = find(e.common_pid)) {
    if (relief) t->timer_marker_pending = true;
    if (own_sleep) {
      t->sleep_timer = e.timer.hrtimer;
      t->sleep_softexpires = e.timer.softexpires;
      t->sleep_seq = cpus_.seq();
    }
  }
}

// The first expiry event: the sleep timers tasks keep (TimerRules::own_sleep) join the table,
// where the expiry finds what its timer asked for.
inline void MetricRules::arm_own_sleeps() {
  tasks_.for_each_live([this](Task& t) {
    if (t.sleep_timer != 0) timers_.arm(t.sleep_timer, t.sleep_softexpires);
    t.sleep_timer = 0;
  });
}

inline void MetricRules::on_irq_thread(const Event& e) {
  irq_events_seen_ = true;
  if (e.common_pid <= 0) return;
  Task* t = find(e.common_pid);
  if (t == nullptr || !t->irq_thread) return;
  if (e.kind == EventKind::irq_thread_entry) {
    drop(*t, t->irq, counts.unobserved_irq, true);  // an entry without its exit
    open(*t, t->irq, e, e.cpu);
  } else if (t->irq.active) {
    complete(*t, Metric::irq, t->irq, e, e.ts - t->irq.start_ns, false);
  }
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
