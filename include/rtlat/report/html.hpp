// One self-contained HTML report (no network, no external assets: inline CSS and SVG, a few lines
// of plain JS to filter the task table): a summary table of tasks with their worst values, SLO
// violations and verdicts; per task and metric a histogram on a log time axis with the SLO line;
// and for each worst case its breakdown and verdict with a timeline of its interval (a lane per
// CPU, runs coloured by task, the measured task outlined, interrupts and wakeups marked), drawn
// from the walk the breakdown came from.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "rtlat/detail/report/part_label.hpp"
#include "rtlat/duration.hpp"
#include "rtlat/report/ranking.hpp"
#include "rtlat/report/text.hpp"
#include "rtlat/results.hpp"
#include "rtlat/version.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {
namespace html {

inline std::string esc(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '&':
        o += "&amp;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
    }
  }
  return o;
}

inline std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

// A stable colour per task: its pid spread over the hue circle; idle is grey.
inline std::string colour(Pid pid) {
  if (pid == 0) return "#ccc";
  const unsigned h = (static_cast<unsigned>(pid) * 2654435761u) % 360u;
  return "hsl(" + std::to_string(h) + ",60%,62%)";
}

inline std::string opt(const std::optional<std::int64_t>& v) {
  return v ? format_duration(*v) : "-";
}

// A histogram on a log time axis; the SLO as a red line.
inline void histogram(std::ostream& os, const MetricResult& m) {
  if (m.histogram.empty()) return;
  constexpr double w = 420, h = 90, pad = 4;
  double lo = std::log10(std::max<double>(1, static_cast<double>(m.histogram.front().lower_ns)));
  double hi = std::log10(static_cast<double>(m.histogram.back().upper_ns));
  if (m.slo_ns) {
    lo = std::min(lo, std::log10(std::max<double>(1, static_cast<double>(*m.slo_ns))) - 0.1);
    hi = std::max(hi, std::log10(static_cast<double>(*m.slo_ns)) + 0.1);
  }
  if (hi - lo < 0.5) hi = lo + 0.5;
  std::uint64_t top = 1;
  for (const HistogramBin& b : m.histogram) top = std::max(top, b.count);
  const auto x = [&](double ns) {
    return pad + (std::log10(std::max(1.0, ns)) - lo) / (hi - lo) * (w - 2 * pad);
  };
  os << "<svg class=\"hist\" width=\"" << w << "\" height=\"" << h + 14 << "\">";
  for (const HistogramBin& b : m.histogram) {
    const double x0 = x(static_cast<double>(b.lower_ns));
    const double x1 = std::max(x0 + 1, x(static_cast<double>(b.upper_ns)));
    const double bh = (h - 4) * static_cast<double>(b.count) / static_cast<double>(top);
    os << "<rect x=\"" << num(x0) << "\" y=\"" << num(h - bh) << "\" width=\"" << num(x1 - x0)
       << "\" height=\"" << num(bh) << "\" fill=\"#4a78b5\"><title>" << format_duration(b.lower_ns)
       << " .. " << format_duration(b.upper_ns) << ": " << b.count << "</title></rect>";
  }
  for (int decade = static_cast<int>(std::ceil(lo)); decade <= static_cast<int>(hi); ++decade) {
    const double d = decade;
    const double xp = x(std::pow(10.0, d));
    os << "<line x1=\"" << num(xp) << "\" x2=\"" << num(xp) << "\" y1=\"" << h << "\" y2=\""
       << h + 3 << "\" stroke=\"#555\"/><text x=\"" << num(xp) << "\" y=\"" << h + 13
       << "\" font-size=\"9\" text-anchor=\"middle\">"
       << format_duration(static_cast<std::int64_t>(std::pow(10.0, d))) << "</text>";
  }
  if (m.slo_ns) {
    const double xs = x(static_cast<double>(*m.slo_ns));
    os << "<line class=\"slo\" x1=\"" << num(xs) << "\" x2=\"" << num(xs) << "\" y1=\"0\" y2=\""
       << h << "\" stroke=\"#d22\" stroke-width=\"2\" stroke-dasharray=\"4 2\"><title>SLO "
       << format_duration(*m.slo_ns) << "</title></line>";
  }
  os << "<line x1=\"0\" x2=\"" << w << "\" y1=\"" << h << "\" y2=\"" << h
     << "\" stroke=\"#555\"/></svg>\n";
}

