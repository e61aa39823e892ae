/// @file
/// The text report's first screen: one line per task, highest worst value first, before the
/// blocks of details, so the reader sees which task matters before its windows.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "rtlat/breakdown.hpp"
#include "rtlat/duration.hpp"
#include "rtlat/report/ranking.hpp"
#include "rtlat/report/text_lines.hpp"
#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {

namespace detail {

// The verdict kind of the task's worst case: the verdict of the worst window of worst_metric();
// nullopt without samples or when that window was not explained. Complexity: O(1).
inline std::optional<VerdictKind> worst_case_verdict(const TaskResult& t) noexcept {
  const std::optional<Metric> m = worst_metric(t);
  if (!m || !t[*m].worst || !t[*m].worst->verdict) return std::nullopt;
  return t[*m].worst->verdict->kind;
}

// The SLO violations of all the task's metrics; nullopt when no metric has a bound.
// Complexity: O(1).
inline std::optional<std::uint64_t> violations(const TaskResult& t) noexcept {
  std::optional<std::uint64_t> n;
  for (const MetricResult& m : t.metrics)
    if (m.slo_ns) n = n.value_or(0) + m.violations;
  return n;
}

// Column headers: the metric names, irq_latency shortened so the line fits.
inline std::string_view summary_header(Metric m) {
  return m == Metric::irq_latency ? std::string_view("irq_lat") : metric_name(m);
}

// Writes `tasks` (indices into r.tasks, best first) as the first screen: each column as wide as
// its widest cell, so the usual values leave room for the verdict within the page.
inline void write_task_summary(std::ostream& os, const Results& r,
                               const std::vector<std::size_t>& tasks, std::size_t more) {
  constexpr std::size_t cols = 3 + metric_count + 1;  // pid, comm, metrics, viol, verdict
  std::vector<std::array<std::string, cols>> rows;
  std::array<std::string, cols> head{"pid", "comm"};
  for (std::size_t i = 0; i < metric_count; ++i)
    head[2 + i] = std::string(summary_header(all_metrics[i]));
  head[cols - 2] = "viol";
  head[cols - 1] = "verdict";
  rows.push_back(head);
  for (std::size_t idx : tasks) {
    const TaskResult& t = r.tasks[idx];
    std::array<std::string, cols> row;
    row[0] = std::to_string(t.pid);
    row[1] = printable(t.comm, 16);
    for (std::size_t i = 0; i < metric_count; ++i) row[2 + i] = opt_duration(t.metrics[i].max_ns);
    const std::optional<std::uint64_t> v = violations(t);
    row[cols - 2] = v ? std::to_string(*v) : std::string("-");
    const std::optional<VerdictKind> k = worst_case_verdict(t);
    row[cols - 1] = k ? std::string(verdict_kind_name(*k)) : std::string("-");
    rows.push_back(std::move(row));
  }
  std::array<std::size_t, cols> width{};
  for (const auto& row : rows)
    for (std::size_t c = 0; c < cols; ++c) width[c] = std::max(width[c], row[c].size());
  os << "tasks by worst value (any metric), each with the verdict of its worst case:\n";
  for (const auto& row : rows) {
    std::string line = "  ";
    for (std::size_t c = 0; c < cols; ++c) {
      if (c != 0) line += ' ';
      std::string cell = row[c];
      const std::size_t pad = width[c] - cell.size();
      // Names and the verdict read left to right; numbers line up on the right.
      if (c == 1 || c == cols - 1)
        cell.append(pad, ' ');
      else
        cell.insert(0, pad, ' ');
      line += cell;
    }
    wrapped_line(os, "", line);  // only absurd values make it wider than the page
  }
  if (more != 0) os << fmt("  ... %zu more task%s below\n", more, more == 1 ? "" : "s");
}

}  // namespace detail

}  // namespace v1
}  // namespace rtlat
