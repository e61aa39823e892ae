/// @file
/// Text traces: the output of `trace-cmd report` (plugin formatting, `-R` raw fields, µs or `-t`
/// ns timestamps, `-l` latency format, `--ts-diff`) and the tracefs `trace` / `trace_pipe` files
/// (optional tgid and irq-flags columns).
///
///     rtlat::TextSource src("trace.txt");      // "-" reads stdin
///     src.read(analyzer);                      // streams: calls sink_feed / sink_task_info
///     src.info().skipped;                      // lines that were not understood
///
/// Input is read in 1 MiB chunks and parsed in place: memory does not grow with the file, and a
/// line costs no allocation and no regex. Lost-event lines ("CPU:1 [LOST 12 EVENTS]",
/// "CPU:1 [12 EVENTS DROPPED]") become Event::make_lost with the timestamp of the next event on
/// that CPU (the line precedes it; the loss happened before it), or with the last timestamp seen
/// when the input ends first.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rtlat/detail/text/input.hpp"
#include "rtlat/detail/text/parser.hpp"
#include "rtlat/error.hpp"
#include "rtlat/event.hpp"
#include "rtlat/prev_state.hpp"
#include "rtlat/sink.hpp"
#include "rtlat/source_info.hpp"
#include "rtlat/syscalls.hpp"

namespace rtlat {
inline namespace v1 {

/// How a TextSource reads what the text does not say.
struct TextOptions {
  /// The traced machine's uname -m, which decides the timer-sleep syscall numbers of raw
  /// sys_enter lines; empty: host_arch(), the machine this binary was built for.
  std::string arch;
  /// For raw (`trace-cmd report -R`) prev_state numbers: the kernel's preemption bit, instead of
  /// guessing it per value (PrevStateDecoder::from_format).
  std::optional<std::uint32_t> preempt_flag;
};

/// A source (source_info.hpp) reading a text trace from a file, stdin or a string.
///
/// CPUs are merged by timestamp in a bounded reorder window (a line printed far later than its
/// time reaches the engine as out of order). Memory: the read buffer (1 MiB, doubling for a
/// longer line up to 16 MiB) plus the reorder window; nothing grows with the file.
///
/// Thread safety: none; one thread at a time reads it (rtlat::analyze() may run read() on a
/// second thread while the engine runs on the first).
class TextSource {
 public:
  /// Effects: opens `path` ("-" = stdin, borrowed and never closed); nothing is read yet.
  /// Throws: InputError naming the file when it cannot be opened or is a directory.
  TextSource(std::string path, TextOptions opts = {}) : opts_(std::move(opts)) {
    file_ = detail::text::FileInput::open(path);
    init(std::move(path));
  }

  /// Effects: a source that parses `text` instead of a file; `name` is what errors and info()
  /// call it. Unlike a file it can be read more than once. Throws: std::bad_alloc only.
  static TextSource from_string(std::string name, std::string text, TextOptions opts = {}) {
    return TextSource(std::move(name), std::move(text), std::move(opts), InMemory{});
  }

  /// What the source knows: name and arch from the start; format, cpus (a "cpus=N" or "#P:N"
  /// header, else the highest CPU + 1), events and skipped are complete after read().
  const SourceInfo& info() const { return info_; }

  /// Effects: streams the whole input into `sink` (sink.hpp) on the calling thread: the events
  /// in time order (as far as the reorder window reaches), and a task_info per pid for the comm and
  /// tgid columns (again when one changes). A file or stdin is consumed by the first call.
  /// Complexity: O(input bytes); no allocation per line. Throws: InputError naming the file and
  /// line for a malformed line of a known event, an impossible CPU, time going backwards on a CPU,
  /// a read error, a line over 16 MiB, 16 MiB without an event line, or a trace.dat arriving
  /// through a pipe; an InputError from the sink without a file name gets this file and line;
  /// anything else the sink throws passes through. Events before the error were delivered.
  template <class Sink>
  void read(Sink& sink) {
    info_.events = 0;
    info_.skipped = 0;
    detail::text::Parser parser(info_, decoder_, sleeps_);
    try {
      if (in_memory_) {
        const std::string_view all(text_);
        std::size_t pos = 0;
        while (pos < all.size()) {
          std::size_t nl = all.find('\n', pos);
          if (nl == std::string_view::npos) nl = all.size();
          parser.line(all.substr(pos, nl - pos), sink);
          pos = nl + 1;
        }
      } else {
        stream(parser, sink);
      }
      parser.finish(sink);
    } catch (const InputError& e) {
      // The sink (an engine) does not know which file or line fed it.
      if (!e.file().empty()) throw;
      throw InputError(
          info_.name,
          e.where().empty() ? "line " + std::to_string(parser.line_number()) : e.where(),
          e.reason());
    }
  }

 private:
  struct InMemory {};
  static constexpr std::size_t chunk_size = std::size_t{1} << 20;
  static constexpr std::size_t max_line = std::size_t{16} << 20;

  TextSource(std::string name, std::string text, TextOptions opts, InMemory)
      : opts_(std::move(opts)), text_(std::move(text)), in_memory_(true) {
    init(std::move(name));
  }

  void init(std::string name) {
    info_.name = std::move(name);
    info_.arch = opts_.arch.empty() ? std::string(host_arch()) : opts_.arch;
    timer_sleep_syscalls_for(info_.arch, sleeps_);
    if (opts_.preempt_flag) {
      decoder_.preempt_flag = *opts_.preempt_flag;
      decoder_.from_format = true;
    }
  }

  template <class Sink>
  void stream(detail::text::Parser& parser, Sink& sink) {
    std::vector<char> buf(chunk_size);
    std::size_t have = 0;
    while (true) {
      const std::size_t n = file_.read(buf.data() + have, buf.size() - have, info_.name);
      if (n == 0) break;
      have += n;
      const char* const begin = buf.data();
      const char* const end = begin + have;
      const char* cur = begin;
      while (cur < end) {
        const void* nl = std::memchr(cur, '\n', static_cast<std::size_t>(end - cur));
        if (nl == nullptr) break;
        const char* const e = static_cast<const char*>(nl);
        parser.line(std::string_view(cur, static_cast<std::size_t>(e - cur)), sink);
        cur = e + 1;
      }
      const auto rest = static_cast<std::size_t>(end - cur);
      if (rest == buf.size()) {  // one line fills the buffer
        if (buf.size() >= max_line) {
          throw InputError(info_.name, "line " + std::to_string(parser.line_number() + 1),
                           "line longer than " + std::to_string(max_line >> 20) + " MiB");
        }
        buf.resize(buf.size() * 2);
      } else if (rest != 0 && cur != begin) {
        std::memmove(buf.data(), cur, rest);
      }
      have = rest;
    }
    if (have != 0) parser.line(std::string_view(buf.data(), have), sink);
  }

  TextOptions opts_;
  SourceInfo info_;
  PrevStateDecoder decoder_;
  TimerSleepSyscalls sleeps_;
  detail::text::FileInput file_;
  std::string text_;
  bool in_memory_ = false;
};

}  // namespace v1
}  // namespace rtlat
