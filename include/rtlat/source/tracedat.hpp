/// @file
/// trace.dat (trace-cmd file versions 6 and 7) as an rtlat event source. Target rtlat::tracedat.
///
///     rtlat::TraceDatSource src("trace.dat");
///     rtlat::Analyzer a;
///     src.read(a);  // saved cmdlines as task_info, then every event in time order
///
/// The constructor parses the headers, event formats and options; read() streams the per-CPU
/// ring-buffer pages, decompressing v7 chunks one at a time, and merges the CPUs by timestamp
/// (ties: lower CPU first). Memory stays bounded by a few chunks per CPU.
///
/// The stages live in rtlat/detail/tracedat/: metadata.hpp reads the metadata, decode_table.hpp
/// turns the event formats into a decode table, page.hpp decodes one ring-buffer page with it,
/// stream.hpp yields one CPU's events, buffer_read.hpp reads the CPUs (decode_pool.hpp) and
/// merges them (merge.hpp).
#pragma once

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "rtlat/detail/cmdlines.hpp"
#include "rtlat/detail/tracedat/buffer_read.hpp"
#include "rtlat/detail/tracedat/io.hpp"
#include "rtlat/detail/tracedat/meta.hpp"
#include "rtlat/detail/tracedat/metadata.hpp"
#include "rtlat/detail/tracedat/tgids.hpp"
#include "rtlat/error.hpp"
#include "rtlat/event.hpp"
#include "rtlat/sink.hpp"
#include "rtlat/source_info.hpp"