// What a CPU's run or a task's stretch looks like: a task in its colour, idle grey, interrupts
// orange, the unknown white (outlined), waiting red, blocked dark grey, a timer's delay violet.
inline std::string fill(PartState s, Pid pid) {
  switch (s) {
    case PartState::running:
      return colour(pid);
    case PartState::idle:
      return pid < 0 ? "#ccc" : "#d22";  // a CPU idling; a task waiting on an idle CPU
    case PartState::irq:
    case PartState::softirq:
      return "#e80";
    case PartState::runnable:
    case PartState::migration:
      return "#d22";
    case PartState::blocked:
      return "#888";
    case PartState::timer_delay:
      return "#93c";
    case PartState::timer_slack:
      return "#bbb";
    case PartState::unknown:
      break;
  }
  return "#fff";
}

inline std::string run_label(const CpuRun& r) {
  switch (r.state) {
    case PartState::running:
      return r.task ? task_label(*r.task) : std::string("?");
    case PartState::idle:
      return "idle" + (r.idle_state ? " (state " + std::to_string(*r.idle_state) + ")" : "");
    case PartState::irq:
    case PartState::softirq:
      return r.interrupt ? interrupt_label(*r.interrupt) : std::string(part_state_name(r.state));
    default:
      return "not observed";
  }
}

// The timeline of one worst window, drawn from the walk its breakdown came from: a lane per CPU
// (what the walk saw each one do) and the measured task's lane (the stretches the breakdown's
// parts add up), so it cannot disagree with the breakdown; wakeups are marked from the window's
// events. Without a breakdown (Config::Explain::none) there was no walk and there is no timeline.
inline void timeline(std::ostream& os, const WorstWindow& win, Pid pid) {
  if (!win.breakdown) return;
  const Breakdown& b = *win.breakdown;
  std::vector<int> cpus;
  for (const CpuRun& r : b.cpu_runs)
    if (std::find(cpus.begin(), cpus.end(), r.cpu) == cpus.end()) cpus.push_back(r.cpu);
  if (cpus.empty() && b.spans.empty()) return;
  constexpr double w = 900, lane = 20, left = 46;
  const double span = static_cast<double>(std::max<Timestamp>(1, win.end_ns - win.start_ns));
  const auto x = [&](Timestamp ts) {
    const double f = static_cast<double>(ts - win.start_ns) / span;
    return left + std::clamp(f, 0.0, 1.0) * (w - left - 4);
  };
  const auto y = [&](int cpu) {
    const auto at = std::find(cpus.begin(), cpus.end(), cpu) - cpus.begin();
    return 4 + static_cast<double>(at) * (lane + 4);
  };
  const double task_y = 4 + static_cast<double>(cpus.size()) * (lane + 4);
  const double height = task_y + 8 + 14;
  os << "<svg class=\"timeline\" width=\"" << w << "\" height=\"" << height << "\">";
  for (const int cpu : cpus)
    os << "<text x=\"2\" y=\"" << num(y(cpu) + 14) << "\" font-size=\"11\">CPU " << cpu
       << "</text>";
  for (const CpuRun& r : b.cpu_runs) {
    const double x0 = x(r.from_ns), x1 = std::max(x0 + 0.5, x(r.to_ns));
    const Pid who = r.state == PartState::running && r.task ? r.task->pid : -1;
    const bool irq = r.state == PartState::irq || r.state == PartState::softirq;
    os << "<rect class=\"run\" x=\"" << num(x0) << "\" y=\""
       << num(y(r.cpu) + (irq ? lane - 6 : 0.0)) << "\" width=\"" << num(x1 - x0) << "\" height=\""
       << (irq ? 6.0 : lane) << "\" fill=\"" << fill(r.state, who) << "\""
       << (who == pid                      ? " stroke=\"#000\" stroke-width=\"2\""
           : r.state == PartState::unknown ? " stroke=\"#999\" stroke-dasharray=\"2 2\""
                                           : "")
       << "><title>" << esc(run_label(r)) << " " << format_duration(r.to_ns - r.from_ns)
       << "</title></rect>";
    if (r.task && x1 - x0 > 60)
      os << "<text x=\"" << num(x0 + 3) << "\" y=\"" << num(y(r.cpu) + 14) << "\" font-size=\"10\">"
         << esc(std::string(r.task->comm.view())) << "</text>";
  }
  for (const Event& e : win.events) {
    if (e.kind != EventKind::sched_wakeup && e.kind != EventKind::sched_waking &&
        e.kind != EventKind::sched_wakeup_new)
      continue;
    if (std::find(cpus.begin(), cpus.end(), e.cpu) == cpus.end()) continue;
    const double xm = x(e.ts);
    os << "<path d=\"M" << num(xm) << ' ' << num(y(e.cpu)) << " l-4 -4 h8 z\" fill=\""
       << (e.wakeup.pid == pid ? "#d22" : "#333") << "\"><title>" << event_kind_name(e.kind) << ' '
       << esc(std::string(e.wakeup.comm.view())) << ':' << e.wakeup.pid << "</title></path>";
  }
  os << "<text x=\"2\" y=\"" << num(task_y + 8) << "\" font-size=\"10\">task</text>";
  for (const BreakdownSpan& st : b.spans) {
    if (st.part >= b.parts.size()) continue;
    const BreakdownPart& part = b.parts[st.part];
    const double x0 = x(st.from_ns), x1 = std::max(x0 + 0.5, x(st.to_ns));
    os << "<rect class=\"span\" x=\"" << num(x0) << "\" y=\"" << num(task_y) << "\" width=\""
       << num(x1 - x0) << "\" height=\"8\" fill=\"" << fill(part.state, pid) << "\""
       << (part.state == PartState::unknown ? " stroke=\"#999\"" : "") << "><title>"
       << esc(part_label(part)) << " " << format_duration(st.to_ns - st.from_ns)
       << "</title></rect>";
  }
  os << "<text x=\"" << left << "\" y=\"" << num(height - 2)
     << "\" font-size=\"10\">0</text><text x=\"" << w - 4 << "\" y=\"" << num(height - 2)
     << "\" font-size=\"10\" text-anchor=\"end\">" << format_duration(win.end_ns - win.start_ns)
     << "</text></svg>\n";
}

