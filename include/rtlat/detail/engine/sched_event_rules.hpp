// The scheduler events' rules: a switch, a wakeup, an exit or a fork moves a task between states,
// starts and ends its latency, response, relief and derived irq intervals, and ends a task's life
// or hands its pid to a new one; an event whose common_pid is not the CPU's current task is an
// implicit switch (MetricRules::observe_running).
#pragma once

#include "rtlat/detail/always_inline.hpp"
#include "rtlat/detail/engine/metric_rules.hpp"
#include "rtlat/detail/engine/task.hpp"
#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// The event on its CPU was issued by `pid`: if that is not who we believed ran there, switches
// were not recorded (idle switch-ins omitted by some kernels, buffer overruns).
inline void MetricRules::observe_running(const Event& e, Pid pid) {
  const int cpu = e.cpu;
  const auto c = static_cast<std::size_t>(cpu);
  const Pid was = cpus_[c].current;
  if (was == pid) return;
  if (was >= 0) {
    ++counts.implicit_switches;
    if (was > 0) {
      if (Task* old = find(was);
          old != nullptr && old->state == TaskState::running && old->cpu == cpu) {
        // It left the CPU unseen: we no longer know whether it slept or was preempted.
        old->state = TaskState::unknown;
        old->last_sleep_known = false;
        old->derived.valid = false;
        old->derived.running = false;
      }
    }
  }
  cpus_[c].current = pid;
  cpus_[c].task = nullptr;
  if (cfg_.explain != Config::Explain::none) {
    const Task* seen_task = pid > 0 ? tasks_.find(pid) : nullptr;
    record(e, SchedRecord::implicit, was, pid, 0, -1, seen_task != nullptr ? seen_task->prio : 120);
  }
  if (pid == 0) return;
  Task& t = lookup(pid, Comm{}, e.ts, false);
  cpus_[c].task = &t;
  if (t.state == TaskState::runnable && t.latency.active) {
    // Running, but its switch-in was not recorded: the latency end is unknown.
    drop(t, t.latency, counts.unobserved_latency, true);
  }
  if (t.state != TaskState::running) {  // likewise
    drop(t, t.timer, counts.unobserved_timer, true);
    drop(t, t.irq_latency, counts.unobserved_irq_latency, true);
  }
  leave_other_cpu(t, cpu, pid);
  if (t.state != TaskState::running) {
    // An activation whose switch-in we did not see cannot give a derived irq sample.
    t.derived.valid = false;
    t.derived.running = false;
    if (t.irq_thread && t.state != TaskState::dead && was >= 0) {
      // A switch-in was missed (another task was known to run here): open the activation anyway
      // so the voluntary sleep that ends it is counted as unobserved. At trace start (or after
      // lost events) nothing was missed that is not already counted.
      if (!t.derived.interval.active) open(t, t.derived.interval, e, cpu);
    }
  }
  if (t.state != TaskState::dead) t.state = TaskState::running;
  cpus_.set_known_cpu(t, cpu);
  add_cpu(t, cpu);
}

inline void MetricRules::on_switch(const Event& e) {
  const int cpu = e.cpu;
  const auto c = static_cast<std::size_t>(cpu);
  const Pid prev = e.sw.prev_pid;
  const Pid next = e.sw.next_pid;
  if (cpus_[c].current != prev) observe_running(e, prev);

  if (prev > 0) {
    // The CPU's current entry is prev's unless its comm changed or its pid was freed.
    Task* cur = cpus_[c].task;
    if (cur == nullptr || cur->gone || cur->comm != e.sw.prev_comm) {
      cur = &lookup(prev, e.sw.prev_comm, e.ts, false);
    }
    Task& t = *cur;
    check_lost(t);
    t.last_seen = e.ts;
    t.prio = e.sw.prev_prio;
    if (t.derived.running) {
      t.derived.accum += e.ts - t.derived.segment_start;
      t.derived.running = false;
    }
    if (is_voluntary_sleep(e.prev_state)) {
      const bool timer = t.timer_marker_pending;
      t.timer_marker_pending = false;
      if (t.response.active)
        complete(t, Metric::response, t.response, e, e.ts - t.response.start_ns, false);
      if (t.relief.active && timer)
        complete(t, Metric::relief, t.relief, e, e.ts - t.relief.start_ns, false);
      if (t.derived.interval.active) {
        if (t.derived.valid) {
          complete(t, Metric::irq, t.derived.interval, e, t.derived.accum, true);
        } else {
          drop(t, t.derived.interval, unobserved_derived_irq, true);
        }
      }
      t.derived.valid = false;
      t.last_sleep_known = true;
      t.last_sleep_timer = timer;
      if (t.state != TaskState::dead) t.state = TaskState::sleeping;
    } else if (e.prev_state == PrevState::dead) {
      drop_all(t, false);
      t.gone = true;
      t.state = TaskState::dead;
      tasks_.finished(t);
    } else if (t.state != TaskState::dead) {
      t.state = TaskState::runnable;  // preempted or yielded: still on the runqueue
    }
    cpus_.set_known_cpu(t, cpu);
  }

  cpus_[c].current = next;
  cpus_[c].task = nullptr;
  if (next > 0) {
    Task& t = lookup(next, e.sw.next_comm, e.ts, false);
    cpus_[c].task = &t;
    t.prio = e.sw.next_prio;
    // A new activation starts at a recorded switch-in after a wakeup (or after a recorded sleep
    // whose wakeup was missed); a switch-in after a preemption resumes the current one.
    const bool activation = t.latency.active || t.state == TaskState::sleeping;
    leave_other_cpu(t, cpu, next);
    add_cpu(t, cpu);
    if (t.latency.active)
      complete(t, Metric::latency, t.latency, e, e.ts - t.latency.start_ns, false);
    TimerRules::end(*this, t, e);
    if (t.irq_thread) {
      IrqLatencyRules::end(*this, t, e);
      if (t.derived.interval.active && t.derived.valid) {
        t.derived.running = true;  // resumes after a preemption
        t.derived.segment_start = e.ts;
      } else if (!t.derived.interval.active && activation) {
        open(t, t.derived.interval, e, cpu);  // a new activation starts at a recorded switch-in
        t.derived.valid = true;
        t.derived.running = true;
        t.derived.accum = 0;
        t.derived.segment_start = e.ts;
      }
    }
    if (t.state != TaskState::dead) t.state = TaskState::running;
    cpus_.set_known_cpu(t, cpu);
  }
}

