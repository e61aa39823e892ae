// What a source knows about its input, beside the events themselves.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace rtlat {
inline namespace v1 {

struct SourceInfo {
  std::string name;    // the file path, "-" for stdin
  std::string format;  // e.g. "trace-cmd report text", "trace.dat v7 (zstd)"
  int cpus = 0;        // 0 until known
  std::string arch;    // "x86_64", "aarch64", ...; empty when unknown
  // Known from recorded event formats (trace.dat); unknown for text input.
  std::optional<bool> syscall_events_recorded;
  std::optional<bool> irq_thread_events_recorded;
  std::uint64_t events = 0;   // events delivered to the sink
  std::uint64_t skipped = 0;  // lines / records the source did not understand and skipped
};

}  // namespace v1
}  // namespace rtlat
