/// @file
/// The one call most embedders need: open a trace (trace.dat, text or stdin, detected by
/// content) and analyse it. Target rtlat::tracedat (header-only) or rtlat::compiled (the same
/// calls, defined once in a library: see linkage.hpp).
///
///     rtlat::Config cfg;
///     cfg.slo(rtlat::Metric::latency) = 50us;
///     rtlat::FileSource src = rtlat::open("trace.dat");
///     rtlat::Results r = rtlat::analyze(src, cfg);
#pragma once

#include "rtlat/detail/linkage.hpp"
#include "rtlat/open_options.hpp"

#if !defined(RTLAT_COMPILED) && !defined(RTLAT_COMPILED_SOURCE)
#include <string>

#include "rtlat/detail/drive.hpp"
#include "rtlat/detail/opened_file.hpp"

namespace rtlat {
inline namespace v1 {

/// A trace.dat or a text trace, whichever rtlat::open() found: a source (see source_info.hpp
/// for the Source concept) like TraceDatSource and TextSource, which it holds.
///
/// Neither copyable nor movable: rtlat::open() returns it by guaranteed copy elision
/// (`auto src = rtlat::open(path);`).
/// Reads with read(sink) or read_parallel(sink) (sink.hpp) and analyze() (drive.hpp).
///
/// Thread safety: none; one thread reads it.
using FileSource = detail::OpenedFile;

/// Effects: opens a trace for reading: a file starting with the trace.dat magic is a trace.dat,
/// anything else (a FIFO, a device, "-" from a pipe) is text; stdin redirected from a regular
/// file is probed like a file. No event is read yet. Complexity: a trace.dat's headers, event
/// formats and options are parsed here (O(metadata)); a text trace is only opened. Throws:
/// InputError naming the file. Thread safety: any thread may call it; the source it returns is
/// used by one thread at a time.
inline FileSource open(const std::string& path, const OpenOptions& opts = {}) {
  return FileSource(path, opts);
}

}  // namespace v1
}  // namespace rtlat

#else
// The compiled mode: the same calls, declared here and defined in the rtlat_compiled library
// (src/compiled.cpp), so that including this costs no more than the vocabulary.
#include <string>
#include <vector>

#include "rtlat/config.hpp"
#include "rtlat/detail/sink_ref.hpp"
#include "rtlat/error.hpp"
#include "rtlat/results.hpp"
#include "rtlat/source_info.hpp"

namespace rtlat {
inline namespace v1 {

class Analyzer;
namespace detail {
class OpenedFile;
}

/// A trace.dat or a text trace, whichever rtlat::open() found: a source (see source_info.hpp
/// for the Source concept) like TraceDatSource and TextSource, which it holds.
///
/// Movable, not copyable. read(sink) reaches `sink` through a function pointer per event; the
/// engine's own reads (analyze()) run inside the library without one.
///
/// Thread safety: none; one thread reads it.
class FileSource {
 public:
  /// Effects: opens `path` ("-" = stdin) as rtlat::open() does. Throws: InputError naming the
  /// file.
  explicit FileSource(const std::string& path, const OpenOptions& opts = {});
  FileSource(FileSource&&) noexcept;
  FileSource& operator=(FileSource&&) noexcept;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  ~FileSource();

  /// What the source knows (name as given, "-" for stdin); counts are those of the last read.
  const SourceInfo& info() const noexcept;
  /// True for a trace.dat.
  bool is_tracedat() const noexcept;
  /// Remarks that are not errors (a trace.dat's fallbacks and unparsable formats).
  const std::vector<std::string>& notes() const noexcept;

  /// Effects: streams every event into `sink` on the calling thread (sink.hpp). Throws:
  /// InputError naming the file; events before the error were delivered.
  template <class Sink>
  void read(Sink& sink) {
    read(detail::SinkRef::of(sink), false);
  }
  /// Effects: as read(), a text trace parsed on a second thread while `sink` runs on this one.
  template <class Sink>
  void read_parallel(Sink& sink) {
    read(detail::SinkRef::of(sink), true);
  }

 private:
  friend Results analyze(FileSource& src, Config config);
  friend Results analyze(FileSource& src, Analyzer& engine);
  void read(detail::SinkRef sink, bool parallel);
  // Owned; a raw pointer rather than std::unique_ptr so that this path does not need <memory>.
  detail::OpenedFile* file_;
};

/// Effects: opens a trace for reading: a file starting with the trace.dat magic is a trace.dat,
/// anything else (a FIFO, a device, "-" from a pipe) is text; stdin redirected from a regular
/// file is probed like a file. No event is read yet. Complexity: a trace.dat's headers, event
/// formats and options are parsed here (O(metadata)); a text trace is only opened. Throws:
/// InputError naming the file. Thread safety: any thread may call it; the source it returns is
/// used by one thread at a time.
FileSource open(const std::string& path, const OpenOptions& opts = {});

/// Effects: analyses `src` with an engine built from `config`, as the header-only
/// analyze(src, config) does (drive.hpp). Throws: InputError naming the file; whatever a
/// callback throws.
Results analyze(FileSource& src, Config config);
/// Effects: analyses `src` with `engine` (rtlat.hpp declares Analyzer), as the header-only
/// analyze(src, engine) does.
Results analyze(FileSource& src, Analyzer& engine);

}  // namespace v1
}  // namespace rtlat
#endif
