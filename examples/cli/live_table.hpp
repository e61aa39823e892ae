// `rtlat live` on a terminal: a header, then the tasks by worst latency, each with the verdict
// kind of its worst latency (why it was late), violations in reverse video, every line cut to
// the terminal's width.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "rtlat/breakdown.hpp"
#include "rtlat/duration.hpp"
#include "rtlat/report/ranking.hpp"
#include "rtlat/results.hpp"

namespace rtlat_cli {

inline std::string table_cell(const std::optional<std::int64_t>& ns) {
  return ns ? rtlat::format_duration(*ns) : std::string("-");
}

// The verdict kind of the task's worst latency; "-" when it was not explained.
inline std::string_view latency_why(const rtlat::TaskResult& t) {
  const rtlat::MetricResult& lat = t[rtlat::Metric::latency];
  if (!lat.worst || !lat.worst->verdict) return "-";
  return rtlat::verdict_kind_name(lat.worst->verdict->kind);
}

// The screen without the escape that clears it: `header`, then at most `rows` tasks; no line
// longer than `columns`.
inline std::string live_table(const rtlat::Results& r, const std::string& header, std::size_t rows,
                              std::size_t columns) {
  std::string out;
  const auto add = [&](const char* line, bool highlight) {
    std::string_view l(line);
    if (l.size() > columns) l = l.substr(0, columns);
    if (highlight) out += "\x1b[7m";
    out += l;
    if (highlight) out += "\x1b[0m";
    out += '\n';
  };
  add(header.c_str(), false);
  add("", false);
  char line[512];
  // The why beside the latency it explains, before the columns a narrow terminal may cut.
  std::snprintf(line, sizeof line, "%8s %-16s %8s %9s %9s %9s %-18s %9s %9s %6s", "PID", "COMM",
                "WAKEUPS", "LAT p50", "LAT p99", "LAT max", "LAT WHY", "RESP max", "RELIEF max",
                "VIOL");
  add(line, false);
  rtlat::Results sorted = r;
  rtlat::keep_top(sorted, rows);
  for (const rtlat::TaskResult& t : sorted.tasks) {
    const rtlat::MetricResult& lat = t[rtlat::Metric::latency];
    std::uint64_t viol = 0;
    for (const rtlat::MetricResult& m : t.metrics) viol += m.violations;
    std::snprintf(
        line, sizeof line, "%8d %-16.16s %8llu %9s %9s %9s %-18s %9s %9s %6llu", t.pid,
        t.comm.c_str(), static_cast<unsigned long long>(lat.count), table_cell(lat.p50_ns).c_str(),
        table_cell(lat.p99_ns).c_str(), table_cell(lat.max_ns).c_str(),
        std::string(latency_why(t)).c_str(), table_cell(t[rtlat::Metric::response].max_ns).c_str(),
        table_cell(t[rtlat::Metric::relief].max_ns).c_str(), static_cast<unsigned long long>(viol));
    add(line, viol != 0);
  }
  return out;
}

}  // namespace rtlat_cli
