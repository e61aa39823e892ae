// Chrome trace-event JSON ({"traceEvents": [...], "displayTimeUnit": "ns"}), which
// ui.perfetto.dev and chrome://tracing open (Perfetto cannot read trace.dat itself):
//   - process "CPUs": a track per CPU with a complete ("X") slice per task run, instant events
//     for wakeups, and hard-IRQ / softirq slices;
//   - a process per measured task, a track per metric: its intervals as slices carrying the
//     value, the SLO and, for the worst, the verdict in `args`.
// write_perfetto() covers the worst windows of a Results; PerfettoWriter streams a whole trace
// (feed every event and sample, then finish()).
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "rtlat/detail/report/json_parts.hpp"
#include "rtlat/detail/report/timeline.hpp"
#include "rtlat/duration.hpp"
#include "rtlat/event.hpp"
#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {

/// Writes Chrome trace-event JSON to a stream as events, samples and results arrive.
/// Memory: the per-CPU lane state and one entry per measured task; events are written, not kept.
/// Not thread-safe: feed it from the thread that feeds the engine.
class PerfettoWriter {
 public:
  /// Effects: starts the JSON document on `os`, which must outlive the writer.
  explicit PerfettoWriter(std::ostream& os) : os_(os) { os_ << "{\"traceEvents\": [\n"; }

  /// Effects: adds what `e` shows on its CPU's track (a run ending, a wakeup, an IRQ).
  /// Complexity: O(log CPUs). Events out of time order on their CPU are ignored.
  void feed(const Event& e) {
    lanes_.feed(
        e, [this](const detail::RunSlice& s) { run_slice(s); },
        [this](const detail::Mark& m) { mark(m); });
    if (e.ts > last_ts_) last_ts_ = e.ts;
  }

  /// Effects: adds one measured interval to its task's metric track.
  void sample(const Sample& s) {
    std::string name = std::string(metric_name(s.metric)) + " " + format_duration(s.value_ns);
    slice(task_process(s.pid, std::string(s.comm.view())), metric_tid(s.metric), name, s.start_ns,
          s.end_ns, [&](std::ostream& os) {
            os << "\"value_ns\": " << s.value_ns << ", \"slo_ns\": ";
            detail::json_opt_int(os, s.slo_ns);
            os << ", \"violation\": " << (s.violation ? "true" : "false");
          });
  }

  /// Effects: adds every worst window of `r`: each window's CPU runs, wakeups and IRQs, and the
  /// worst interval itself with its verdict. Runs shared by overlapping windows appear once.
  void windows(const Results& r) {
    for (const TaskResult& t : r.tasks) {
      for (const Metric m : all_metrics) {
        const MetricResult& mr = t[m];
        if (!mr.worst) continue;
        const WorstWindow& w = *mr.worst;
        const detail::Timeline tl = detail::timeline_of(w.events, w.start_ns, w.end_ns);
        for (const detail::RunSlice& s : tl.slices)
          if (seen_runs_.insert({s.cpu, s.from, s.to, s.pid}).second) run_slice(s);
        for (const detail::Mark& k : tl.marks)
          if (seen_marks_.insert({k.cpu, k.from, k.to, k.pid}).second) mark(k);
        worst(t, m, mr);
      }
    }
  }

  /// Effects: marks each task's worst intervals with their verdicts (streamed traces, whose
  /// samples are already slices), names the tracks, and closes the document.
  void finish(const Results& r, bool mark_worst = true) {
    lanes_.finish(last_ts_, [this](const detail::RunSlice& s) { run_slice(s); });
    if (mark_worst) {
      for (const TaskResult& t : r.tasks)
        for (const Metric m : all_metrics)
          if (t[m].worst) worst_instant(t, m, t[m]);
    }
    meta(cpu_process, -1, "process_name", "CPUs");
    for (const int cpu : cpus_) meta(cpu_process, cpu, "thread_name", "CPU " + std::to_string(cpu));
    for (const auto& [pid, proc] : tasks_) {
      meta(proc.id, -1, "process_name", proc.name);
      for (const Metric m : all_metrics)
        meta(proc.id, metric_tid(m), "thread_name", std::string(metric_name(m)));
    }
    os_ << "{\"ph\": \"M\", \"pid\": " << cpu_process
        << ", \"name\": \"process_sort_index\", \"args\": {\"sort_index\": 0}}\n"
        << "], \"displayTimeUnit\": \"ns\"}\n";
  }

 private:
  static constexpr int cpu_process = 1;
  struct Process {
    int id;
    std::string name;
  };

  static int metric_tid(Metric m) { return static_cast<int>(m) + 1; }

  int task_process(Pid pid, const std::string& comm) {
    auto it = tasks_.find(pid);
    if (it == tasks_.end())
      it = tasks_.emplace(pid, Process{next_process_++, comm + ":" + std::to_string(pid)}).first;
    return it->second.id;
  }

