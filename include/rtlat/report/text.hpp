/// @file
/// The text report: a trace summary, a first screen of one line per task (text_summary.hpp), then
/// one block per task like a kernel latency module's
/// report: per metric count / min / max / mean / percentiles / SLO bound / violations, then the
/// worst-case windows event by event, with times relative to the window start in microseconds.
///
/// Output is plain ASCII (bytes outside 0x20..0x7e in comms print as '?') and no line is longer
/// than text_report_columns, so it reads in a 100-column terminal and in a code review. It is
/// for people: scripts should read the JSON or CSV report.
#pragma once

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rtlat/detail/report/part_label.hpp"
#include "rtlat/duration.hpp"
#include "rtlat/report/event_fields.hpp"
#include "rtlat/report/ranking.hpp"
#include "rtlat/report/text_lines.hpp"
#include "rtlat/report/text_summary.hpp"
#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {

/// What the text report shows beyond the default.
struct TextReportOptions {
  /// Show tasks that have no sample in any metric (useful when the user selected them by pid,
  /// tgid or comm); by default they are counted in one line at the end.
  bool show_tasks_without_samples = false;
  /// At most this many tasks on the first screen (one line each, before the details); the
  /// details list them all.
  std::size_t summary_tasks = 20;
};

namespace detail {

// Names for the common_pids of a window: what its own events say first, then the task table.
class CommLookup {
 public:
  explicit CommLookup(const Results& r) {
    for (const TaskResult& t : r.tasks) tasks_.emplace(t.pid, t.comm);
  }
  void learn(const WorstWindow& w) {
    window_.clear();
    for (const Event& e : w.events) {
      switch (e.kind) {
        case EventKind::sched_switch:
          window_[e.sw.prev_pid] = e.sw.prev_comm.view();
          window_[e.sw.next_pid] = e.sw.next_comm.view();
          break;
        case EventKind::sched_wakeup:
        case EventKind::sched_wakeup_new:
        case EventKind::sched_waking:
        case EventKind::process_exit:
          window_[e.wakeup.pid] = e.wakeup.comm.view();
          break;
        case EventKind::process_fork:
          window_[e.fork.child_pid] = e.fork.child_comm.view();
          break;
        default:
          break;
      }
    }
  }
  // "comm-pid" as the kernel's trace output prints a task.
  std::string task(Pid pid) const {
    if (pid < 0) return "-";
    if (pid == 0) return "<idle>-0";
    std::string_view comm = "<...>";
    if (auto it = window_.find(pid); it != window_.end() && !it->second.empty())
      comm = it->second;
    else if (auto jt = tasks_.find(pid); jt != tasks_.end() && !jt->second.empty())
      comm = jt->second;
    return printable(comm, 16) + "-" + std::to_string(pid);
  }