namespace rtlat {
inline namespace v1 {

/// How a TraceDatSource reads its file.
struct TraceDatOptions {
  std::string buffer;  ///< instance buffer name; empty = top buffer
  /// Threads that decompress and decode the per-CPU data while the calling thread merges the
  /// CPUs and feeds the sink: -1 = auto (workers when the data is large and there are spare
  /// cores), 0 = everything on the calling thread, N = N workers.
  int decode_threads = -1;
};

class TraceDatSource;

namespace detail {
// The parsed metadata and the open file, for the library's tools and tests: detail types, so
// not members of the public face.
inline const TraceDatMeta& tracedat_meta(const TraceDatSource& src) noexcept;
inline const File& tracedat_file(const TraceDatSource& src) noexcept;
}  // namespace detail

/// A trace.dat file, a source of the Source concept (source_info.hpp).
///
/// Thread safety: none; one thread reads it (read() starts its own decode workers).
class TraceDatSource {
 public:
  /// Effects: opens `path` and parses everything before the ring-buffer data; picks the buffer
  /// `opts.buffer`. Complexity: linear in the metadata, of which kallsyms is read only as far as
  /// the one symbol needed. Throws: InputError naming the file, the place and the problem (cannot
  /// open, corrupt or unsupported headers, no such buffer, a limit of the reader exceeded).
  explicit TraceDatSource(std::string path, TraceDatOptions opts = {})
      : file_(path), opts_(std::move(opts)) {
    m_.path = std::move(path);
    selected_ = &detail::MetadataReader(file_, m_).read(opts_.buffer);
    info_.name = m_.path;
    info_.format = "trace.dat v" + std::to_string(m_.version);
    if (selected_->compressed)
      info_.format += std::string(" (") + detail::compression_name(m_.compression) + ")";
    int cpus = m_.cpus;
    for (const auto& c : selected_->cpus) cpus = std::max(cpus, c.cpu + 1);
    info_.cpus = cpus;
    info_.arch = m_.arch;
    info_.syscall_events_recorded = m_.decode.syscall_events;
    info_.irq_thread_events_recorded = m_.decode.irq_thread_events;
    info_.wakeup_events_recorded = m_.decode.wakeup_events;
    notes_ = m_.notes;
    info_.hrtimer_expiry_recorded = m_.decode.hrtimer_expiry_events;
    if (!m_.clock.empty()) info_.clock_monotonic = m_.clock == "mono";
  }

  /// What the file says (format, CPU count, architecture, which events it recorded), and the
  /// events delivered and records skipped by read() so far.
  const SourceInfo& info() const noexcept { return info_; }
  /// Things worth telling the user that are not errors: fallbacks, known when the file is
  /// opened; after read(), the events skipped because their format could not be parsed (a
  /// format that cannot be parsed is not worth a note when none of its events occur).
  const std::vector<std::string>& notes() const noexcept { return notes_; }
  /// The instance buffers in the file ("" is the top buffer).
  std::vector<std::string> buffer_names() const {
    std::vector<std::string> v;
    for (const auto& b : m_.buffers) v.push_back(b.name);
    return v;
  }
  /// The trace clock the file names ("local", "global", ...; empty when it names none).
  const std::string& clock() const noexcept { return m_.clock; }

  /// Effects: streams everything into `sink` (sink.hpp): first a task_info per saved cmdline,
  /// then the events in time order. The tgids of an `rtlat live --save` file come as task_info
  /// too, each before the first event the live run had not delivered when it learned it.
  /// Complexity: linear in the data; memory bounded by a few chunks per CPU, whatever the file
  /// size. Throws: InputError on corrupt data (events before the error were delivered).
  template <class Sink>
  void read(Sink& sink) {
    static_assert(detail::has_feed<Sink>::value,
                  "TraceDatSource::read needs a sink with `void feed(const rtlat::Event&)`");
    // The saved cmdlines as task_info, before any event.
    detail::each_cmdline(m_.cmdlines, [&](Pid pid, std::string_view comm) {
      TaskInfo ti;
      ti.pid = pid;
      ti.comm = Comm::from(comm);
      sink_task_info(sink, ti);
    });
    const std::size_t first = detail::send_tgids_upto(m_.tgids, 0, 0, sink);
    detail::BufferRead merge(m_, file_, *selected_, opts_.decode_threads, info_.events);
    if (first == m_.tgids.size()) {
      merge.run(sink);
    } else {
      // Only rtlat live's own files learn tgids in the middle of the stream.
      detail::TgidFeeder<Sink> feeder(sink, m_.tgids, first);
      merge.run(feeder);
      feeder.finish();
    }
    info_.skipped += merge.skipped();
    unparsed_.resize(merge.unparsed().size());
    for (std::size_t i = 0; i < unparsed_.size(); ++i) unparsed_[i] += merge.unparsed()[i];
    note_unparsed();
  }

 private:
  friend const detail::TraceDatMeta& detail::tracedat_meta(const TraceDatSource&) noexcept;
  friend const detail::File& detail::tracedat_file(const TraceDatSource&) noexcept;
  // One note per unparsed format whose events occurred, the first few named, the rest counted.
  void note_unparsed() {
    constexpr std::size_t listed = 4;
    notes_ = m_.notes;
    std::uint64_t more_events = 0, more_formats = 0;
    for (std::size_t i = 0; i < unparsed_.size(); ++i) {
      const std::uint64_t n = unparsed_[i];
      if (n == 0) continue;
      if (notes_.size() - m_.notes.size() < listed) {
        notes_.push_back(std::to_string(n) + (n == 1 ? " event" : " events") +
                         " of unparsable format " + m_.failed_formats[i].what + " skipped");
      } else {
        more_events += n;
        ++more_formats;
      }
    }
    if (more_formats != 0)
      notes_.push_back(std::to_string(more_events) + (more_events == 1 ? " event" : " events") +
                       " of " + std::to_string(more_formats) + " more unparsable format" +
                       (more_formats == 1 ? "" : "s") + " skipped");
  }

  detail::File file_;
  TraceDatOptions opts_;
  detail::TraceDatMeta m_;
  const detail::BufferRef* selected_ = nullptr;
  SourceInfo info_;
  std::vector<std::string> notes_;
  std::vector<std::uint64_t> unparsed_;  // records skipped per unparsed format, all reads
};

namespace detail {
inline const TraceDatMeta& tracedat_meta(const TraceDatSource& src) noexcept {
  return src.m_;
}
inline const File& tracedat_file(const TraceDatSource& src) noexcept {
  return src.file_;
}
}  // namespace detail

}  // namespace v1
}  // namespace rtlat