inline void worst_case(std::ostream& os, const TaskResult& t, Metric m, const MetricResult& mr) {
  const WorstWindow& w = *mr.worst;
  os << "<div class=\"worst\"><h4>worst " << metric_name(m) << " "
     << format_duration(w.end_ns - w.start_ns) << " <small>at " << seconds(w.start_ns) << " s, CPU "
     << w.cpu << ", " << w.events.size() << " events";
  if (w.elided != 0) os << " (+" << w.elided << " elided)";
  os << "</small></h4>\n";
  if (w.verdict)
    os << "<p class=\"verdict\"><b>" << verdict_kind_name(w.verdict->kind) << "</b> ("
       << static_cast<int>(std::lround(w.verdict->share * 100)) << "%): " << esc(w.verdict->text)
       << "</p>\n";
  if (w.breakdown)
    os << "<p class=\"breakdown\">" << esc(breakdown_summary(*w.breakdown)) << "</p>\n";
  timeline(os, w, t.pid);
  os << "</div>\n";
}

inline void task_details(std::ostream& os, const TaskResult& t, bool open) {
  os << "<details id=\"task-" << t.pid << "\"" << (open ? " open" : "") << "><summary>"
     << esc(t.comm) << " pid " << t.pid << "</summary>\n";
  for (const Metric m : all_metrics) {
    const MetricResult& mr = t[m];
    if (mr.count == 0) continue;
    os << "<h3>" << metric_name(m) << (mr.derived ? " (derived)" : "") << ": " << mr.count
       << " samples, p50 " << opt(mr.p50_ns) << ", p99 " << opt(mr.p99_ns) << ", max "
       << opt(mr.max_ns);
    if (mr.slo_ns)
      os << ", SLO " << format_duration(*mr.slo_ns) << ", " << mr.violations << " violations";
    os << "</h3>\n";
    histogram(os, mr);
    for (const VerdictCount& v : mr.verdicts)
      os << "<p class=\"counts\">" << v.count << " of " << mr.violations
         << " violations: " << verdict_kind_name(v.kind)
         << (v.culprit ? " " + esc(task_label(*v.culprit)) : std::string()) << "</p>\n";
    if (mr.worst) worst_case(os, t, m, mr);
  }
  os << "</details>\n";
}

inline void summary_row(std::ostream& os, const TaskResult& t) {
  os << "<tr data-name=\"" << esc(t.comm) << "\"><td><a href=\"#task-" << t.pid << "\">"
     << esc(t.comm) << "</a></td><td>" << t.pid << "</td>";
  for (const Metric m : all_metrics) {
    const MetricResult& mr = t[m];
    const bool bad = mr.violations != 0;
    os << "<td" << (bad ? " class=\"viol\"" : "") << ">" << opt(mr.max_ns);
    if (mr.slo_ns)
      os << "<br><small>" << mr.violations << " over " << format_duration(*mr.slo_ns) << "</small>";
    if (mr.worst && mr.worst->verdict)
      os << "<br><small class=\"v\">" << verdict_kind_name(mr.worst->verdict->kind) << "</small>";
    os << "</td>";
  }
  os << "</tr>\n";
}

