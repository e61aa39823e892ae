// What a live session's trace.dat records besides the pages, harvested from tracefs and procfs:
// header_page and header_event, the formats of the events the instance enabled, the one
// kallsyms line the hrtimer marker needs, uname and the trace clock. The same metadata serves
// twice: as a version 6 file with no CPU data it is what the live decoder is built from
// (decode.hpp), and --save writes it with the pages (spool.hpp), so `rtlat report` and
// `trace-cmd report` read what the live run analysed. The pid -> tgid pairs the live source
// learns go in rtlat's own option (tracedat/tgids.hpp), which trace-cmd skips.
#pragma once

#include <sys/utsname.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "rtlat/detail/live/instance.hpp"
#include "rtlat/detail/tracedat/file_parts.hpp"
#include "rtlat/detail/tracedat/tgids.hpp"
#include "rtlat/detail/tracedat/writer.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {
namespace live {

// A session's metadata, and what only its options are made from.
struct SessionMeta {
  TraceDatLayout layout;  // page size, CPU count, trace_clock; version and compression per file
  MetadataBlocks blocks;  // no ftrace or printk formats: nothing here prints those events
  std::string uname;
  std::string tgids;  // "PID TGID EVENTS" lines (tracedat/tgids.hpp)
};

// The session as a file of `version` (7: zstd, as trace-cmd record writes; 6: uncompressed):
// its layout and its metadata with the options.
inline std::pair<TraceDatLayout, MetadataBlocks> session_file(const SessionMeta& m, int version) {
  std::pair<TraceDatLayout, MetadataBlocks> f{m.layout, m.blocks};
  f.first.version = version;
  f.first.compression = version == 6 ? Compression::none : Compression::zstd;
  auto& o = f.second.options;
  o.emplace_back(opt_uname, m.uname + std::string(1, '\0'));
  // v6: the writer stores the text after the CPU table, with the empty option that points there.
  if (version != 6) o.emplace_back(opt_traceclock, m.layout.trace_clock + "\n");
  if (!m.tgids.empty()) o.emplace_back(opt_rtlat_tgids, m.tgids);
  return f;
}

// The header the live decoder reads: the session as a version 6 file with no CPU data (the
// decoder reads v6 because it has no sections to index).
inline std::string session_header(const SessionMeta& m) {
  const auto [layout, blocks] = session_file(m, 6);
  return tracedat_bytes(layout, blocks);
}

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
inline SessionMeta session_meta(const Instance& inst, std::uint32_t page_size, int cpus) {
  SessionMeta m;
  m.layout.page_size = page_size;
  m.layout.cpus = cpus;
  MetadataBlocks& b = m.blocks;
  const std::string events = std::string(tracefs_tracing_dir()) + "/events/";
  b.header_page = read_text_file(events + "header_page");
  b.header_event = read_text_file(events + "header_event");
  for (const auto& [sys, ev] : inst.recorded().events) {
    auto it = b.event_systems.begin();
    while (it != b.event_systems.end() && it->first != sys) ++it;
    if (it == b.event_systems.end()) it = b.event_systems.insert(b.event_systems.end(), {sys, {}});
    std::string path = events;
    path.append(sys).append("/").append(ev).append("/format");
    it->second.push_back(read_text_file(path));
  }
  b.kallsyms = hrtimer_wakeup_line();
  utsname u{};
  ::uname(&u);
  m.uname = std::string(u.sysname) + " " + u.nodename + " " + u.release + " " + u.version + " " +
            u.machine;
  std::string& clock = m.layout.trace_clock;
  clock = inst.read("trace_clock");
  while (!clock.empty() && clock.back() == '\n') clock.pop_back();
  return m;
}

}  // namespace live
}  // namespace detail
}  // namespace v1
}  // namespace rtlat
