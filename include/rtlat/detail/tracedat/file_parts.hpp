// The names of a trace.dat's parts (trace-cmd.dat(5)) that the reader (meta.hpp) and the writer
// (writer.hpp) share: the option ids, the metadata blocks as the file stores them, and how a
// trace_clock text names its clock. The reader
// keeps only what it parses out of the blocks, unless asked for the blocks themselves
// (read_metadata_blocks, metadata.hpp); the writer and the tests' rewriter copy them whole.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rtlat {
inline namespace v1 {
namespace detail {

// The selected clock of a trace_clock text ("local global [mono]" -> "mono"); none when no
// name is bracketed.
inline std::optional<std::string_view> bracketed_clock(std::string_view trace_clock) {
  const std::size_t a = trace_clock.find('['), b = trace_clock.find(']');
  if (a == std::string_view::npos || b == std::string_view::npos || b < a) return std::nullopt;
  return trace_clock.substr(a + 1, b - a - 1);
}

// Option ids; also the section ids of v7 (rtlat's own tgid map is opt_rtlat_tgids, tgids.hpp).
enum : std::uint16_t {
  opt_done = 0,
  opt_date = 1,
  opt_cpustat = 2,
  opt_buffer = 3,
  opt_traceclock = 4,
  opt_uname = 5,
  opt_offset = 7,
  opt_cpucount = 8,
  opt_traceid = 11,
  opt_tsc2nsec = 14,
  opt_strings = 15,
  opt_header_info = 16,
  opt_ftrace_events = 17,
  opt_event_formats = 18,
  opt_kallsyms = 19,
  opt_printk = 20,
  opt_cmdlines = 21,
  opt_buffer_text = 22,
};

// The metadata a trace.dat holds before its ring-buffer data, as text and bytes stored in the
// file (numbers inside option data are in the file's byte order).
struct MetadataBlocks {
  std::string header_page, header_event;
  std::vector<std::string> ftrace_formats;
  std::vector<std::pair<std::string, std::vector<std::string>>> event_systems;  // per system
  std::string kallsyms, printk, cmdlines;
  // Options besides DONE, BUFFER, BUFFER_TEXT, CPUCOUNT, STRINGS, v7's section pointers and
  // v6's empty TRACECLOCK: the writer makes those from the layout and the buffers it writes
  // (STRINGS, which names the source file's sections, not at all).
  std::vector<std::pair<std::uint16_t, std::string>> options;
};

// Whether MetadataBlocks::options holds an option of this id (see there).
inline bool kept_in_blocks(std::uint16_t id) noexcept {
  return id != opt_done && id != opt_buffer && id != opt_buffer_text && id != opt_cpucount &&
         id != opt_strings && (id < opt_header_info || id > opt_cmdlines);
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
