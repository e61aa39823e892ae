/// @file
/// What the engine hands to reports and embedders: plain values, no engine internals. All
/// times are trace-clock nanoseconds; an empty optional means "no value" (JSON null).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rtlat/breakdown.hpp"
#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {

/// What is measured per task (the README's "Metric definitions" has the exact rules).
enum class Metric : std::uint8_t {
  latency,     ///< wakeup -> the task's next switch-in
  response,    ///< the same wakeup -> its next voluntary sleep
  relief,      ///< a wakeup from a timer sleep -> its next timer sleep (one periodic cycle)
  irq,         ///< an IRQ thread's handler entry -> exit (or derived from scheduler events)
  timer,       ///< a timer's requested expiry -> the switch-in of the task it woke
  irq_latency  ///< a hard IRQ's entry -> the switch-in of the IRQ thread its handler woke
};
/// The number of metrics; TaskResult::metrics is indexed by Metric.
inline constexpr std::size_t metric_count = 6;
/// Every metric, in report order.
inline constexpr std::array<Metric, metric_count> all_metrics = {
    Metric::latency, Metric::response, Metric::relief,
    Metric::irq,     Metric::timer,    Metric::irq_latency};

/// The metric's name in reports, JSON and on the command line ("latency", ...).
constexpr std::string_view metric_name(Metric m) noexcept {
  switch (m) {
    case Metric::latency:
      return "latency";
    case Metric::response:
      return "response";
    case Metric::relief:
      return "relief";
    case Metric::irq:
      return "irq";
    case Metric::timer:
      return "timer";
    case Metric::irq_latency:
      return "irq_latency";
  }
  return "?";
}
/// Effects: sets `out` to the metric named `s` (as metric_name() spells it, case-sensitive).
/// Returns: false, leaving `out` untouched, for any other string. Throws: nothing.
inline bool parse_metric(std::string_view s, Metric& out) noexcept {
  for (Metric m : all_metrics) {
    if (metric_name(m) == s) {
      out = m;
      return true;
    }
  }
  return false;
}

/// Where a timer sample's time went (Metric::timer). The parts add up to the sample.
struct TimerSplit {
  /// The requested expiry (softexpires) -> the timer's handler, in the timer's own clock
  /// (hrtimer_expire_entry's `now`); empty without expiry events.
  std::optional<std::int64_t> irq_delay_ns;
  /// The handler's entry -> the wakeup it issued; empty without expiry events.
  std::optional<std::int64_t> wakeup_ns;
  /// The requested expiry -> the wakeup: irq delay + wakeup when both are known.
  std::int64_t to_wakeup_ns = 0;
  /// The wakeup -> the task's switch-in (0 when the timer found it running).
  std::int64_t scheduling_ns = 0;
};

/// Where an irq_latency sample's time went (Metric::irq_latency). The parts add up to the sample.
struct IrqSplit {
  std::int64_t handler_ns = 0;     ///< the hard IRQ's entry -> the wakeup its handler issued
  std::int64_t scheduling_ns = 0;  ///< the wakeup -> the IRQ thread's switch-in (0: found running)
};

/// The events that explain one sample: its start and end events, the task's own events in
/// between and the scheduler / IRQ events of the CPUs where it waited or ran.
struct WorstWindow {
  Timestamp start_ns = 0;  ///< the sample's start (its wakeup, entry, ...)
  Timestamp end_ns = 0;  ///< the sample's end (the value is end_ns - start_ns, but for derived irq)
  int cpu = -1;          ///< the CPU of the end event
  /// Events that belong in the window but are not in `events` (the Config::window cap, or
  /// older than the bounded per-CPU Config::history).
  std::uint64_t elided = 0;
  std::vector<Event> events;              ///< time-ordered, at most Config::window
  std::optional<Breakdown> breakdown;     ///< where the whole interval went (Config::explain)
  std::optional<Verdict> verdict;         ///< the cause that explains most of it (Config::explain)
  std::optional<TimerSplit> timer_split;  ///< Metric::timer only: the sample's parts
  std::optional<IrqSplit> irq_split;      ///< Metric::irq_latency only: the sample's parts
};