 private:
  std::unordered_map<Pid, std::string_view> tasks_;
  std::unordered_map<Pid, std::string_view> window_;
};

inline std::string comm_pid_prio(std::string_view comm, Pid pid, int prio) {
  return printable(comm, 16) + ":" + std::to_string(pid) + glue + "[" + std::to_string(prio) + "]";
}

// The compact one-line form of an event's fields.
inline std::string field_summary(const Event& e) {
  switch (e.kind) {
    case EventKind::sched_switch:
      // Breaks only before "==>": a wrapped switch reads "prev ... STATE" / "==> next ...".
      return comm_pid_prio(e.sw.prev_comm.view(), e.sw.prev_pid, e.sw.prev_prio) + glue +
             std::string(prev_state_field("", e.prev_state, e.sw.prev_state_raw).str()) + " ==>" +
             glue + comm_pid_prio(e.sw.next_comm.view(), e.sw.next_pid, e.sw.next_prio);
    case EventKind::sched_wakeup:
    case EventKind::sched_wakeup_new:
    case EventKind::sched_waking:
      return comm_pid_prio(e.wakeup.comm.view(), e.wakeup.pid, e.wakeup.prio) +
             fmt(" CPU:%03d", static_cast<int>(e.wakeup.target_cpu));
    case EventKind::process_exit:
      return comm_pid_prio(e.wakeup.comm.view(), e.wakeup.pid, e.wakeup.prio);
    case EventKind::other:
    case EventKind::hrtimer_start:
    case EventKind::hrtimer_cancel:
    case EventKind::hrtimer_expire_entry:
    case EventKind::hrtimer_expire_exit:
      return std::string();  // the name is the event column
    default:
      break;
  }
  std::string s;
  for (const EventField& f : event_fields(e)) {
    if (f.type == EventField::Type::null) continue;  // e.g. no syscall number for hrtimer
    if (!s.empty()) s += ' ';
    s += f.name;
    s += '=';
    switch (f.type) {
      case EventField::Type::integer:
        s += std::to_string(f.integer);
        break;
      case EventField::Type::string:
        s += printable(f.str(), 24);
        break;
      case EventField::Type::null:
        s += '-';
        break;
    }
  }
  return s;
}

// The largest parts of a breakdown, in one line: "behind bg-hog:12716 (RT 90) on CPU 1 2.40ms
// 92%, running on CPU 1 216.1us 8%".
inline std::string breakdown_summary(const Breakdown& b) {
  std::string s;
  const double total = b.total_ns > 0 ? static_cast<double>(b.total_ns) : 1.0;
  const std::size_t shown = std::min<std::size_t>(b.parts.size(), 4);
  for (std::size_t i = 0; i < shown; ++i) {
    const BreakdownPart& p = b.parts[i];
    const std::string what = part_label(p);
    if (!s.empty()) s += ", ";
    s += printable(what, 80) + " " + format_duration(p.ns) + " " +
         std::to_string(std::lround(static_cast<double>(p.ns) * 100 / total)) + "%";
  }
  if (b.parts.size() > shown) s += fmt(", +%zu more", b.parts.size() - shown);
  if (b.history_too_short) s += " (history too short for all of it)";
  if (s.empty()) s = "nothing recorded";
  return s;
}

// "irq delay 2.81ms, wakeup 3.2us, scheduling 38.0us" (the parts of a timer sample).
inline std::string timer_split_summary(const TimerSplit& s) {
  std::string out = s.irq_delay_ns ? "irq delay " + format_duration(*s.irq_delay_ns) + ", wakeup " +
                                         format_duration(s.wakeup_ns.value_or(0))
                                   : "before the wakeup " + format_duration(s.to_wakeup_ns) +
                                         " (no expiry events)";
  return out + ", scheduling " + format_duration(s.scheduling_ns);
}

inline void write_window(std::ostream& os, Metric metric, const MetricResult& m,
                         const WorstWindow& w, CommLookup& names) {
  std::string head = fmt("  worst %s %s: %s .. %s s, cpu %d, %zu event%s",
                         std::string(metric_name(metric)).c_str(), opt_duration(m.max_ns).c_str(),
                         seconds(w.start_ns).c_str(), seconds(w.end_ns).c_str(), w.cpu,
                         w.events.size(), w.events.size() == 1 ? "" : "s");
  if (w.elided != 0) head += fmt(" (+%" PRIu64 " elided)", w.elided);
  wrapped_line(os, head, "");
  names.learn(w);
  std::vector<std::string> tasks;
  tasks.reserve(w.events.size());
  std::size_t task_w = 0, name_w = 0;
  for (const Event& e : w.events) {
    tasks.push_back(names.task(e.common_pid));
    task_w = std::max(task_w, tasks.back().size());
    name_w = std::max(name_w, printable(event_display_name(e)).size());
  }
  task_w = std::min<std::size_t>(task_w, 23);
  name_w = std::min<std::size_t>(name_w, 26);
  for (std::size_t i = 0; i < w.events.size(); ++i) {
    const Event& e = w.events[i];
    const Timestamp rel = e.ts - w.start_ns;
    // Microseconds with three decimals is exact nanoseconds: integer digits, no float printing.
    const std::uint64_t a =
        rel < 0 ? 0 - static_cast<std::uint64_t>(rel) : static_cast<std::uint64_t>(rel);
    std::string head_line = fmt("    %c%6" PRIu64 ".%03uus %3u ", rel < 0 ? '-' : '+', a / 1000u,
                                static_cast<unsigned>(a % 1000u), e.cpu);
    std::string task = tasks[i];
    task.resize(std::max(task.size(), task_w), ' ');
    std::string name = printable(event_display_name(e));
    name.resize(std::max(name.size(), name_w), ' ');
    head_line.append(task).append(" ").append(name).append(" ");
    wrapped_line(os, head_line, field_summary(e));
  }
  if (w.elided != 0) os << fmt("    ... %" PRIu64 " more events elided\n", w.elided);
  if (w.timer_split) wrapped_line(os, "    split: ", timer_split_summary(*w.timer_split));
  if (w.irq_split)
    wrapped_line(os, "    split: ",
                 "hard handler " + format_duration(w.irq_split->handler_ns) + ", scheduling " +
                     format_duration(w.irq_split->scheduling_ns));
  if (w.verdict) {
    const int pct = static_cast<int>(std::lround(w.verdict->share * 100));
    wrapped_line(os, "    verdict: ",
                 std::string(verdict_kind_name(w.verdict->kind)) + " (" + std::to_string(pct) +
                     "%): " + printable(w.verdict->text, 400));
  }
  if (w.breakdown) wrapped_line(os, "    breakdown: ", breakdown_summary(*w.breakdown));
}

// --explain all: how the violations of one metric split by verdict.
inline void write_verdict_counts(std::ostream& os, Metric metric, const MetricResult& m) {
  if (m.verdicts.empty()) return;
  for (const VerdictCount& c : m.verdicts) {
    std::string line = fmt("%" PRIu64 " of %" PRIu64 " %s violations: ", c.count, m.violations,
                           std::string(metric_name(metric)).c_str()) +
                       std::string(verdict_kind_name(c.kind));
    if (c.culprit) line += " " + printable(task_label(*c.culprit), 60);
    wrapped_line(os, "  ", line);
  }
}

inline void write_block(std::ostream& os, std::string head,
                        const std::array<MetricResult, metric_count>& metrics, CommLookup& names);

inline void write_task(std::ostream& os, const TaskResult& t, CommLookup& names) {
  std::string head = "=== " + printable(t.comm) + "  pid " + std::to_string(t.pid) + "  tgid " +
                     (t.tgid ? std::to_string(*t.tgid) : std::string("?"));
  if (t.exited) head += "  (exited)";
  write_block(os, head, t.metrics, names);
}

// A folded group: the same table and windows as a task, under a head that says how many
// tasks it holds.
inline void write_folded(std::ostream& os, const FoldedGroup& g, CommLookup& names) {
  write_block(os,
              "=== folded: " + printable(g.comm) + "  " + std::to_string(g.tasks) +
                  (g.tasks == 1 ? " task" : " tasks"),
              g.metrics, names);
}

inline void write_block(std::ostream& os, std::string head,
                        const std::array<MetricResult, metric_count>& metrics, CommLookup& names) {
  head += " ";
  if (head.size() < text_report_columns) head.resize(text_report_columns, '=');
  wrapped_line(os, head, "");
  os << fmt("  %-8s %8s %8s %8s %8s %8s %8s %8s %8s %8s %6s\n", "metric", "count", "min", "max",
            "mean", "p50", "p90", "p99", "p99.9", "slo", "viol");
  bool any_derived = false;
  for (Metric metric : all_metrics) {
    const MetricResult& m = metrics[static_cast<std::size_t>(metric)];
    std::string name(metric_name(metric));
    if (m.derived) {
      name += '*';
      any_derived = true;
    }
    std::optional<std::int64_t> mean;
    if (m.mean_ns && std::isfinite(*m.mean_ns)) mean = std::llround(*m.mean_ns);
    const std::string viol = m.slo_ns ? std::to_string(m.violations) : std::string("-");
    // A name longer than its column (irq_latency) takes room from the count's, so the columns
    // stay where they are.
    std::string count = std::to_string(m.count);
    if (name.size() > 8 && name.size() + 1 + count.size() < 17)
      count.insert(0, 17 - name.size() - 1 - count.size(), ' ');
    const std::string lead = name.size() > 8 ? fmt("%s %s", name.c_str(), count.c_str())
                                             : fmt("%-8s %8s", name.c_str(), count.c_str());
    const std::string row = fmt(
        "%s %8s %8s %8s %8s %8s %8s %8s %8s %6s", lead.c_str(), opt_duration(m.min_ns).c_str(),
        opt_duration(m.max_ns).c_str(), opt_duration(mean).c_str(), opt_duration(m.p50_ns).c_str(),
        opt_duration(m.p90_ns).c_str(), opt_duration(m.p99_ns).c_str(),
        opt_duration(m.p999_ns).c_str(), opt_duration(m.slo_ns).c_str(), viol.c_str());
    wrapped_line(os, "  ", row);  // only absurd values make it wider than the page
  }
  if (any_derived)
    os << "  * derived from scheduler events (the trace has no irq_threaded_handler events)\n";
  for (Metric metric : all_metrics) {
    const MetricResult& m = metrics[static_cast<std::size_t>(metric)];
    if (m.worst) write_window(os, metric, m, *m.worst, names);
  }
  for (Metric metric : all_metrics)
    write_verdict_counts(os, metric, metrics[static_cast<std::size_t>(metric)]);
}

// One line per metric the trace cannot give, with the recording that would.
inline void write_missing(std::ostream& os, const MissingEvents& m) {
  if (m.sched_switch) {
    os << "  note: no sched_switch events, so nothing can be measured; record: trace-cmd record "
          "-e sched\n";
    return;
  }
  if (m.wakeups)
    os << "  note: no wakeup events, so no latency or response; record: trace-cmd record -e "
          "sched\n";
  if (m.timer_markers)
    os << "  note: no timer-sleep markers, so no relief; record: trace-cmd record -e "
          "raw_syscalls:sys_enter\n";
}

// "latency 0, response 2, ...": each metric's unobserved count, in report order (text, HTML).
inline std::string unobserved_list(const TraceStats& s) {
  std::string out;
  for (Metric m : all_metrics) {
    if (!out.empty()) out += ", ";
    out.append(metric_name(m)).append(" ").append(std::to_string(s.unobserved(m)));
  }
  return out;
}

inline void write_summary(std::ostream& os, const TraceStats& s) {
  std::string source = printable(s.source, 512);
  if (source.size() > 80) source = "..." + source.substr(source.size() - 77);
  os << "rtlat report: " << source << '\n';
  const Timestamp dur = s.end_ns > s.start_ns ? s.end_ns - s.start_ns : 0;
  wrapped_line(
      os, "  ",
      fmt("%" PRIu64 " events, %d cpu%s, %s (%s .. %s s)", s.events, s.cpus, s.cpus == 1 ? "" : "s",
          format_duration(dur).c_str(), seconds(s.start_ns).c_str(), seconds(s.end_ns).c_str()));
  wrapped_line(
      os, "  ",
      fmt("%" PRIu64 " lost events (%" PRIu64 " markers), %" PRIu64 " implicit switches, %" PRIu64
          " out of order, %" PRIu64 " skipped",
          s.lost_events, s.lost_event_markers, s.implicit_switches, s.out_of_order, s.skipped));
  wrapped_line(os, "  ", "unobserved samples: " + unobserved_list(s));
  if (s.unobserved_timer_no_request != 0)
    wrapped_line(
        os, "  note: ",
        fmt("%" PRIu64 " timer wakeups came from timers armed before the trace or across lost "
            "events: no requested time, no sample",
            s.unobserved_timer_no_request));
  if (s.unobserved_timer_clock != 0)
    wrapped_line(
        os, "  note: ",
        fmt("%" PRIu64 " timer sleeps ended without hrtimer_expire_entry on a trace clock other "
            "than mono: record -e timer:hrtimer_expire_entry or -C mono",
            s.unobserved_timer_clock));
  if (s.unobserved_latency != 0)
    os << "  note: switch-ins were not recorded, so those latency samples were dropped, not "
          "guessed\n";
  if (s.unobserved_response + s.unobserved_relief + s.unobserved_irq + s.unobserved_irq_latency !=
      0)
    os << "  note: intervals cut by lost events or lost task state were dropped, not guessed\n";
  if (s.events != 0) write_missing(os, s.missing);
  if (s.waking_fallback)
    os << "  note: no sched_wakeup events, so latency and response start at sched_waking\n";
  if (s.out_of_order != 0)
    os << "  note: events older than ones already read were dropped, not measured: input not "
          "in time order\n";
}

}  // namespace detail

