// What a live session's trace.dat records besides the pages, harvested from tracefs and procfs:
// header_page and header_event, the formats of the events the instance enabled, the one
// kallsyms line the hrtimer marker needs, uname and the trace clock.
#pragma once

#include <sys/utsname.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "rtlat/detail/live/instance.hpp"
#include "rtlat/detail/live/tracedat_file.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {
namespace live {

// The kallsyms line of hrtimer_wakeup ("" when kallsyms hides addresses).
inline std::string hrtimer_wakeup_line() {
  const std::string all = read_text_file("/proc/kallsyms");
  std::size_t at = 0;
  const std::string_view sym = " hrtimer_wakeup";
  while ((at = all.find(sym, at)) != std::string::npos) {
    const std::size_t end = at + sym.size();
    if (end == all.size() || all[end] == '\n' || all[end] == '\t' || all[end] == ' ') {
      const std::size_t start = all.rfind('\n', at);
      const std::size_t b = start == std::string::npos ? 0 : start + 1;
      const std::size_t e = all.find('\n', at);
      std::string line = all.substr(b, e == std::string::npos ? std::string::npos : e - b);
      if (line.compare(0, 16, "0000000000000000") == 0) return "";
      return line + "\n";
    }
    at = end;
  }
  return "";
}

// Reads the metadata of `inst` and of the events it enabled.
inline FileMeta file_meta(const Instance& inst, std::uint32_t page_size, int cpus) {
  FileMeta m;
  m.page_size = page_size;
  m.cpus = cpus;
  const std::string events = std::string(tracefs_tracing_dir()) + "/events/";
  m.header_page = read_text_file(events + "header_page");
  m.header_event = read_text_file(events + "header_event");
  for (const auto& [sys, ev] : inst.recorded().events) {
    auto it = m.systems.begin();
    while (it != m.systems.end() && it->first != sys) ++it;
    if (it == m.systems.end()) it = m.systems.insert(m.systems.end(), {sys, {}});
    std::string path = events;
    path.append(sys).append("/").append(ev).append("/format");
    it->second.push_back(read_text_file(path));
  }
  m.kallsyms = hrtimer_wakeup_line();
  utsname u{};
  ::uname(&u);
  m.uname = std::string(u.sysname) + " " + u.nodename + " " + u.release + " " + u.version + " " +
            u.machine;
  m.clock = inst.read("trace_clock");
  while (!m.clock.empty() && m.clock.back() == '\n') m.clock.pop_back();
  return m;
}

}  // namespace live
}  // namespace detail
}  // namespace v1
}  // namespace rtlat