/// One bin of a metric's distribution: `count` samples in [lower_ns, upper_ns). Bins are quarter
/// octaves (four per power of two above 64 ns), coarse enough to draw, fine enough to see modes.
struct HistogramBin {
  std::int64_t lower_ns = 0;  ///< the smallest value the bin holds
  std::int64_t upper_ns = 0;  ///< the first value above it
  std::uint64_t count = 0;    ///< samples in the bin
};

/// One metric of one task: exact count, min, max and mean; percentiles from a histogram
/// (within 1/128 of the true value, the extreme ranks exact); SLO violations; the worst sample's
/// window. Every optional is empty when `count` is 0, except `slo_ns`.
struct MetricResult {
  std::uint64_t count = 0;  ///< samples
  /// The smallest sample.
  std::optional<std::int64_t> min_ns, max_ns;
  /// @var MetricResult::max_ns
  /// The largest sample.
  std::optional<double> mean_ns;  ///< exact arithmetic mean
  /// The median (percentiles are by nearest rank: the ceil(q x count)-th smallest sample).
  std::optional<std::int64_t> p50_ns, p90_ns, p99_ns, p999_ns;
  /// @var MetricResult::p90_ns
  /// The 90th percentile.
  /// @var MetricResult::p99_ns
  /// The 99th percentile.
  /// @var MetricResult::p999_ns
  /// The 99.9th percentile.
  bool derived = false;  ///< irq computed from scheduler events (no threaded-handler events)
  std::optional<std::int64_t> slo_ns;  ///< the bound that applied; empty when none was set
  std::uint64_t violations = 0;        ///< samples greater than slo_ns (0 without a bound)
  std::optional<WorstWindow> worst;    ///< the window of the largest sample (the first of equals)
  /// Metric::timer and Metric::irq_latency of a task only: its wakeups that gave no sample
  /// (TraceStats' unobserved_timer / unobserved_irq_latency count them for all tasks); 0 for the
  /// other metrics and folded groups.
  std::uint64_t unobserved = 0;
  /// SLO violations counted per verdict and culprit, most first (Config::Explain::all only).
  std::vector<VerdictCount> verdicts;
  /// The distribution: quarter-octave bins that hold samples, in value order.
  std::vector<HistogramBin> histogram;
};

/// Everything measured for one task. A pid that is reused after its task exited gets a second
/// TaskResult with the same pid.
struct TaskResult {
  Pid pid = 0;              ///< the task's pid
  std::optional<Pid> tgid;  ///< its thread group, when the source knew it (text with a tgid column)
  std::string comm;         ///< its last known comm (empty when never seen)
  Timestamp first_seen_ns = 0;  ///< the first event that named it
  Timestamp last_seen_ns = 0;   ///< the last switch, wakeup, fork or exit that named it
  bool exited = false;  ///< it ended: its exit or final (X) switch-out, or a fork reusing its pid
  std::array<MetricResult, metric_count> metrics;  ///< indexed by Metric; see operator[]

  /// The result of metric `m`. Complexity: O(1). Throws: nothing.
  const MetricResult& operator[](Metric m) const { return metrics[static_cast<std::size_t>(m)]; }
  /// The result of metric `m`, for changing it. Complexity: O(1). Throws: nothing.
  MetricResult& operator[](Metric m) { return metrics[static_cast<std::size_t>(m)]; }
};

