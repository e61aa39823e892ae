/// @file
/// What a source knows about its input, beside the events themselves; and the Source concept
/// every source (TextSource, TraceDatSource, FileSource) models.
///
/// ## The Source concept
///
/// A source is a class `S` with
///
/// - `const SourceInfo& info() const`: what it knows about its input (see SourceInfo);
/// - `template <class Sink> void read(Sink& sink)`: streams the input's events, in time order,
///   into `sink` (sink.hpp), calling `sink.task_info()` for what it learns outside the event
///   stream, on the calling thread unless the source says otherwise.
///
/// Every source behaves the same:
///
/// - errors are InputError and name the file (SourceInfo::name) and the place in it; events
///   before the error were delivered;
/// - SourceInfo::events and SourceInfo::skipped: TextSource counts one read() (they restart at
///   0); TraceDatSource and LiveSource add each read() to what the earlier ones counted;
/// - SourceInfo::cpus is known before the first event when the input says it (trace.dat
///   headers); otherwise it is complete after read() and the engine grows its tables as CPUs
///   appear.
///
/// rtlat::analyze() reads any source into an engine. Sources are not thread-safe: one thread at a
/// time uses one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace rtlat {
inline namespace v1 {

/// What a source knows about its input (Source::info()). Analyzer::set_source() takes it.
struct SourceInfo {
  std::string name;    ///< the file path as given, "-" for stdin; errors and Results use it
  std::string format;  ///< for people, e.g. "trace-cmd report text", "trace.dat v7 (zstd)"
  int cpus = 0;        ///< the CPUs the trace covers; 0 until known
  std::string arch;    ///< uname -m of the traced machine: "x86_64", "aarch64", ...; empty when
                       ///< unknown (it decides which syscall numbers are timer sleeps)
  /// Whether the trace recorded syscall events (raw_syscalls or syscalls formats): then
  /// hrtimer_start markers do not count. Known from recorded event formats (trace.dat); empty
  /// for text input, where the first syscall event decides.
  std::optional<bool> syscall_events_recorded;
  /// Whether the trace recorded irq_threaded_handler events: if not, irq is derived from
  /// scheduler events. Known for trace.dat, empty for text (the first such event decides).
  std::optional<bool> irq_thread_events_recorded;
  /// Whether the trace recorded sched_wakeup: if not, sched_waking starts latency and response
  /// (Results::trace.waking_fallback). Known for trace.dat and live, empty for text (sched_waking
  /// counts until the first sched_wakeup appears; see Analyzer).
  std::optional<bool> wakeup_events_recorded;
  /// Whether the trace recorded timer:hrtimer_expire_entry, which places a timer's expiry on
  /// the trace clock whatever that clock is. Known for trace.dat, empty for text.
  std::optional<bool> hrtimer_expiry_recorded;
  /// Whether the trace clock is CLOCK_MONOTONIC ("mono"), the clock of sleep timers: only then
  /// can a requested expiry be compared with trace timestamps directly. Empty when unknown.
  std::optional<bool> clock_monotonic;
  std::uint64_t events = 0;   ///< events delivered to the sink by the last read()
  std::uint64_t skipped = 0;  ///< lines / records the last read() did not understand and skipped
};

}  // namespace v1
}  // namespace rtlat
