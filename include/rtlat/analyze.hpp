/// @file
/// The one call most embedders need: open a trace (trace.dat, text or stdin, detected by
/// content) and analyse it. Target rtlat::tracedat.
///
///     rtlat::Config cfg;
///     cfg.slo(rtlat::Metric::latency) = 50us;
///     rtlat::FileSource src = rtlat::open("trace.dat");
///     rtlat::Results r = rtlat::analyze(src, cfg);
#pragma once

#include <sys/stat.h>

#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "rtlat/rtlat.hpp"
#include "rtlat/source/detect.hpp"
#include "rtlat/source/pipelined.hpp"
#include "rtlat/source/text.hpp"
#include "rtlat/source/tracedat.hpp"
#include "rtlat/source_info.hpp"

namespace rtlat {
inline namespace v1 {

/// How rtlat::open() reads what it finds.
struct OpenOptions {
  std::string buffer;  ///< trace.dat: the instance buffer to read ("" = the top one)
  std::string arch;    ///< text: syscall numbering ("" = this machine's); trace.dat says its own
  int decode_threads = -1;  ///< trace.dat: decode workers (-1 auto, 0 none, N workers)
};

/// A trace.dat or a text trace, whichever rtlat::open() found: a source (see source_info.hpp
/// for the Source concept) like TraceDatSource and TextSource, which it holds.
///
/// Neither copyable nor movable: rtlat::open() returns it by guaranteed copy elision
/// (`auto src = rtlat::open(path);`).
///
/// Thread safety: none; one thread reads it.
class FileSource {
 public:
  /// Effects: opens `path` ("-" = stdin) as rtlat::open() does. Throws: InputError naming the
  /// file for anything wrong with it (cannot open, corrupt trace.dat headers).
  explicit FileSource(const std::string& path, const OpenOptions& opts = {}) : name_(path) {
    const bool stdin_file = path == "-" && stdin_is_regular_file();
    if (path == "-" ? stdin_file && rtlat::is_tracedat("/dev/stdin") : rtlat::is_tracedat(path)) {
      TraceDatOptions o;
      o.buffer = opts.buffer;
      o.decode_threads = opts.decode_threads;
      named([&] { src_.emplace<TraceDatSource>(path == "-" ? "/dev/stdin" : path, o); });
    } else {
      TextOptions o;
      o.arch = opts.arch;
      src_.emplace<TextSource>(path, o);
    }
    refresh();
  }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  /// What the source knows (name as given, "-" for stdin); counts are those of the last read.
  const SourceInfo& info() const noexcept { return info_; }
  /// True for a trace.dat.
  bool is_tracedat() const noexcept { return std::holds_alternative<TraceDatSource>(src_); }
  /// Remarks that are not errors (a trace.dat's fallbacks and unparsable formats).
  const std::vector<std::string>& notes() const noexcept {
    static const std::vector<std::string> none;
    return is_tracedat() ? std::get<TraceDatSource>(src_).notes() : none;
  }

  /// Effects: streams every event into `sink` on the calling thread (sink.hpp). Throws:
  /// InputError naming the file; events before the error were delivered.
  template <class Sink>
  void read(Sink& sink) {
    named([&] { std::visit([&](auto& s) { read_into(s, sink); }, src_); });
    refresh();
  }

  /// Effects: as read(), but a text trace is parsed on a second thread while `sink` runs on
  /// this one (a trace.dat decodes on spare cores by itself). The sink sees the same sequence.
  template <class Sink>
  void read_parallel(Sink& sink) {
    named([&] {
      std::visit(
          [&](auto& s) {
            using S = std::decay_t<decltype(s)>;
            if constexpr (std::is_same_v<S, TextSource>) {
              if (std::thread::hardware_concurrency() > 1) return read_pipelined(s, sink);
            }
            read_into(s, sink);
          },
          src_);
    });
    refresh();
  }

 private:
  template <class S, class Sink>
  static void read_into(S& s, Sink& sink) {
    if constexpr (!std::is_same_v<S, std::monostate>) s.read(sink);
  }
  static bool stdin_is_regular_file() {
    struct stat st {};
    return ::fstat(0, &st) == 0 && S_ISREG(st.st_mode);
  }
  // A trace.dat on stdin is read as /dev/stdin, but the user named it "-".
  template <class F>
  void named(F&& f) {
    try {
      f();
    } catch (const InputError& e) {
      if (e.file() == "/dev/stdin" && name_ == "-") throw e.in_file("-");
      throw;
    }
  }
  void refresh() {
    std::visit(
        [&](const auto& s) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(s)>, std::monostate>)
            info_ = s.info();
        },
        src_);
    info_.name = name_;
  }

