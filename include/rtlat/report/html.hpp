// One self-contained HTML report (no network, no external assets: inline CSS and SVG, a few lines
// of plain JS to filter the task table): a summary table of tasks with their worst values, SLO
// violations and verdicts; per task and metric a histogram on a log time axis with the SLO line;
// and for each worst case a timeline of its interval (a lane per CPU, runs coloured by task, the
// measured task outlined, wakeups and IRQs marked) with its breakdown and verdict.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <string_view>

#include "rtlat/detail/report/timeline.hpp"
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

// The timeline of one worst window.
inline void timeline(std::ostream& os, const WorstWindow& win, Pid pid) {
  const Timeline t = timeline_of(win.events, win.start_ns, win.end_ns);
  if (t.cpus.empty()) return;
  constexpr double w = 900, lane = 20, left = 46;
  const double span = static_cast<double>(std::max<Timestamp>(1, win.end_ns - win.start_ns));
  const auto x = [&](Timestamp ts) {
    const double f = static_cast<double>(ts - win.start_ns) / span;
    return left + std::clamp(f, 0.0, 1.0) * (w - left - 4);
  };
  const auto y = [&](int cpu) {
    const auto at = std::find(t.cpus.begin(), t.cpus.end(), cpu) - t.cpus.begin();
    return 4 + static_cast<double>(at) * (lane + 4);
  };
  // The measured task's own lane: waiting (woken, not yet running) and blocked (asleep) stretches
  // from its events, running from the CPU lanes.
  struct Stretch {
    Timestamp from, to;
    bool waiting;
  };
  std::vector<Stretch> stretches;
  Timestamp open_from = win.start_ns;
  int state = -1;  // -1 unknown, 0 waiting, 1 blocked, 2 running
  for (const Event& e : win.events) {
    const bool woken = (e.kind == EventKind::sched_wakeup || e.kind == EventKind::sched_waking ||
                        e.kind == EventKind::sched_wakeup_new) &&
                       e.wakeup.pid == pid;
    const bool in = e.kind == EventKind::sched_switch && e.sw.next_pid == pid;
    const bool out = e.kind == EventKind::sched_switch && e.sw.prev_pid == pid;
    if (woken && state != 2 && state != 0) {
      if (state == 1) stretches.push_back({open_from, e.ts, false});
      state = 0;
      open_from = e.ts;
    } else if (in) {
      if (state == 0) stretches.push_back({open_from, e.ts, true});
      state = 2;
    } else if (out) {
      state = e.prev_state == PrevState::runnable || e.prev_state == PrevState::preempted ? 0 : 1;
      open_from = e.ts;
    }
  }
  if (state == 0 || state == 1) stretches.push_back({open_from, win.end_ns, state == 0});
  const double task_y = 4 + static_cast<double>(t.cpus.size()) * (lane + 4);
  const double height = task_y + 8 + 14;
  os << "<svg class=\"timeline\" width=\"" << w << "\" height=\"" << height << "\">";
  for (const int cpu : t.cpus)
    os << "<text x=\"2\" y=\"" << num(y(cpu) + 14) << "\" font-size=\"11\">CPU " << cpu
       << "</text>";
  for (const RunSlice& s : t.slices) {
    const double x0 = x(s.from), x1 = std::max(x0 + 0.5, x(s.to));
    os << "<rect x=\"" << num(x0) << "\" y=\"" << num(y(s.cpu)) << "\" width=\"" << num(x1 - x0)
       << "\" height=\"" << lane << "\" fill=\"" << colour(s.pid) << "\""
       << (s.pid == pid ? " stroke=\"#000\" stroke-width=\"2\"" : "") << "><title>" << esc(s.comm)
       << ":" << s.pid << " (" << prio_name(s.prio) << ") " << format_duration(s.to - s.from)
       << "</title></rect>";
    if (x1 - x0 > 60)
      os << "<text x=\"" << num(x0 + 3) << "\" y=\"" << num(y(s.cpu) + 14) << "\" font-size=\"10\">"
         << esc(s.comm) << "</text>";
  }
  for (const Mark& m : t.marks) {
    if (m.kind == Mark::wakeup) {
      const double xm = x(m.from);
      os << "<path d=\"M" << num(xm) << ' ' << num(y(m.cpu)) << " l-4 -4 h8 z\" fill=\""
         << (m.pid == pid ? "#d22" : "#333") << "\"><title>" << esc(m.label) << "</title></path>";
    } else {
      const double x0 = x(m.from), x1 = std::max(x0 + 1, x(m.to));
      os << "<rect x=\"" << num(x0) << "\" y=\"" << num(y(m.cpu) + lane - 4) << "\" width=\""
         << num(x1 - x0) << "\" height=\"4\" fill=\"#e80\"><title>" << esc(m.label)
         << "</title></rect>";
    }
  }
  os << "<text x=\"2\" y=\"" << num(task_y + 8) << "\" font-size=\"10\">task</text>";
  for (const Stretch& st : stretches) {
    const double x0 = x(st.from), x1 = std::max(x0 + 0.5, x(st.to));
    os << "<rect x=\"" << num(x0) << "\" y=\"" << num(task_y) << "\" width=\"" << num(x1 - x0)
       << "\" height=\"8\" fill=\"" << (st.waiting ? "#d22" : "#888") << "\"><title>"
       << (st.waiting ? "waiting for a CPU " : "blocked ") << format_duration(st.to - st.from)
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
/// without samples left out; folded groups in a table of their own). Complexity: O(tasks + window
/// events). Throws: what the stream throws.
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
     << s.skipped << " skipped; unobserved samples: latency " << s.unobserved_latency
     << ", response " << s.unobserved_response << ", relief " << s.unobserved_relief << ", irq "
     << s.unobserved_irq << ", timer " << s.unobserved_timer << ", irq_latency "
     << s.unobserved_irq_latency << "</p>\n";
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