// A folded group's row: how many tasks it holds and the worst of each metric over them.
inline void folded_row(std::ostream& os, const FoldedGroup& g) {
  os << "<tr><td>" << esc(g.comm) << "</td><td>" << g.tasks << "</td>";
  for (const Metric m : all_metrics) {
    const MetricResult& mr = g[m];
    os << "<td" << (mr.violations != 0 ? " class=\"viol\"" : "") << ">" << opt(mr.max_ns);
    if (mr.count != 0)
      os << "<br><small>" << mr.count << " samples, p99 " << opt(mr.p99_ns) << "</small>";
    if (mr.slo_ns)
      os << "<br><small>" << mr.violations << " over " << format_duration(*mr.slo_ns) << "</small>";
    os << "</td>";
  }
  os << "</tr>\n";
}

}  // namespace html
}  // namespace detail

/// Effects: writes `r` as one self-contained HTML page (tasks ordered by worst latency, tasks
/// without samples left out; folded groups in a table of their own). Each worst case's timeline
/// is drawn from its breakdown's stretches and CPU runs, which the engine keeps only under
/// Config::timeline (`rtlat report --html` sets it); without them the page has no timelines.
/// Complexity: O(tasks + window events + timeline runs). Throws: what the stream throws.
inline void write_html(std::ostream& os, const Results& r) {
  using namespace detail::html;
  const TraceStats& s = r.trace;
  os << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>rtlat: "
     << esc(s.source)
     << "</title>\n<style>\n"
        "body{font:14px sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;vertical-align:top}"
        "td:first-child{text-align:left}.viol{background:#fdd}.v{color:#555}"
        "details{margin:.6em 0;border:1px solid #ddd;padding:.4em}summary{font-weight:bold;"
        "cursor:pointer}h4{margin:.8em 0 .2em}.verdict{margin:.2em 0}.breakdown{margin:.2em 0;"
        "color:#444}svg{display:block;margin:.3em 0}\n</style></head><body>\n";
  os << "<h1>rtlat report</h1>\n<p>" << esc(s.source) << ": " << s.events << " events, " << s.cpus
     << " CPUs, " << format_duration(s.end_ns > s.start_ns ? s.end_ns - s.start_ns : 0) << " ("
     << detail::seconds(s.start_ns) << " .. " << detail::seconds(s.end_ns) << " s)<br>"
     << s.lost_events << " lost events (" << s.lost_event_markers << " markers), "
     << s.implicit_switches << " implicit switches, " << s.out_of_order << " out of order, "
     << s.skipped << " skipped; unobserved samples: " << detail::unobserved_list(s) << "</p>\n";
  const auto order = order_by_worst_latency(r.tasks);
  os << "<p><input id=\"filter\" placeholder=\"filter tasks by name\"></p>\n"
        "<table id=\"tasks\"><thead><tr><th>task</th><th>pid</th><th>latency</th>"
        "<th>response</th><th>relief</th><th>irq</th></tr></thead><tbody>\n";
  for (const std::size_t i : order)
    if (has_samples(r.tasks[i])) summary_row(os, r.tasks[i]);
  os << "</tbody></table>\n";
  // The first tasks (the worst latencies) open, the rest one click away.
  std::size_t shown = 0;
  for (const std::size_t i : order)
    if (has_samples(r.tasks[i])) task_details(os, r.tasks[i], shown++ < 3);
  if (!r.folded.empty()) {
    os << "<h2>Folded tasks</h2>\n<p>Finished tasks whose entries were reclaimed "
          "(--max-finished-tasks), merged per comm.</p>\n"
          "<table id=\"folded\"><thead><tr><th>comm</th><th>tasks</th><th>latency</th>"
          "<th>response</th><th>relief</th><th>irq</th></tr></thead><tbody>\n";
    for (const std::size_t i : order_by_worst_latency(r.folded)) folded_row(os, r.folded[i]);
    os << "</tbody></table>\n";
  }
  os << "<p><small>rtlat " << version
     << "</small></p>\n"
        "<script>\n"
        "document.getElementById('filter').addEventListener('input', function (e) {\n"
        "  var q = e.target.value.toLowerCase();\n"
        "  document.querySelectorAll('#tasks tbody tr').forEach(function (row) {\n"
        "    row.style.display = row.dataset.name.toLowerCase().indexOf(q) < 0 ? 'none' : '';\n"
        "  });\n"
        "});\n"
        "document.body.dataset.ready = '1';\n"
        "</script>\n</body></html>\n";
}

}  // namespace v1
}  // namespace rtlat