/// The finished tasks of one comm whose entries the engine reclaimed (Config::max_finished_tasks):
/// their samples merged, as if one task had measured them all. Counts, min, max, mean,
/// violations and the histogram are exact sums of the tasks'; percentiles come from the merged
/// histogram; the worst window is that of the group's largest sample (the first folded of
/// equals), with its breakdown and verdict.
struct FoldedGroup {
  std::string comm;             ///< the comm the tasks had when they finished
  std::uint64_t tasks = 0;      ///< how many tasks it holds
  Timestamp first_seen_ns = 0;  ///< the earliest first_seen_ns of its tasks
  Timestamp last_seen_ns = 0;   ///< the latest last_seen_ns of its tasks
  /// Indexed by Metric. slo_ns is the bound of the first task folded (the bound each task had
  /// decided its own violations).
  std::array<MetricResult, metric_count> metrics;

  /// The result of metric `m`. Complexity: O(1). Throws: nothing.
  const MetricResult& operator[](Metric m) const { return metrics[static_cast<std::size_t>(m)]; }
  /// The result of metric `m`, for changing it. Complexity: O(1). Throws: nothing.
  MetricResult& operator[](Metric m) { return metrics[static_cast<std::size_t>(m)]; }
};

/// The comm of the FoldedGroup that holds the tasks of comms beyond the engine's bound on folded
/// groups (256). The metrics exposition labels the comms beyond its own bound with it too
/// (OpenMetricsOptions::max_comms), so both aggregates are one series.
inline constexpr std::string_view other_comms = "(other comms)";

/// Metrics a trace could not give for want of events: none of the events a metric needs was
/// recorded, so its missing samples say nothing about the system.
struct MissingEvents {
  bool sched_switch = false;  ///< no sched_switch at all: nothing can be measured
  /// No wakeup of the configured kind (Config::wakeup_event): no latency, no response.
  bool wakeups = false;
  bool timer_markers = false;  ///< no syscall or hrtimer timer-sleep marker: no relief
  /// True when any metric lacks its events.
  bool any() const noexcept { return sched_switch || wakeups || timer_markers; }
};

/// The trace's extent and the data-quality totals: what the engine could not observe, so no
/// sample was built on it (the README's "Data quality" explains each count).
struct TraceStats {
  std::string source;             ///< SourceInfo::name of the input ("-" for stdin)
  std::uint64_t events = 0;       ///< events analysed (out-of-order ones not included)
  int cpus = 0;                   ///< the source's CPU count, or the highest CPU seen + 1 if more
  Timestamp start_ns = 0;         ///< the earliest analysed event's timestamp (0 without events)
  Timestamp end_ns = 0;           ///< the latest analysed event's timestamp
  std::uint64_t lost_events = 0;  ///< events the source reported lost (sum of known counts)
  std::uint64_t lost_event_markers = 0;  ///< how many times a CPU reported a loss
  /// Switches the engine made itself: an event's common_pid said another task ran on its CPU
  /// than the one the engine believed.
  std::uint64_t implicit_switches = 0;
  std::uint64_t unobserved_latency = 0;   ///< latency samples dropped: switch-in not recorded
  std::uint64_t unobserved_response = 0;  ///< in-flight responses dropped (lost events, lost track)
  std::uint64_t unobserved_relief = 0;    ///< in-flight reliefs dropped, likewise
  std::uint64_t unobserved_irq = 0;       ///< in-flight irq samples dropped, likewise
  /// Timer wakeups without a sample: switch-in not recorded, lost events, and the two below.
  std::uint64_t unobserved_timer = 0;
  /// Of those: the timer's request was not seen (armed before the trace, or lost).
  std::uint64_t unobserved_timer_no_request = 0;
  /// Of those: no hrtimer_expire_entry recorded and the trace clock is not CLOCK_MONOTONIC, so
  /// a task's own sleep request cannot be placed on the trace clock.
  std::uint64_t unobserved_timer_clock = 0;
  /// IRQ-thread wakeups by a hard handler without a sample: switch-in not recorded, lost events.
  std::uint64_t unobserved_irq_latency = 0;
  std::uint64_t skipped = 0;  ///< input the source skipped (unknown lines, unusable records)
  /// Events older than one already analysed (on any CPU): dropped, and treated as a loss on
  /// their CPU, since measuring across them could give a negative or made-up duration.
  std::uint64_t out_of_order = 0;
  MissingEvents missing;  ///< only meaningful once events were analysed
  /// The trace recorded sched_waking but no sched_wakeup, so sched_waking started latency and
  /// response although Config::wakeup_event asked for sched_wakeup (the issue of the wakeup, on
  /// the waker's CPU, instead of the task's arrival on its runqueue).
  bool waking_fallback = false;

