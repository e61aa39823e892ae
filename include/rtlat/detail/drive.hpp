/// @file
/// rtlat::analyze() over any source (analyze.hpp says how to call it): the engine learns what
/// the source knows, reads it, and returns its results. Header-only: the engine runs inline.
#pragma once

#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include "rtlat/detail/opened_file.hpp"
#include "rtlat/rtlat.hpp"
#include "rtlat/source/pipelined.hpp"
#include "rtlat/source/text.hpp"
#include "rtlat/source_info.hpp"

namespace rtlat {
inline namespace v1 {

namespace detail {
template <class Source, class Sink>
void read_source(Source& src, Sink& sink) {
  if constexpr (std::is_same_v<Source, OpenedFile>) {
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