  std::string name_;
  std::variant<std::monostate, TextSource, TraceDatSource> src_;
  SourceInfo info_;
};

/// Effects: opens a trace for reading: a file starting with the trace.dat magic is a trace.dat,
/// anything else (a FIFO, a device, "-" from a pipe) is text; stdin redirected from a regular
/// file is probed like a file. No event is read yet. Complexity: a trace.dat's headers, event
/// formats and options are parsed here (O(metadata)); a text trace is only opened. Throws:
/// InputError naming the file. Thread safety: any thread may call it; the source it returns is
/// used by one thread at a time.
inline FileSource open(const std::string& path, const OpenOptions& opts = {}) {
  return FileSource(path, opts);
}

namespace detail {
template <class Source, class Sink>
void read_source(Source& src, Sink& sink) {
  if constexpr (std::is_same_v<Source, FileSource>) {
    src.read_parallel(sink);
  } else if constexpr (std::is_same_v<Source, TextSource>) {
    if (std::thread::hardware_concurrency() > 1)
      read_pipelined(src, sink);
    else
      src.read(sink);
  } else {
    src.read(sink);
  }
}
}  // namespace detail

namespace detail {
// A report on nothing must never pass a CI gate.
inline void require_events(const SourceInfo& info) {
  if (info.events != 0) return;
  throw InputError(info.name, "",
                   info.skipped == 0
                       ? "no trace events in the input"
                       : "no trace events recognized (" + std::to_string(info.skipped) +
                             " lines skipped): expected trace-cmd report or tracefs trace "
                             "text, or a trace.dat");
}

// The one path every analyze() takes: the engine learns what the source knows before and after
// reading, the engine's errors get the file's name, and an input without events is an error.
// `sink` is the engine itself or something that feeds it.
template <class Source, class Sink>
Results drive(Source& src, Analyzer& engine, Sink& sink) {
  try {
    engine.set_source(src.info());
    read_source(src, sink);
    engine.set_source(src.info());
  } catch (const InputError& e) {
    if (e.file().empty()) throw e.in_file(src.info().name);  // the engine does not know the file
    throw;
  }
  require_events(src.info());
  return engine.results();
}

// Feeds the engine, then an observer, with every event.
template <class Tap>
struct Tee {
  Analyzer& engine;
  Tap& tap;
  void feed(const Event& e) {
    engine.feed(e);
    sink_feed(tap, e);
  }
  void task_info(const TaskInfo& i) {
    engine.task_info(i);
    sink_task_info(tap, i);
  }
};
}  // namespace detail

/// Effects: streams `src` (any source: info() and read(sink)) through `engine`: tells it what
/// the source knows before and after reading, reads (text on a second thread when there is a
/// spare core), and returns its results. An input without a single event is an error, so a
/// report on nothing never passes a CI gate. Complexity: O(input size); memory bounded as
/// Analyzer and the source say, not by the input. Throws: InputError naming the file (the
/// engine's errors too); whatever a callback throws. Thread safety: the engine and its
/// callbacks run on the calling thread; the source may parse (text) or decode (trace.dat) on
/// other threads it starts and joins before returning. `src` and `engine` must not be used
/// elsewhere meanwhile.
template <class Source>
Results analyze(Source& src, Analyzer& engine) {
  return detail::drive(src, engine, engine);
}

/// Effects: as analyze(src, engine), and every event the source gives also goes to `tap` (a
/// sink, see sink.hpp), after the engine has seen it: for writers of the whole trace, or for
/// state the engine's callbacks consult (while the engine analyses an event, the tap has seen
/// every one before it). Events the engine drops as out of order reach the tap too.
template <class Source, class Tap>
Results analyze(Source& src, Analyzer& engine, Tap& tap) {
  detail::Tee<Tap> tee{engine, tap};
  return detail::drive(src, engine, tee);
}

/// Effects: as analyze(src, engine) with an engine built from `config` (its callbacks run
/// while the source is read).
template <class Source>
Results analyze(Source& src, Config config) {
  Analyzer engine(std::move(config));
  return analyze(src, engine);
}

}  // namespace v1
}  // namespace rtlat
