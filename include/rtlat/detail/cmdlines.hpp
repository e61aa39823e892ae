// The saved_cmdlines text ("PID COMM" lines), as tracefs gives it and as a trace.dat stores it:
// one parser for the trace.dat reader and the live source, which read the same kernel file.
#pragma once

#include <cstddef>
#include <string_view>

#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// A pid of 1 to 9 decimal digits (more would not fit a Pid), or -1.
inline long parse_decimal_pid(std::string_view s) noexcept {
  if (s.empty() || s.size() > 9) return -1;
  long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

// Calls f(pid, comm) for each well-formed line, in order; other lines are skipped, since a
// name is a hint and a bad line must not cost the trace.
template <class F>
void each_cmdline(std::string_view s, F&& f) {
  while (!s.empty()) {
    const std::size_t nl = s.find('\n');
    const std::string_view line = s.substr(0, nl);
    s = nl == std::string_view::npos ? std::string_view{} : s.substr(nl + 1);
    const std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos || sp == 0) continue;
    const long pid = parse_decimal_pid(line.substr(0, sp));
    if (pid >= 0) f(static_cast<Pid>(pid), line.substr(sp + 1));
  }
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
