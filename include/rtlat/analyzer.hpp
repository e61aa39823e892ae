/// @file
/// The streaming engine: feed it events, get samples through callbacks and results at any time.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "rtlat/config.hpp"
#include "rtlat/detail/always_inline.hpp"
#include "rtlat/detail/engine/cpus.hpp"
#include "rtlat/detail/engine/rules.hpp"
#include "rtlat/detail/engine/tasks.hpp"
#include "rtlat/event.hpp"
#include "rtlat/results.hpp"
#include "rtlat/sink.hpp"
#include "rtlat/source_info.hpp"

namespace rtlat {
inline namespace v1 {

/// The engine, for those who feed events themselves (rtlat::analyze() drives one from a
/// source). It is a sink (sink.hpp): sources call feed() and task_info().
///
/// Events must come in time order. An event older than one already fed (necessarily from
/// another CPU) is dropped, counted in TraceStats::out_of_order and treated as a loss on its
/// CPU; time going backwards on one CPU is corrupt input.
///
/// Memory: O(tasks + CPUs x (Config::history + Config::sched_history)); nothing is kept per
/// event. With Config::max_finished_tasks, "tasks" is those alive plus the bound plus at most
/// 256 folded groups (memory()). After warm-up (all tasks and CPUs seen) feed() allocates only when
/// a sample becomes a task's new worst (its window), falls outside the value range its histogram
/// has stored so far, or, with Config::Explain::all, violates its bound (its breakdown, computed
/// to count its verdict).
///
/// Thread safety: none; one thread feeds it and reads its results. Callbacks run inside feed(),
/// on that thread. Neither copyable nor movable (its parts refer to its Config).
class Analyzer {
 public:
  /// Effects: an engine that measures as `config` says (a Config::window below 2 is taken as
  /// 2). The SLO bounds are fixed here: each task takes its bounds when the engine first sees
  /// it. Complexity: O(1); the per-CPU tables are made as CPUs become known. Throws:
  /// std::bad_alloc only.
  explicit Analyzer(Config config = {})
      : cfg_(std::move(config)),
        cpus_(cfg_.history, cfg_.explain == Config::Explain::none ? 0 : cfg_.sched_history),
        tasks_(cfg_),
        rules_(cfg_, tasks_, cpus_) {
    if (cfg_.window < 2) cfg_.window = 2;
  }
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  /// Effects: replaces Config::on_sample: called with every completed sample of a selected task
  /// from now on (an empty function: none). Not from inside a callback, which it would destroy.
  /// Throws: nothing.
  void on_sample(SampleCallback cb) { cfg_.on_sample = std::move(cb); }
  /// Effects: replaces Config::on_violation: called with every sample over its bound, after
  /// on_sample, from now on. Not from inside a callback. Throws: nothing.
  void on_violation(SampleCallback cb) { cfg_.on_violation = std::move(cb); }

  /// Effects: takes what a source knows about its input: its name (for Results), its CPU count
  /// (tables are made for them; more grow on demand), what it recorded (which decides the
  /// hrtimer-marker and irq rules: call it before the first event for those), and its skipped
  /// count. Call it again after reading for what the source learned by then (rtlat::analyze()
  /// does both). Throws: InputError (no file name) for a CPU count beyond max_cpus.
  void set_source(const SourceInfo& info) {
    source_ = info.name;
    skipped_ = info.skipped;
    rules_.set_recorded({info.syscall_events_recorded, info.irq_thread_events_recorded,
                         info.wakeup_events_recorded});
    rules_.timers_.set_expiry_recorded(info.hrtimer_expiry_recorded);
    rules_.timers_.clock_monotonic = info.clock_monotonic;
    if (info.cpus > 0) {
      cpus_.ensure(static_cast<std::size_t>(info.cpus) - 1);
      if (info.cpus > source_cpus_) source_cpus_ = info.cpus;
    }
  }

  /// Effects: analyses one event (the sink interface). Complexity: O(1) amortised; a new worst
  /// sample also cuts its window, O(log history + window), and its breakdown when
  /// Config::explain asks for one. Throws: InputError (no file name) when time goes backwards
  /// on a CPU or its number is max_cpus or more; whatever a callback throws.
  RTLAT_ALWAYS_INLINE void feed(const Event& e) {
    if (e.cpu >= cpus_.size()) cpus_.ensure(e.cpu);
    if (cpus_.admit(e) == detail::CpuStates::Admit::in_order) rules_.event(e);
    if (tasks_.over_bound()) tasks_.fold_excess(cpus_);
  }

  /// Effects: what the source learned outside the event stream (saved cmdlines, tgids): applied
  /// to the pid's current task, or kept for the task the pid gets next (the sink interface).
  /// Complexity: O(1) amortised. Throws: std::bad_alloc only.
  void task_info(const TaskInfo& info) { tasks_.task_info(info); }

  /// A snapshot of everything measured so far, selected tasks in the order first seen; the
  /// engine keeps running and may be fed more. Complexity: O(tasks + CPUs), plus copying every
  /// worst-case window unless `windows` is ResultWindows::omitted. Throws: std::bad_alloc only.
  Results results(ResultWindows windows = ResultWindows::included) const;
  /// The data-quality totals and trace extent so far (Results::trace without the tasks).
  /// Complexity: O(tasks + CPUs). Throws: std::bad_alloc only.
  TraceStats stats() const;
  /// What the engine holds now; with Config::max_finished_tasks set it stays bounded by the
  /// tasks alive at once, the bound and at most 256 folded groups, however many tasks came
  /// and went. Complexity: O(entries + folded groups). Throws: nothing.
  EngineMemory memory() const noexcept;

 private:
  // The view protocol (sink.hpp), for the library's own trace.dat reader only.
  friend struct detail::Views;
  // Effects: as feed(e), for sources that keep their decoded events in place: the engine's
  // bounded history (Config::history) then points at e instead of copying it. The source
  // must keep e where it is until it calls retire_views() for a range that holds it, or
  // release_views(); the views of one CPU must be retired in the order they were fed. A
  // source that keeps each buffer until the next one is consumed saves the engine a copy of
  // almost every event. Complexity and throws: as feed().
  RTLAT_ALWAYS_INLINE void feed_view(const Event& e) {
    if (e.cpu >= cpus_.size()) cpus_.ensure(e.cpu);
    if (cpus_.admit<true>(e) == detail::CpuStates::Admit::in_order) rules_.event(e);
    if (tasks_.over_bound()) tasks_.fold_excess(cpus_);
  }
  // Effects: the source is about to overwrite [begin, end), events it fed with feed_view():
  // the engine copies those it still holds. Complexity: amortised O(CPUs + events copied).
  // Throws:
  // nothing.
  void retire_views(const Event* begin, const Event* end) noexcept {
    cpus_.retire_views(begin, end);
  }
  // Effects: the source is about to free every event it fed with feed_view(): the engine
  // copies those it still holds. Complexity: O(CPUs x Config::history). Throws: nothing.
  void release_views() noexcept { cpus_.release_views(); }
  Config cfg_;
  detail::CpuStates cpus_;
  detail::TaskStore tasks_;
  detail::MetricRules rules_;
  std::string source_;
  int source_cpus_ = 0;
  std::uint64_t skipped_ = 0;
};

// ---------------------------------------------------------------------------------------------

inline TraceStats Analyzer::stats() const {
  // Extent and counts are derived here rather than kept per event: feed() stays lean.
  TraceStats s = rules_.counts;
  s.source = source_;
  s.cpus = source_cpus_;
  s.skipped = skipped_;
  s.events = cpus_.seq();
  s.out_of_order = cpus_.out_of_order();
  std::uint64_t derived_drops = rules_.unobserved_derived_irq;
  // Intervals that lost events invalidated but whose task was not touched since.
  for (const detail::Task& t : tasks_.all()) {
    if (t.folded || !t.selected || !t.in_flight() || !cpus_.lost_since_checked(t)) continue;
    s.unobserved_latency += t.latency.active ? 1 : 0;
    s.unobserved_response += t.response.active ? 1 : 0;
    s.unobserved_relief += t.relief.active ? 1 : 0;
    s.unobserved_irq += t.irq.active ? 1 : 0;
    s.unobserved_timer += t.timer.active ? 1 : 0;
    s.unobserved_irq_latency += t.irq_latency.active ? 1 : 0;
    derived_drops += t.derived.interval.active ? 1 : 0;
  }
  if (!rules_.irq_events_in_use()) s.unobserved_irq += derived_drops;
  cpus_.extent(s);
  s.missing.sched_switch = !rules_.seen.sched_switch;
  s.missing.wakeups = !rules_.seen.wakeup;
  s.waking_fallback = rules_.waking_fallback_used() && rules_.waking_fallback();
  s.missing.timer_markers =
      !rules_.seen.timer_marker && !rules_.seen.syscall && rules_.recorded().syscalls != true;
  return s;
}

inline EngineMemory Analyzer::memory() const noexcept {
  const detail::TaskStore::Counts c = tasks_.memory();
  EngineMemory m;
  m.entries = c.entries;
  m.finished = c.finished;
  m.free = c.free;
  m.folded_groups = tasks_.folds().all().size();
  m.folded_tasks = tasks_.folds().tasks();
  m.bytes = c.bytes;
  return m;
}

inline Results Analyzer::results(ResultWindows windows) const {
  const bool copy_windows = windows == ResultWindows::included;
  Results r;
  r.trace = stats();
  const bool real_irq = rules_.irq_events_in_use();
  // What a task's results and a folded group's have in common, from the task or the group.
  auto fill = [&](auto& out, const auto& in) {
    out.comm = std::string(in.comm.view());
    out.first_seen_ns = in.first_seen;
    out.last_seen_ns = in.last_seen;
    for (std::size_t mi = 0; mi < metric_count; ++mi) {
      const bool derived = all_metrics[mi] == Metric::irq && !real_irq && in.irq_thread;
      out.metrics[mi] = derived ? in.derived_irq.result(in.slo[mi], true, copy_windows)
                                : in.stats[mi].result(in.slo[mi], false, copy_windows);
    }
  };
  auto add = [&](const detail::Task& t) {
    if (t.folded || !t.selected || t.provisional) return;
    TaskResult tr;
    tr.pid = t.pid;
    if (t.tgid >= 0) tr.tgid = t.tgid;
    tr.exited = t.state == detail::TaskState::dead;
    fill(tr, t);
    tr[Metric::timer].unobserved =
        t.timer_unobserved + (t.timer.active && cpus_.lost_since_checked(t) ? 1 : 0);
    tr[Metric::irq_latency].unobserved =
        t.irq_latency_unobserved + (t.irq_latency.active && cpus_.lost_since_checked(t) ? 1 : 0);
    r.tasks.push_back(std::move(tr));
  };
  r.tasks.reserve(tasks_.all().size());
  if (!tasks_.folded_any()) {
    for (const detail::Task& t : tasks_.all()) add(t);  // storage order is first seen first
  } else {
    // Entries were reused: storage order is no longer creation order.
    std::vector<const detail::Task*> order;
    order.reserve(tasks_.all().size());
    for (const detail::Task& t : tasks_.all()) order.push_back(&t);
    std::sort(order.begin(), order.end(),
              [](const detail::Task* a, const detail::Task* b) { return a->order < b->order; });
    for (const detail::Task* t : order) add(*t);
  }
  for (const detail::FoldGroup& g : tasks_.folds().all()) {
    FoldedGroup fg;
    fg.tasks = g.tasks;
    fill(fg, g);
    r.folded.push_back(std::move(fg));
  }
  return r;
}

}  // namespace v1
}  // namespace rtlat
