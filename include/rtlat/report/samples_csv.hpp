/// @file
/// Every sample as CSV, one row per Sample as Config::on_sample hands it over: for comparisons
/// cycle by cycle with another tool, where the per-task summary of `<rtlat/report/csv.hpp>`
/// cannot say which cycle differs.
///
///     pid,tgid,comm,metric,start_ns,end_ns,value_ns,cpu,violation
///
/// tgid is empty when unknown; violation is true/false (false without a bound); comm is quoted
/// as in write_csv().
#pragma once

#include <ostream>
#include <string_view>

#include "rtlat/report/csv.hpp"
#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {

/// The header line, without its newline.
inline constexpr std::string_view samples_csv_header =
    "pid,tgid,comm,metric,start_ns,end_ns,value_ns,cpu,violation";

/// Effects: writes one row for `s`, ending in a newline, in samples_csv_header's columns. The
/// stream's state is not checked. Complexity: O(comm). Throws: std::bad_alloc; whatever `os`
/// throws when its exceptions are enabled.
inline void write_csv_sample(std::ostream& os, const Sample& s) {
  os << s.pid << ',';
  if (s.tgid >= 0) os << s.tgid;
  os << ',';
  detail::csv_quoted(os, s.comm.view());
  os << ',' << metric_name(s.metric) << ',' << s.start_ns << ',' << s.end_ns << ',' << s.value_ns
     << ',' << s.cpu << ',' << (s.violation ? "true" : "false") << '\n';
}

}  // namespace v1
}  // namespace rtlat