  // Microseconds with nanosecond fractions, as the format counts time.
  void us(Timestamp ns) {
    const bool neg = ns < 0;
    const std::uint64_t v = neg ? static_cast<std::uint64_t>(-ns) : static_cast<std::uint64_t>(ns);
    std::string frac = std::to_string(v % 1000);
    os_ << (neg ? "-" : "") << v / 1000 << '.' << std::string(3 - frac.size(), '0') << frac;
  }

  template <class Args>
  void slice(int pid, int tid, const std::string& name, Timestamp from, Timestamp to, Args&& args) {
    os_ << "{\"ph\": \"X\", \"pid\": " << pid << ", \"tid\": " << tid << ", \"ts\": ";
    us(from);
    os_ << ", \"dur\": ";
    us(to - from);
    os_ << ", \"name\": ";
    write_json_string(os_, name);
    os_ << ", \"args\": {";
    args(os_);
    os_ << "}},\n";
  }

  void run_slice(const detail::RunSlice& s) {
    cpus_.insert(s.cpu);
    slice(cpu_process, s.cpu, s.comm + ":" + std::to_string(s.pid), s.from, s.to,
          [&](std::ostream& os) { os << "\"pid\": " << s.pid << ", \"prio\": " << s.prio; });
  }

  void mark(const detail::Mark& m) {
    cpus_.insert(m.cpu);
    if (m.kind == detail::Mark::wakeup) {
      os_ << "{\"ph\": \"i\", \"s\": \"t\", \"pid\": " << cpu_process << ", \"tid\": " << m.cpu
          << ", \"ts\": ";
      us(m.from);
      os_ << ", \"name\": ";
      write_json_string(os_, m.label);
      os_ << ", \"args\": {\"woken_pid\": " << m.pid << "}},\n";
      return;
    }
    slice(cpu_process, m.cpu, m.label, m.from, m.to, [](std::ostream&) {});
  }

  void verdict_args(std::ostream& os, const MetricResult& mr) {
    os << "\"value_ns\": " << mr.max_ns.value_or(0) << ", \"slo_ns\": ";
    detail::json_opt_int(os, mr.slo_ns);
    os << ", \"violation\": "
       << (mr.slo_ns && mr.max_ns && *mr.max_ns > *mr.slo_ns ? "true" : "false");
    if (mr.worst && mr.worst->verdict) {
      os << ", \"verdict\": ";
      write_json_string(os, verdict_kind_name(mr.worst->verdict->kind));
      os << ", \"verdict_text\": ";
      write_json_string(os, mr.worst->verdict->text);
      os << ", \"share\": ";
      detail::json_double(os, mr.worst->verdict->share);
    }
  }

  void worst(const TaskResult& t, Metric m, const MetricResult& mr) {
    const WorstWindow& w = *mr.worst;
    slice(task_process(t.pid, t.comm), metric_tid(m),
          "worst " + std::string(metric_name(m)) + " " + format_duration(w.end_ns - w.start_ns),
          w.start_ns, w.end_ns, [&](std::ostream& os) { verdict_args(os, mr); });
  }

  void worst_instant(const TaskResult& t, Metric m, const MetricResult& mr) {
    os_ << "{\"ph\": \"i\", \"s\": \"t\", \"pid\": " << task_process(t.pid, t.comm)
        << ", \"tid\": " << metric_tid(m) << ", \"ts\": ";
    us(mr.worst->start_ns);
    os_ << ", \"name\": ";
    write_json_string(os_, "worst " + std::string(metric_name(m)));
    os_ << ", \"args\": {";
    verdict_args(os_, mr);
    os_ << "}},\n";
  }

  void meta(int pid, int tid, const char* what, const std::string& name) {
    os_ << "{\"ph\": \"M\", \"pid\": " << pid;
    if (tid >= 0) os_ << ", \"tid\": " << tid;
    os_ << ", \"name\": \"" << what << "\", \"args\": {\"name\": ";
    write_json_string(os_, name);
    os_ << "}},\n";
  }

  std::ostream& os_;
  detail::TimelineBuilder lanes_;
  Timestamp last_ts_ = 0;
  std::set<int> cpus_;
  std::map<Pid, Process> tasks_;
  int next_process_ = 2;
  std::set<std::tuple<int, Timestamp, Timestamp, Pid>> seen_runs_, seen_marks_;
};

/// Effects: writes the worst windows of `r` (every task and metric) as Chrome trace-event JSON.
/// Complexity: O(window events x log). Throws: what the stream throws.
inline void write_perfetto(std::ostream& os, const Results& r) {
  PerfettoWriter w(os);
  w.windows(r);
  w.finish(r, false);
}

}  // namespace v1
}  // namespace rtlat