  /// The unobserved count of metric `m` (unobserved_latency, ..., unobserved_irq_latency), so
  /// that reports iterate all_metrics instead of naming each one.
  std::uint64_t& unobserved(Metric m) noexcept { return unobserved_of(*this, m); }
  /// Likewise, read-only.
  std::uint64_t unobserved(Metric m) const noexcept { return unobserved_of(*this, m); }

 private:
  template <class Stats>
  static auto unobserved_of(Stats& s, Metric m) noexcept -> decltype((s.unobserved_latency)) {
    switch (m) {
      case Metric::latency:
        return s.unobserved_latency;
      case Metric::response:
        return s.unobserved_response;
      case Metric::relief:
        return s.unobserved_relief;
      case Metric::irq:
        return s.unobserved_irq;
      case Metric::timer:
        return s.unobserved_timer;
      case Metric::irq_latency:
        break;
    }
    return s.unobserved_irq_latency;
  }
};

/// One completed measurement of a selected task, handed to Config::on_sample and
/// Config::on_violation while the trace streams.
struct Sample {
  Pid pid;             ///< the task measured
  Pid tgid;            ///< its thread group; -1 when unknown
  Comm comm;           ///< its comm when the sample completed
  Metric metric;       ///< what was measured
  bool derived;        ///< irq derived from scheduler events
  Timestamp start_ns;  ///< the interval's start
  Timestamp end_ns;    ///< the interval's end
  /// The value: end_ns - start_ns, except for a derived irq sample (time on CPU only).
  std::int64_t value_ns;
  int cpu;                             ///< CPU of the end event
  std::optional<std::int64_t> slo_ns;  ///< the bound that applies to this task and metric
  bool violation;                      ///< value_ns > *slo_ns
};

/// A snapshot of everything the engine measured (Analyzer::results(), rtlat::analyze()).
struct Results {
  TraceStats trace;  ///< extent and data quality
  /// Selected tasks in engine order (first seen first); the writers in `<rtlat/report/...>`
  /// and keep_top() order them for display.
  std::vector<TaskResult> tasks;
  /// Finished tasks folded per comm (Config::max_finished_tasks), in the order each comm was
  /// first folded; empty without a bound or before it was reached. Every sample is in `tasks`
  /// or here.
  std::vector<FoldedGroup> folded;
};

/// What Analyzer::results() copies. `omitted` leaves every MetricResult::worst empty: for a
/// consumer that never shows windows and takes a snapshot every interval (the metrics
/// endpoint), since the windows are most of a Results (up to Config::window events per metric
/// and task) and copying them only to drop them makes the heap churn by that much each time.
enum class ResultWindows : bool { included, omitted };

/// What the engine holds (Analyzer::memory()): its task entries and what they point at.
struct EngineMemory {
  std::size_t entries = 0;         ///< task entries allocated (alive, finished and free)
  std::size_t finished = 0;        ///< finished tasks still listed on their own
  std::size_t free = 0;            ///< entries folded and waiting for reuse
  std::size_t folded_groups = 0;   ///< per-comm groups in Results::folded
  std::uint64_t folded_tasks = 0;  ///< tasks folded into them
  /// Bytes of the entries, their histograms, windows and verdict counts, the folded groups, the
  /// pid table and saved task info. The per-CPU rings (Config::history, sched_history) are
  /// allocated once per CPU and not included.
  std::size_t bytes = 0;
};

}  // namespace v1
}  // namespace rtlat
