/// @file
/// The CSV report: one row per task and metric, for spreadsheets and scripts.
///
///     pid,tgid,comm,metric,count,min_ns,max_ns,mean_ns,p50_ns,p90_ns,p99_ns,p999_ns,derived,
///     slo_ns,violations
///
/// Empty cells stand for "no value" (JSON's null); derived is true/false; comm is always quoted.
/// When Results::folded is not empty, a last column `tasks` is added: 1 for a task's rows, the
/// group's task count for a folded group's rows, which follow the tasks' with pid and tgid
/// empty.
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>

#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {

namespace detail {

// RFC 4180 quoting. Line breaks become '?' so every row stays on one line for line-based tools.
inline void csv_quoted(std::ostream& os, std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    if (c == '"')
      out += "\"\"";
    else if (c == '\n' || c == '\r')
      out += '?';
    else
      out += c;
  }
  out += '"';
  os << out;
}

inline void csv_opt(std::ostream& os, const std::optional<std::int64_t>& v) {
  if (v) os << *v;
}

inline void csv_double(std::ostream& os, const std::optional<double>& v) {
  if (!v || !std::isfinite(*v)) return;
  // Fixed notation ("200000", not "2e+05"): means are read by people and naive parsers. 512
  // bytes hold any double's shortest fixed form; the general form is the fallback regardless.
  char buf[512];
  auto r = std::to_chars(buf, buf + sizeof buf, *v, std::chars_format::fixed);
  if (r.ec != std::errc()) r = std::to_chars(buf, buf + sizeof buf, *v);
  os << std::string_view(buf, static_cast<std::size_t>(r.ptr - buf));
}

}  // namespace detail

/// The header line, without its newline.
inline constexpr std::string_view csv_header =
    "pid,tgid,comm,metric,count,min_ns,max_ns,mean_ns,p50_ns,p90_ns,p99_ns,p999_ns,derived,slo_ns,"
    "violations";

/// Effects: writes csv_header, then four rows per task (latency, response, relief, irq) in
/// `r.tasks` order, then four per folded group (with the `tasks` column, see above), each line
/// ending in a newline. Comms are quoted as RFC 4180 says, with line breaks turned into '?' so
/// every row is one line; means in fixed notation. Worst windows, breakdowns and verdicts are not
/// in CSV. The stream's state is not checked. Complexity: O(tasks). Throws: std::bad_alloc;
/// whatever `os` throws when its exceptions are enabled. Thread safety: only reads `r`.
inline void write_csv(std::ostream& os, const Results& r) {
  const bool folded = !r.folded.empty();
  os << csv_header << (folded ? ",tasks\n" : "\n");
  auto row = [&](const std::optional<Pid>& pid, const std::optional<Pid>& tgid,
                 const std::string& comm, Metric metric, const MetricResult& m,
                 std::uint64_t tasks) {
    if (pid) os << *pid;
    os << ',';
    if (tgid) os << *tgid;
    os << ',';
    detail::csv_quoted(os, comm);
    os << ',' << metric_name(metric) << ',' << m.count;
    for (const std::optional<std::int64_t>* v : {&m.min_ns, &m.max_ns}) {
      os << ',';
      detail::csv_opt(os, *v);
    }
    os << ',';
    detail::csv_double(os, m.mean_ns);
    for (const std::optional<std::int64_t>* v : {&m.p50_ns, &m.p90_ns, &m.p99_ns, &m.p999_ns}) {
      os << ',';
      detail::csv_opt(os, *v);
    }
    os << ',' << (m.derived ? "true" : "false") << ',';
    detail::csv_opt(os, m.slo_ns);
    os << ',' << m.violations;
    if (folded) os << ',' << tasks;
    os << '\n';
  };
  for (const TaskResult& t : r.tasks)
    for (Metric metric : all_metrics) row(t.pid, t.tgid, t.comm, metric, t[metric], 1);
  for (const FoldedGroup& g : r.folded)
    for (Metric metric : all_metrics)
      row(std::nullopt, std::nullopt, g.comm, metric, g[metric], g.tasks);
}

}  // namespace v1
}  // namespace rtlat
