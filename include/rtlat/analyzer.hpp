// The engine: per-task state machines over a stream of rtlat::Event.
//
// Metric rules (README "Metric definitions" has the full text):
//   latency  = wakeup of a sleeping/unknown task -> its next recorded switch-in
//   response = that wakeup -> its first voluntary switch-out (preemptions do not end it)
//   relief   = a wakeup after a timer sleep -> the next voluntary switch-out that is a timer sleep
//   irq      = irq_threaded_handler_entry -> exit of an irq/ thread (or, without those events,
//              its on-CPU time per activation, marked derived)
// Data quality: every event's common_pid tells who runs on its CPU; a mismatch is an implicit
// switch. No sample is ever built on an unseen start: such samples are counted as unobserved.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rtlat/config.hpp"
#include "rtlat/error.hpp"
#include "rtlat/event.hpp"
#include "rtlat/history.hpp"
#include "rtlat/metric.hpp"
#include "rtlat/results.hpp"
#include "rtlat/sink.hpp"
#include "rtlat/task_table.hpp"

namespace rtlat {
inline namespace v1 {

// One completed measurement, handed to callbacks while the trace streams.
struct Sample {
  Pid pid;
  Pid tgid;  // -1 when unknown
  Comm comm;
  Metric metric;
  bool derived;  // irq derived from scheduler events
  Timestamp start_ns;
  Timestamp end_ns;
  std::int64_t value_ns;
  int cpu;                             // CPU of the end event
  std::optional<std::int64_t> slo_ns;  // the bound that applies to this task and metric
  bool violation;                      // value_ns > *slo_ns
};

namespace detail {

enum class TaskState : std::uint8_t { unknown, sleeping, runnable, running, dead };

// Laid out hot first: what every event touches (state, flags, the open intervals) fits in a few
// cache lines; statistics and the copies of interval start events come last.
struct Task {
  Pid pid = 0;
  Pid tgid = -1;
  Comm comm{};
  TaskState state = TaskState::unknown;
  bool selected = true;
  // Measured only because its tgid is not known yet and --tgid may select it once it is
  // (a text trace's tgid column can first show it after its first samples).
  bool provisional = false;
  bool irq_thread = false;  // comm starts with "irq/"
  bool exited = false;      // sched_process_exit seen
  bool gone = false;        // exited and switched out for the last time: the pid is free
  // Relief bookkeeping: was the last voluntary sleep (seen) a timer sleep?
  bool timer_marker_pending = false;
  bool last_sleep_known = false;
  bool last_sleep_timer = false;
  bool derived_running = false;
  bool derived_valid = false;
  int cpu = -1;                 // running on / waiting on / last ran on
  std::uint64_t cpu_epoch = 0;  // lost-event epoch of `cpu` when the task was last checked
  Timestamp first_seen = 0, last_seen = 0;
  std::uint64_t own_events = 0;  // events it issued that are not window kinds (history.hpp)

  // Latency and response always open at the same wakeup, and a new one cannot open before the
  // response ends (the task must sleep first): they share one start-event copy.
  OpenInterval latency{0}, response{0}, relief{1}, irq{2};
  // Derived irq: on-CPU time of the current activation, excluding preempted time.
  OpenInterval derived{3};
  Timestamp derived_segment_start = 0;
  std::int64_t derived_accum = 0;

  std::array<std::optional<std::int64_t>, metric_count> slo{};
  std::array<MetricStats, metric_count> stats;
  MetricStats derived_irq;
  std::array<Event, 4> start_events;  // indexed by OpenInterval::start_slot

  bool in_flight() const noexcept {
    return latency.active || response.active || relief.active || irq.active || derived.active;
  }
  const Event& start_of(const OpenInterval& iv) const noexcept {
    return start_events[iv.start_slot];
  }
};

}  // namespace detail

// Feed events in time order; read results at any point. An event older than one already fed
// (necessarily from another CPU) is dropped, counted in TraceStats::out_of_order and treated as a
// loss on its CPU; time going backwards on one CPU throws InputError.
//
// Memory: O(tasks + CPUs x Config::history); nothing is kept per event. After warm-up (all tasks
// and CPUs seen) feed() allocates only when a sample becomes a task's new worst (its window) or
// falls outside the value range its histogram has stored so far.
class Analyzer {
 public:
  using SampleCallback = std::function<void(const Sample&)>;

  explicit Analyzer(Config config = {}) : cfg_(std::move(config)) {
    if (cfg_.window < 2) cfg_.window = 2;
  }
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  // Called for every completed sample / every sample over its SLO bound, in stream order, for
  // selected tasks only.
  void on_sample(SampleCallback cb) { on_sample_ = std::move(cb); }
  void on_violation(SampleCallback cb) { on_violation_ = std::move(cb); }

  void set_source(std::string name) { stats_.source = std::move(name); }
  void set_cpus(int cpus) {
    if (cpus <= 0) return;
    ensure_cpu(static_cast<std::size_t>(cpus) - 1);
    if (cpus > stats_.cpus) stats_.cpus = cpus;
  }
  void add_skipped(std::uint64_t n) { stats_.skipped += n; }

  // Sink interface (sink.hpp). Throws InputError (without a file name) when time goes backwards
  // on a CPU.
  void feed(const Event& e);
  void task_info(const TaskInfo& info);

  // A snapshot of everything measured so far; the engine keeps running.
  Results results() const;
  // The data-quality totals and trace extent so far. O(CPUs + tasks).
  TraceStats stats() const;

 private:
  using Task = detail::Task;
  using TaskState = detail::TaskState;

  struct CpuState {
    Pid current = -1;              // -1: unknown
    std::uint64_t lost_epoch = 0;  // lost-event markers seen on this CPU
    Task* task = nullptr;          // the entry of `current`; null for idle and unknown
    Timestamp first_ts = INT64_MIN, last_ts = INT64_MIN;  // INT64_MIN: no event yet
  };

  void ensure_cpu(std::size_t cpu) {
    if (cpu < cpus_.size()) return;
    if (cpu >= max_cpus) {
      throw InputError("", "cpu " + std::to_string(cpu), "CPU number out of range");
    }
    cpus_.resize(cpu + 1);
    while (history_.size() <= cpu) history_.emplace_back(cfg_.history);
  }
  void forget_current(int cpu) noexcept {
    cpus_[static_cast<std::size_t>(cpu)].current = -1;
    cpus_[static_cast<std::size_t>(cpu)].task = nullptr;
  }
  // A wakeup's target CPU as a place to wait: out-of-range values fall back to the waker's CPU.
  int valid_cpu(int cpu, int fallback) const noexcept {
    return cpu >= 0 && static_cast<std::size_t>(cpu) < max_cpus ? cpu : fallback;
  }

  // The entry of pid, with any lost events on its CPU applied.
  Task* find(Pid pid) {
    Task* t = pids_.find(pid);
    if (t != nullptr) check_lost(*t);
    return t;
  }
  Task& create(Pid pid, const Comm& comm, Timestamp ts);
  // The task a wakeup / fork / switch names: a new entry when the pid was freed or reused.
  Task& lookup(Pid pid, const Comm& comm, Timestamp ts, bool starts_life);
  void set_comm(Task& t, const Comm& comm);
  void update_selection(Task& t);
  // Lost events on a CPU invalidate what is in flight for the tasks on it. Rather than finding
  // them at the marker, each CPU counts its markers (an epoch) and a task compares the epoch of
  // its CPU when it is next touched: O(1), no per-CPU task lists to maintain on every interval.
  void set_cpu(Task& t, int cpu) {
    if (static_cast<std::size_t>(cpu) >= cpus_.size()) ensure_cpu(static_cast<std::size_t>(cpu));
    t.cpu = cpu;
    t.cpu_epoch = cpus_[static_cast<std::size_t>(cpu)].lost_epoch;
  }
  bool lost_since_checked(const Task& t) const noexcept {
    // Most traces lose nothing: then no task's CPU needs looking at.
    return any_loss_ && t.cpu >= 0 &&
           cpus_[static_cast<std::size_t>(t.cpu)].lost_epoch != t.cpu_epoch;
  }
  void check_lost(Task& t) {
    if (!lost_since_checked(t)) return;
    t.cpu_epoch = cpus_[static_cast<std::size_t>(t.cpu)].lost_epoch;
    drop_all(t, true);
    if (t.state != TaskState::dead) t.state = TaskState::unknown;
    t.last_sleep_known = false;
    t.timer_marker_pending = false;
  }

  // `e` is the event that shows pid running on its CPU.
  void observe_running(const Event& e, Pid pid);
  void on_switch(const Event& e);
  void on_wakeup(const Event& e);
  void on_exit(const Event& e);
  void on_fork(const Event& e);
  void on_timer_marker(const Event& e);
  void on_irq_thread(const Event& e);
  void on_lost(const Event& e);
  // What the engine did not see on a CPU invalidates what is in flight there.
  void lose_track(CpuState& cs) noexcept {
    any_loss_ = true;
    ++cs.lost_epoch;  // the tasks on this CPU find out when next touched (check_lost)
    cs.current = -1;
    cs.task = nullptr;
  }

  void open(Task& t, OpenInterval& iv, const Event& start, int home_cpu);
  void drop(Task& t, OpenInterval& iv, std::uint64_t& unobserved_counter, bool count);
  void drop_all(Task& t, bool count);
  std::uint64_t& unobserved_counter(Metric m) noexcept {
    switch (m) {
      case Metric::latency:
        return stats_.unobserved_latency;
      case Metric::response:
        return stats_.unobserved_response;
      case Metric::relief:
        return stats_.unobserved_relief;
      case Metric::irq:
        break;
    }
    return stats_.unobserved_irq;
  }
  void complete(Task& t, Metric m, OpenInterval& iv, const Event& end, std::int64_t value,
                bool derived);
  void add_cpu(Task& t, int cpu) noexcept {
    const CpuMask b = cpu_bit(cpu);
    t.latency.cpus |= b;
    t.response.cpus |= b;
    t.relief.cpus |= b;
    t.irq.cpus |= b;
    t.derived.cpus |= b;
  }
  bool hrtimer_markers_count() const noexcept {
    if (cfg_.syscall_events_recorded) return !*cfg_.syscall_events_recorded;
    return !syscalls_seen_;
  }
  bool irq_events_in_use() const noexcept {
    if (cfg_.irq_thread_events_recorded) return *cfg_.irq_thread_events_recorded;
    return irq_events_seen_;
  }

  Config cfg_;
  SampleCallback on_sample_, on_violation_;
  TraceStats stats_;
  std::vector<CpuState> cpus_;
  std::vector<CpuHistory> history_;
  std::deque<Task> tasks_;  // stable addresses: the pid table and CPU states point at entries
  PidTable<Task> pids_;
  std::unordered_map<Pid, TaskInfo> hints_;  // saved cmdlines / tgids for tasks not seen yet
  std::uint64_t seq_ = 0;
  WindowScratch scratch_;
  // Derived-irq samples dropped; they count as unobserved irq only if the irq metric is derived.
  std::uint64_t unobserved_derived_irq_ = 0;
  bool syscalls_seen_ = false;
  bool irq_events_seen_ = false;
  bool any_loss_ = false;            // a lost-event marker or an out-of-order event was seen
  Timestamp newest_ts_ = INT64_MIN;  // the latest timestamp analysed, over all CPUs
  std::uint32_t kinds_seen_ = 0;     // bit per EventKind analysed
  bool saw(EventKind k) const noexcept {
    return (kinds_seen_ & (std::uint32_t{1} << static_cast<unsigned>(k))) != 0;
  }
};

// ---------------------------------------------------------------------------------------------

inline void Analyzer::feed(const Event& e) {
  if (e.cpu >= cpus_.size()) ensure_cpu(e.cpu);
  CpuState& cs = cpus_[e.cpu];  // feed() resizes nothing below until the last use of cs
  if (e.ts < newest_ts_) {
    if (e.ts < cs.last_ts) {
      throw InputError("", "cpu " + std::to_string(e.cpu) + " at " + std::to_string(e.ts) + " ns",
                       "time went backwards (previous event on this CPU at " +
                           std::to_string(cs.last_ts) + " ns)");
    }
    if (e.kind == EventKind::lost_events) {
      // A marker measures nothing, and sources can place it only roughly (at its CPU's next or
      // last event): it is taken, stamped when the engine learns of it, so that windows stay
      // in time order.
      Event late = e;
      late.ts = newest_ts_;
      feed(late);
      return;
    }
    // Another CPU is already past this event: any interval it would end or start could come out
    // negative or longer than it was. It is dropped, and its CPU counts as having lost events.
    ++stats_.out_of_order;
    lose_track(cs);
    return;
  }
  if (e.ts > newest_ts_) newest_ts_ = e.ts;
  kinds_seen_ |= std::uint32_t{1} << static_cast<unsigned>(e.kind);
  if (cs.last_ts == INT64_MIN) cs.first_ts = e.ts;
  cs.last_ts = e.ts;
  history_[e.cpu].push(e, ++seq_);

  if (e.kind == EventKind::lost_events) {
    on_lost(e);
    return;
  }
  if (e.common_pid >= 0) {
    if (e.common_pid != cs.current) observe_running(e, e.common_pid);
    if (!is_window_kind(e.kind)) {
      if (Task* t = cpus_[e.cpu].task) ++t->own_events;
    }
  }

  switch (e.kind) {
    case EventKind::sched_switch:
      on_switch(e);
      break;
    case EventKind::sched_wakeup:
      if (cfg_.wakeup_event == WakeupEvent::wakeup) on_wakeup(e);
      break;
    case EventKind::sched_waking:
      if (cfg_.wakeup_event == WakeupEvent::waking) on_wakeup(e);
      break;
    case EventKind::sched_wakeup_new:
      on_wakeup(e);
      break;
    case EventKind::process_exit:
      on_exit(e);
      break;
    case EventKind::process_fork:
      on_fork(e);
      break;
    case EventKind::timer_sleep:
      on_timer_marker(e);
      break;
    case EventKind::syscall:
      syscalls_seen_ = true;
      break;
    case EventKind::irq_thread_entry:
    case EventKind::irq_thread_exit:
      on_irq_thread(e);
      break;
    default:
      break;
  }
}

inline void Analyzer::task_info(const TaskInfo& info) {
  if (info.pid <= 0) return;
  if (Task* t = find(info.pid); t != nullptr && !t->gone) {
    if (!info.comm.empty()) set_comm(*t, info.comm);
    if (info.tgid >= 0 && t->tgid != info.tgid) {
      t->tgid = info.tgid;
      update_selection(*t);
    }
    return;
  }
  TaskInfo& h = hints_[info.pid];
  h.pid = info.pid;
  if (!info.comm.empty()) h.comm = info.comm;
  if (info.tgid >= 0) h.tgid = info.tgid;
}

inline detail::Task& Analyzer::create(Pid pid, const Comm& comm, Timestamp ts) {
  Task& t = tasks_.emplace_back();
  t.pid = pid;
  t.first_seen = t.last_seen = ts;
  if (auto it = hints_.find(pid); it != hints_.end()) {
    t.comm = it->second.comm;
    t.tgid = it->second.tgid;
  }
  if (!comm.empty()) t.comm = comm;
  t.irq_thread = t.comm.view().substr(0, 4) == "irq/";
  for (Metric m : all_metrics)
    t.slo[static_cast<std::size_t>(m)] = cfg_.slo[static_cast<std::size_t>(m)];
  for (const SloOverride& o : cfg_.slo_overrides) {
    if (o.pid == pid) t.slo[static_cast<std::size_t>(o.metric)] = o.bound_ns;
  }
  update_selection(t);
  pids_.set(pid, &t);
  return t;
}

inline detail::Task& Analyzer::lookup(Pid pid, const Comm& comm, Timestamp ts, bool starts_life) {
  Task* t = find(pid);
  if (t == nullptr) return create(pid, comm, ts);
  // A freed pid, or an exited task's pid showing up under another name, is a new task.
  const bool reused = t->gone || (t->exited && (starts_life || (!comm.empty() && comm != t->comm)));
  if (reused) {
    drop_all(*t, false);
    return create(pid, comm, ts);
  }
  t->last_seen = ts;
  if (!comm.empty() && comm != t->comm) set_comm(*t, comm);
  return *t;
}

inline void Analyzer::set_comm(Task& t, const Comm& comm) {
  t.comm = comm;
  t.irq_thread = t.comm.view().substr(0, 4) == "irq/";
  if (cfg_.selection.comm) update_selection(t);
}

inline void Analyzer::update_selection(Task& t) {
  const Selection& s = cfg_.selection;
  t.provisional = false;
  if (s.all()) {
    t.selected = true;
    return;
  }
  bool sel = false;
  for (Pid p : s.pids) sel = sel || p == t.pid;
  for (Pid g : s.tgids) sel = sel || (t.tgid >= 0 && g == t.tgid);
  if (!sel && s.comm) sel = s.comm(t.comm.view());
  if (!sel && !s.tgids.empty() && t.tgid < 0) t.provisional = sel = true;
  t.selected = sel;
}

inline void Analyzer::open(Task& t, OpenInterval& iv, const Event& start, int home_cpu) {
  iv.active = true;
  iv.start_ns = start.ts;
  iv.start_seq = seq_;
  if (&iv != &t.response) t.start_events[iv.start_slot] = start;  // response: latency's copy
  iv.cpus = cpu_bit(home_cpu);
  iv.home_cpu = home_cpu;
  // CPUs without events yet have counted nothing.
  iv.home_window = home_cpu >= 0 && static_cast<std::size_t>(home_cpu) < history_.size()
                       ? history_[static_cast<std::size_t>(home_cpu)].window_total()
                       : 0;
  iv.own_at_open = t.own_events;
}

inline void Analyzer::drop(Task& t, OpenInterval& iv, std::uint64_t& counter, bool count) {
  if (iv.active && count && t.selected) ++counter;
  iv.active = false;
}

inline void Analyzer::drop_all(Task& t, bool count) {
  drop(t, t.latency, stats_.unobserved_latency, count);
  drop(t, t.response, stats_.unobserved_response, count);
  drop(t, t.relief, stats_.unobserved_relief, count);
  drop(t, t.irq, stats_.unobserved_irq, count);
  drop(t, t.derived, unobserved_derived_irq_, count);
  t.derived_running = false;
  t.derived_valid = false;
}

inline void Analyzer::complete(Task& t, Metric m, OpenInterval& iv, const Event& end,
                               std::int64_t value, bool derived) {
  iv.active = false;
  if (!t.selected) return;
  if (value < 0 || end.ts < iv.start_ns) {
    // Events arrive in time order (feed() drops the rest), so this cannot happen; should it
    // ever, a duration that did not happen is never reported.
    ++(derived ? unobserved_derived_irq_ : unobserved_counter(m));
    return;
  }
  const auto mi = static_cast<std::size_t>(m);
  MetricStats& st = derived ? t.derived_irq : t.stats[mi];
  const std::optional<std::int64_t>& bound = t.slo[mi];
  if (st.add(value, bound)) {
    st.set_worst(
        cut_window(history_, iv, t.start_of(iv), end, t.pid, t.own_events, cfg_.window, scratch_));
  }
  if (derived && irq_events_in_use()) return;  // real irq events exist: derived ones are moot
  if (t.provisional) return;                   // not known to be selected yet
  const bool violation = bound && value > *bound;
  if (on_sample_ || (violation && on_violation_)) {
    const Sample s{t.pid,  t.tgid, t.comm,  m,     derived,  iv.start_ns,
                   end.ts, value,  end.cpu, bound, violation};
    if (on_sample_) on_sample_(s);
    if (violation && on_violation_) on_violation_(s);
  }
}

// The event on `cpu` was issued by `pid`: if that is not who we believed ran there, switches
// were not recorded (idle switch-ins omitted by some kernels, buffer overruns).
inline void Analyzer::observe_running(const Event& e, Pid pid) {
  const int cpu = e.cpu;
  const Timestamp ts = e.ts;
  const Pid was = cpus_[static_cast<std::size_t>(cpu)].current;
  if (was == pid) return;
  if (was >= 0) {
    ++stats_.implicit_switches;
    if (was > 0) {
      if (Task* old = find(was);
          old != nullptr && old->state == TaskState::running && old->cpu == cpu) {
        // It left the CPU unseen: we no longer know whether it slept or was preempted.
        old->state = TaskState::unknown;
        old->last_sleep_known = false;
        old->derived_valid = false;
        old->derived_running = false;
      }
    }
  }
  cpus_[static_cast<std::size_t>(cpu)].current = pid;
  cpus_[static_cast<std::size_t>(cpu)].task = nullptr;
  if (pid == 0) return;
  Task& t = lookup(pid, Comm{}, ts, false);
  cpus_[static_cast<std::size_t>(cpu)].task = &t;
  if (t.state == TaskState::runnable && t.latency.active) {
    // Running, but its switch-in was not recorded: the latency end is unknown.
    drop(t, t.latency, stats_.unobserved_latency, true);
  }
  if (t.state == TaskState::running && t.cpu != cpu && t.cpu >= 0 &&
      static_cast<std::size_t>(t.cpu) < cpus_.size() &&
      cpus_[static_cast<std::size_t>(t.cpu)].current == pid) {
    forget_current(t.cpu);
  }
  if (t.state != TaskState::running) {
    // An activation whose switch-in we did not see cannot give a derived irq sample.
    t.derived_valid = false;
    t.derived_running = false;
    if (t.irq_thread && t.state != TaskState::dead && was >= 0) {
      // A switch-in was missed (another task was known to run here): open the activation anyway
      // so the voluntary sleep that ends it is counted as unobserved. At trace start (or after
      // lost events) nothing was missed that is not already counted.
      if (!t.derived.active) open(t, t.derived, e, cpu);
    }
  }
  if (t.state != TaskState::dead) t.state = TaskState::running;
  set_cpu(t, cpu);
  add_cpu(t, cpu);
}

inline void Analyzer::on_switch(const Event& e) {
  const int cpu = e.cpu;
  const Pid prev = e.sw.prev_pid;
  const Pid next = e.sw.next_pid;
  if (cpus_[static_cast<std::size_t>(cpu)].current != prev) observe_running(e, prev);

  if (prev > 0) {
    // The CPU's current entry is prev's unless its comm changed or its pid was freed.
    Task* cur = cpus_[static_cast<std::size_t>(cpu)].task;
    if (cur == nullptr || cur->gone || cur->comm != e.sw.prev_comm) {
      cur = &lookup(prev, e.sw.prev_comm, e.ts, false);
    }
    Task& t = *cur;
    check_lost(t);
    t.last_seen = e.ts;
    if (t.derived_running) {
      t.derived_accum += e.ts - t.derived_segment_start;
      t.derived_running = false;
    }
    if (is_voluntary_sleep(e.prev_state)) {
      const bool timer = t.timer_marker_pending;
      t.timer_marker_pending = false;
      if (t.response.active)
        complete(t, Metric::response, t.response, e, e.ts - t.response.start_ns, false);
      if (t.relief.active && timer)
        complete(t, Metric::relief, t.relief, e, e.ts - t.relief.start_ns, false);
      if (t.derived.active) {
        if (t.derived_valid) {
          complete(t, Metric::irq, t.derived, e, t.derived_accum, true);
        } else {
          drop(t, t.derived, unobserved_derived_irq_, true);
        }
      }
      t.derived_valid = false;
      t.last_sleep_known = true;
      t.last_sleep_timer = timer;
      if (t.state != TaskState::dead) t.state = TaskState::sleeping;
    } else if (e.prev_state == PrevState::dead) {
      drop_all(t, false);
      t.exited = true;
      t.gone = true;
      t.state = TaskState::dead;
    } else if (t.state != TaskState::dead) {
      t.state = TaskState::runnable;  // preempted or yielded: still on the runqueue
    }
    set_cpu(t, cpu);
  }

  cpus_[static_cast<std::size_t>(cpu)].current = next;
  cpus_[static_cast<std::size_t>(cpu)].task = nullptr;
  if (next > 0) {
    Task& t = lookup(next, e.sw.next_comm, e.ts, false);
    cpus_[static_cast<std::size_t>(cpu)].task = &t;
    // A new activation starts at a recorded switch-in after a wakeup (or after a recorded sleep
    // whose wakeup was missed); a switch-in after a preemption resumes the current one.
    const bool activation = t.latency.active || t.state == TaskState::sleeping;
    if (t.state == TaskState::running && t.cpu != cpu && t.cpu >= 0 &&
        static_cast<std::size_t>(t.cpu) < cpus_.size() &&
        cpus_[static_cast<std::size_t>(t.cpu)].current == next) {
      forget_current(t.cpu);  // its switch-out there was lost
    }
    add_cpu(t, cpu);
    if (t.latency.active)
      complete(t, Metric::latency, t.latency, e, e.ts - t.latency.start_ns, false);
    if (t.irq_thread) {
      if (t.derived.active && t.derived_valid) {
        t.derived_running = true;  // resumes after a preemption
        t.derived_segment_start = e.ts;
      } else if (!t.derived.active && activation) {
        open(t, t.derived, e, cpu);  // a new activation starts at a recorded switch-in
        t.derived_valid = true;
        t.derived_running = true;
        t.derived_accum = 0;
        t.derived_segment_start = e.ts;
      }
    }
    if (t.state != TaskState::dead) t.state = TaskState::running;
    set_cpu(t, cpu);
  }
}

inline void Analyzer::on_wakeup(const Event& e) {
  const Pid pid = e.wakeup.pid;
  if (pid <= 0) return;
  Task& t = lookup(pid, e.wakeup.comm, e.ts, e.kind == EventKind::sched_wakeup_new);
  if (t.state == TaskState::running || t.state == TaskState::runnable ||
      t.state == TaskState::dead) {
    return;  // already on a runqueue (or dying): this wakeup starts nothing
  }
  if (t.state == TaskState::unknown) {
    // We lost track of it (unseen switch-out, lost events): whatever was in flight ended unseen.
    drop(t, t.response, stats_.unobserved_response, true);
    drop(t, t.relief, stats_.unobserved_relief, true);
    drop(t, t.derived, unobserved_derived_irq_, true);
  }
  const int target = valid_cpu(e.wakeup.target_cpu, e.cpu);
  t.state = TaskState::runnable;
  set_cpu(t, target);
  open(t, t.latency, e, target);
  open(t, t.response, e, target);
  if (t.last_sleep_known && t.last_sleep_timer && !t.relief.active) open(t, t.relief, e, target);
}

inline void Analyzer::on_exit(const Event& e) {
  Task* t = find(e.wakeup.pid);
  if (t == nullptr || t->gone) return;
  // The exit names the task as it ends, after any exec: learn it now, so that its final
  // switch-out under that name is not taken for a new task reusing the pid.
  if (!e.wakeup.comm.empty() && e.wakeup.comm != t->comm) set_comm(*t, e.wakeup.comm);
  drop_all(*t, false);  // the task ended: intervals in flight have no end to wait for
  t->exited = true;
  t->state = TaskState::dead;
  t->last_seen = e.ts;
}

inline void Analyzer::on_fork(const Event& e) {
  const Pid child = e.fork.child_pid;
  if (child <= 0) return;
  Task* old = find(child);
  if (old != nullptr && !old->gone) {
    // The pid is being handed out again, so whatever we had under it is over.
    drop_all(*old, false);
    old->exited = true;
    old->gone = true;
    old->state = TaskState::dead;
  }
  // A fork does not say whether the child is a thread, so its tgid stays unknown unless the
  // source knows it. It is not on a runqueue yet: sched_wakeup_new starts its latency.
  Task& t = create(child, e.fork.child_comm, e.ts);
  t.state = TaskState::sleeping;
}

inline void Analyzer::on_timer_marker(const Event& e) {
  if (e.timer.source == TimerSleepSource::syscall) {
    syscalls_seen_ = true;
  } else if (!hrtimer_markers_count()) {
    return;
  }
  if (e.common_pid <= 0) return;
  if (Task* t = find(e.common_pid)) t->timer_marker_pending = true;
}

inline void Analyzer::on_irq_thread(const Event& e) {
  irq_events_seen_ = true;
  if (e.common_pid <= 0) return;
  Task* t = find(e.common_pid);
  if (t == nullptr || !t->irq_thread) return;
  if (e.kind == EventKind::irq_thread_entry) {
    drop(*t, t->irq, stats_.unobserved_irq, true);  // an entry without its exit
    open(*t, t->irq, e, e.cpu);
  } else if (t->irq.active) {
    complete(*t, Metric::irq, t->irq, e, e.ts - t->irq.start_ns, false);
  }
}

inline void Analyzer::on_lost(const Event& e) {
  ++stats_.lost_event_markers;
  stats_.lost_events += e.lost.count;
  lose_track(cpus_[e.cpu]);
}

inline TraceStats Analyzer::stats() const {
  // Extent and counts are derived here rather than kept per event: feed() stays lean.
  TraceStats s = stats_;
  s.events = seq_;
  std::uint64_t derived_drops = unobserved_derived_irq_;
  // Intervals that lost events invalidated but whose task was not touched since.
  for (const Task& t : tasks_) {
    if (!t.selected || !t.in_flight() || !lost_since_checked(t)) continue;
    s.unobserved_latency += t.latency.active ? 1 : 0;
    s.unobserved_response += t.response.active ? 1 : 0;
    s.unobserved_relief += t.relief.active ? 1 : 0;
    s.unobserved_irq += t.irq.active ? 1 : 0;
    derived_drops += t.derived.active ? 1 : 0;
  }
  if (!irq_events_in_use()) s.unobserved_irq += derived_drops;
  s.missing.sched_switch = !saw(EventKind::sched_switch);
  s.missing.wakeups = !saw(EventKind::sched_wakeup_new) &&
                      !saw(cfg_.wakeup_event == WakeupEvent::waking ? EventKind::sched_waking
                                                                    : EventKind::sched_wakeup);
  s.missing.timer_markers = !saw(EventKind::timer_sleep) && !saw(EventKind::syscall) &&
                            cfg_.syscall_events_recorded != true;
  bool any = false;
  for (std::size_t c = 0; c < cpus_.size(); ++c) {
    const CpuState& cs = cpus_[c];
    if (cs.last_ts == INT64_MIN) continue;
    if (!any || cs.first_ts < s.start_ns) s.start_ns = cs.first_ts;
    if (!any || cs.last_ts > s.end_ns) s.end_ns = cs.last_ts;
    if (static_cast<int>(c) + 1 > s.cpus) s.cpus = static_cast<int>(c) + 1;
    any = true;
  }
  return s;
}

inline Results Analyzer::results() const {
  Results r;
  r.trace = stats();
  const bool real_irq = irq_events_in_use();
  r.tasks.reserve(tasks_.size());
  for (const Task& t : tasks_) {
    if (!t.selected || t.provisional) continue;
    TaskResult tr;
    tr.pid = t.pid;
    if (t.tgid >= 0) tr.tgid = t.tgid;
    tr.comm = std::string(t.comm.view());
    tr.first_seen_ns = t.first_seen;
    tr.last_seen_ns = t.last_seen;
    tr.exited = t.exited;
    for (Metric m : all_metrics) {
      const auto mi = static_cast<std::size_t>(m);
      if (m == Metric::irq && !real_irq && t.irq_thread) {
        tr.metrics[mi] = t.derived_irq.result(t.slo[mi], true);
      } else {
        tr.metrics[mi] = t.stats[mi].result(t.slo[mi], false);
      }
    }
    r.tasks.push_back(std::move(tr));
  }
  return r;
}

}  // namespace v1
}  // namespace rtlat