/// Effects: writes the text report of `r` to `os`: the summary (extent, losses, unobserved
/// samples, notes on what the trace lacks), one line per task (at most
/// TextReportOptions::summary_tasks: highest worst value in any metric first, with each metric's
/// worst value, the SLO violations and the verdict kind of the task's worst case), then the tasks
/// in order_by_worst_latency() order, each with its metric table, worst windows, verdicts and
/// breakdowns, then the folded groups (Results::folded) in the same order and form, each saying how
/// many tasks it holds. The stream's state is not checked. Complexity: O(n log n) in tasks plus
/// O(events in the worst windows). Throws: std::bad_alloc; whatever `os` throws when its exceptions
/// are enabled. Thread safety: only reads `r`; concurrent calls on different streams are safe.
inline void write_text(std::ostream& os, const Results& r, const TextReportOptions& opt = {}) {
  detail::write_summary(os, r.trace);
  const auto shown = [&](const TaskResult& t) {
    return opt.show_tasks_without_samples || has_samples(t);
  };
  std::vector<std::size_t> first;
  std::size_t more = 0;
  for (std::size_t i : detail::order_by_worst_value(r.tasks)) {
    if (!shown(r.tasks[i])) continue;
    if (first.size() < opt.summary_tasks)
      first.push_back(i);
    else
      ++more;
  }
  if (!first.empty()) {
    os << '\n';
    detail::write_task_summary(os, r, first, more);
  }
  detail::CommLookup names(r);
  std::size_t hidden = 0;
  for (std::size_t i : order_by_worst_latency(r.tasks)) {
    const TaskResult& t = r.tasks[i];
    if (!shown(t)) {
      ++hidden;
      continue;
    }
    os << '\n';
    detail::write_task(os, t, names);
  }
  if (hidden != 0)
    os << '\n' << hidden << (hidden == 1 ? " task" : " tasks") << " without samples not shown\n";
  if (r.tasks.empty() && r.folded.empty()) os << "\nno tasks\n";
  if (r.folded.empty()) return;
  std::uint64_t folded = 0;
  for (const FoldedGroup& g : r.folded) folded += g.tasks;
  os << detail::fmt("\nfolded: %" PRIu64 " finished task%s in %zu group%s by comm\n", folded,
                    folded == 1 ? "" : "s", r.folded.size(), r.folded.size() == 1 ? "" : "s");
  for (std::size_t i : order_by_worst_latency(r.folded)) {
    os << '\n';
    detail::write_folded(os, r.folded[i], names);
  }
}

}  // namespace v1
}  // namespace rtlat