inline void MetricRules::on_wakeup(const Event& e) {
  const Pid pid = e.wakeup.pid;
  if (pid <= 0) return;
  Task& t = lookup(pid, e.wakeup.comm, e.ts, e.kind == EventKind::sched_wakeup_new);
  t.prio = e.wakeup.prio;
  if (t.sleep_timer != 0) TimerRules::own_wake(*this, t, e);  // before its state changes
  if (t.state == TaskState::running || t.state == TaskState::runnable ||
      t.state == TaskState::dead) {
    // Already on a runqueue (or dying): this wakeup starts nothing, unless it is the
    // sched_wakeup of a wakeup whose sched_waking stood in for it (text input, before the
    // first sched_wakeup): the intervals that waking opened start here instead.
    if (e.kind == EventKind::sched_wakeup && t.state == TaskState::runnable && t.latency.active &&
        t.start_of(t.latency).kind == EventKind::sched_waking)
      restart_at_wakeup(t, e);
    return;
  }
  if (t.state == TaskState::unknown) {
    // We lost track of it (unseen switch-out, lost events): whatever was in flight ended unseen.
    drop(t, t.response, counts.unobserved_response, true);
    drop(t, t.relief, counts.unobserved_relief, true);
    drop(t, t.derived.interval, unobserved_derived_irq, true);
  }
  // A relief that spans a block shows the wakeup that ended it, and what the waker's CPU did
  // meanwhile, wherever that wakeup was issued.
  if (t.relief.active) t.relief.cpus |= cpu_bit(e.cpu);
  const int target = valid_cpu(e.wakeup.target_cpu, e.cpu);
  t.state = TaskState::runnable;
  cpus_.set_cpu(t, target);
  open(t, t.latency, e, target);
  open(t, t.response, e, target);
  if (t.last_sleep_known && t.last_sleep_timer && !t.relief.active) open(t, t.relief, e, target);
}

inline void MetricRules::restart_at_wakeup(Task& t, const Event& e) {
  const int target = valid_cpu(e.wakeup.target_cpu, e.cpu);
  const bool relief = t.relief.active && t.relief.start_seq == t.latency.start_seq;
  cpus_.set_cpu(t, target);
  open(t, t.latency, e, target);
  open(t, t.response, e, target);
  if (relief) open(t, t.relief, e, target);
}

inline void MetricRules::on_exit(const Event& e) {
  Task* t = find(e.wakeup.pid);
  if (t == nullptr || t->gone) return;
  // The exit names the task as it ends, after any exec: learn it now, so that its final
  // switch-out under that name is not taken for a new task reusing the pid.
  if (!e.wakeup.comm.empty() && e.wakeup.comm != t->comm) tasks_.set_comm(*t, e.wakeup.comm);
  drop_all(*t, false);  // the task ended: intervals in flight have no end to wait for
  t->state = TaskState::dead;
  t->last_seen = e.ts;
}

inline void MetricRules::on_fork(const Event& e) {
  const Pid child = e.fork.child_pid;
  if (child <= 0) return;
  const Task* parent = cfg_.selection.follow_forks ? find(e.fork.parent_pid) : nullptr;
  const bool followed = parent != nullptr && parent->selected && !parent->provisional;
  Task* old = find(child);
  if (old != nullptr && !old->gone) {
    // The pid is being handed out again, so whatever we had under it is over.
    drop_all(*old, false);
    old->gone = true;
    old->state = TaskState::dead;
  }
  // A fork does not say whether the child is a thread, so its tgid stays unknown unless the
  // source knows it. It is not on a runqueue yet: sched_wakeup_new starts its latency.
  Task& t = tasks_.create(child, e.fork.child_comm, e.ts);
  t.state = TaskState::sleeping;
  if (followed) {
    t.forked_by_selected = true;
    t.selected = true;
    t.provisional = false;
  }
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
