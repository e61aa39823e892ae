// What the engine hands to reports and embedders: plain values, no engine internals.
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

enum class Metric : std::uint8_t { latency, response, relief, irq };
inline constexpr std::size_t metric_count = 4;
inline constexpr std::array<Metric, metric_count> all_metrics = {Metric::latency, Metric::response,
                                                                 Metric::relief, Metric::irq};

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
  }
  return "?";
}
inline bool parse_metric(std::string_view s, Metric& out) noexcept {
  for (Metric m : all_metrics) {
    if (metric_name(m) == s) {
      out = m;
      return true;
    }
  }
  return false;
}

// The events that explain one sample: its start and end events, the task's own events in between
// and the scheduler / IRQ events of the CPUs where it waited or ran. `elided` counts the events
// that belong in the window but are not in `events` (the N cap, or older than the bounded
// per-CPU history).
struct WorstWindow {
  Timestamp start_ns = 0;
  Timestamp end_ns = 0;
  int cpu = -1;  // the CPU of the end event
  std::uint64_t elided = 0;
  std::vector<Event> events;           // time-ordered
  std::optional<Breakdown> breakdown;  // where the whole interval went (Config::explain)
  std::optional<Verdict> verdict;      // the cause that explains most of it
};

// One bin of a metric's distribution: `count` samples in [lower_ns, upper_ns). Bins are quarter
// octaves (four per power of two above 64 ns), coarse enough to draw, fine enough to see modes.
struct HistogramBin {
  std::int64_t lower_ns = 0;
  std::int64_t upper_ns = 0;
  std::uint64_t count = 0;
};

struct MetricResult {
  std::uint64_t count = 0;
  std::optional<std::int64_t> min_ns, max_ns;
  std::optional<double> mean_ns;
  std::optional<std::int64_t> p50_ns, p90_ns, p99_ns, p999_ns;
  bool derived = false;  // irq computed from scheduler events (no threaded-handler events)
  std::optional<std::int64_t> slo_ns;
  std::uint64_t violations = 0;
  std::optional<WorstWindow> worst;
  std::vector<VerdictCount> verdicts;   // per verdict and culprit, most first (Explain::all)
  std::vector<HistogramBin> histogram;  // the distribution, bins with samples only, in order
};

struct TaskResult {
  Pid pid = 0;
  std::optional<Pid> tgid;
  std::string comm;
  Timestamp first_seen_ns = 0;
  Timestamp last_seen_ns = 0;
  bool exited = false;
  std::array<MetricResult, metric_count> metrics;

  const MetricResult& operator[](Metric m) const { return metrics[static_cast<std::size_t>(m)]; }
  MetricResult& operator[](Metric m) { return metrics[static_cast<std::size_t>(m)]; }
};

// Metrics a trace could not give for want of events: none of the events a metric needs was
// recorded, so its missing samples say nothing about the system.
struct MissingEvents {
  bool sched_switch = false;  // nothing can be measured
  bool wakeups = false;       // sched_wakeup / sched_waking (the configured one): latency, response
  bool timer_markers = false;  // no syscall or hrtimer timer-sleep marker: relief
  bool any() const noexcept { return sched_switch || wakeups || timer_markers; }
};

// Data-quality totals: what the engine could not observe, so no sample was built on it.
struct TraceStats {
  std::string source;
  std::uint64_t events = 0;
  int cpus = 0;
  Timestamp start_ns = 0;
  Timestamp end_ns = 0;
  std::uint64_t lost_events = 0;          // events the source reported lost (sum of known counts)
  std::uint64_t lost_event_markers = 0;   // how many times a CPU reported a loss
  std::uint64_t implicit_switches = 0;    // common_pid said another task ran than the one we knew
  std::uint64_t unobserved_latency = 0;   // latency samples dropped: switch-in not recorded
  std::uint64_t unobserved_response = 0;  // in-flight responses dropped (lost events, lost track)
  std::uint64_t unobserved_relief = 0;
  std::uint64_t unobserved_irq = 0;
  std::uint64_t skipped = 0;  // input the source skipped (unknown lines / events)
  // Events older than one already analysed (on any CPU): dropped, and treated as a loss on
  // their CPU, since measuring across them could give a negative or made-up duration.
  std::uint64_t out_of_order = 0;
  MissingEvents missing;  // only meaningful once events were analysed
};

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

struct Results {
  TraceStats trace;
  std::vector<TaskResult> tasks;  // engine order: first seen first
};

}  // namespace v1
}  // namespace rtlat
