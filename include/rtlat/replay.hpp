/// @file
/// A trace loaded once into memory and replayed into any sink any number of times: for
/// benchmarking metric engines (rtlat::Analyzer or your own) without measuring the decoder.
/// Core (rtlat::rtlat): standard library only, C++17.
///
///     rtlat::FileSource src = rtlat::open("trace.dat");         // <rtlat/analyze.hpp>
///     const rtlat::ReplayBuffer buf = rtlat::ReplayBuffer::load(src);
///     for (int i = 0; i < 10; ++i) {
///       rtlat::Analyzer engine;
///       engine.set_source(buf.info());
///       buf.replay(engine);                                      // memory speed
///     }
///
/// A ReplayBuffer is itself a source (source_info.hpp), so `rtlat::analyze(buf, engine)` gives
/// the same Results as analysing the file directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "rtlat/event.hpp"
#include "rtlat/sink.hpp"
#include "rtlat/source_info.hpp"

namespace rtlat {
inline namespace v1 {

namespace detail {
struct NullSink {
  void feed(const Event&) noexcept {}
};
template <class S, class = void>
struct has_read_parallel : std::false_type {};
template <class S>
struct has_read_parallel<
    S, std::void_t<decltype(std::declval<S&>().read_parallel(std::declval<NullSink&>()))>>
    : std::true_type {};
}  // namespace detail

/// The events and task infos of one read of a source, in the order the source gave them, and
/// the source's SourceInfo: a sink while it is being filled, a source when it is replayed.
///
/// Events are stored by value (64 bytes each) in fixed chunks, so loading never copies what it
/// already holds and the buffer is never more than one chunk larger than its events. Task infos
/// are kept with their position in the event stream, so a replay calls task_info() between the
/// same two events as the source did.
///
/// Memory: bytes() = events x 64 bytes, rounded up to a chunk, plus the task infos.
///
/// Thread safety: filling (feed(), task_info(), load(), clear()) needs exclusive access;
/// replay(), read() and the accessors only read, so any number of threads may replay one
/// buffer into their own sinks at once.
class ReplayBuffer {
 public:
  /// Events per chunk (1 MiB of events): large enough that a replay's inner loop is a plain
  /// array walk, small enough that the unused tail of the last chunk does not matter.
  static constexpr std::size_t chunk_events = 16384;

  /// Effects: an empty buffer (no event, default SourceInfo). Throws: nothing.
  ReplayBuffer() noexcept = default;
  /// Movable (O(1), the events are not copied); not copyable, since a copy of a large trace
  /// is rarely what was meant.
  ReplayBuffer(ReplayBuffer&&) noexcept = default;
  /// Move assignment: as the move constructor.
  ReplayBuffer& operator=(ReplayBuffer&&) noexcept = default;
  ReplayBuffer(const ReplayBuffer&) = delete;
  ReplayBuffer& operator=(const ReplayBuffer&) = delete;

  /// Effects: reads `src` (any source: `info()` and `read(sink)`; FileSource::read_parallel()
  /// when the source has it, as rtlat::analyze() does) once into a new buffer, and keeps its
  /// SourceInfo as it is after the read. Complexity: one read of the source, O(events) memory.
  /// Throws: whatever the source throws (InputError naming the file), std::bad_alloc; nothing
  /// is returned then. Thread safety: as the source's read().
  template <class Source>
  static ReplayBuffer load(Source& src) {
    ReplayBuffer b;
    if constexpr (detail::has_read_parallel<Source>::value)
      src.read_parallel(b);
    else
      src.read(b);
    b.info_ = src.info();
    return b;
  }

  /// Effects: appends `e` (the sink interface, used while loading). Complexity: O(1); a new
  /// chunk every chunk_events events. Throws: std::bad_alloc (the buffer is unchanged then).
  void feed(const Event& e) {
    if (size_ % chunk_events == 0) add_chunk();
    chunks_.back()[size_ % chunk_events] = e;
    ++size_;
  }
  /// Effects: appends `info` at the current position of the event stream (the sink interface).
  /// Complexity: O(1) amortised. Throws: std::bad_alloc (the buffer is unchanged then).
  void task_info(const TaskInfo& info) { infos_.push_back(Placed{size_, info}); }

  /// Effects: gives `sink` (sink.hpp) every event with feed() and every task info with
  /// task_info() (when the sink has that member), in the order they were recorded. The
  /// SourceInfo is not given: call `set_source(info())` on an Analyzer first. Complexity:
  /// O(events + task infos), no allocation. Throws: whatever the sink throws (the replay stops
  /// there). Thread safety: const; see the class.
  template <class Sink>
  void replay(Sink& sink) const {
    std::uint64_t done = 0;
    for (const Placed& p : infos_) {
      feed_range(sink, done, p.at);
      sink_task_info(sink, p.info);
      done = p.at;
    }
    feed_range(sink, done, size_);
  }
  /// The Source concept (source_info.hpp): the same as replay(), so rtlat::analyze(buffer,
  /// engine) works like on any source and gives the Results of the original read.
  template <class Sink>
  void read(Sink& sink) const {
    replay(sink);
  }

  /// What the source knew after it was read (its name, format, CPUs, what it recorded, its
  /// event and skipped counts); for Analyzer::set_source(). Default-constructed when the buffer
  /// was filled by hand.
  const SourceInfo& info() const noexcept { return info_; }
  /// Effects: replaces the SourceInfo (for a buffer filled by feed() rather than load()).
  /// Throws: std::bad_alloc only.
  void set_info(SourceInfo info) { info_ = std::move(info); }

  /// The number of events held. Complexity: O(1).
  std::uint64_t size() const noexcept { return size_; }
  /// True when no event is held.
  bool empty() const noexcept { return size_ == 0; }
  /// The number of task infos held. Complexity: O(1).
  std::size_t task_infos() const noexcept { return infos_.size(); }
  /// The i-th event (i < size()), as recorded. Complexity: O(1). Throws: nothing.
  const Event& operator[](std::uint64_t i) const noexcept {
    return chunks_[static_cast<std::size_t>(i / chunk_events)][i % chunk_events];
  }
  /// The memory the buffer holds for events and task infos, in bytes (allocated capacity, not
  /// only what is used). Complexity: O(1).
  std::size_t bytes() const noexcept {
    return chunks_.size() * chunk_events * sizeof(Event) + chunks_.capacity() * sizeof(Chunk) +
           infos_.capacity() * sizeof(Placed);
  }

  /// Effects: drops every event and task info and frees their memory; the SourceInfo is kept.
  /// Complexity: O(chunks). Throws: nothing.
  void clear() noexcept {
    chunks_.clear();
    chunks_.shrink_to_fit();
    infos_.clear();
    infos_.shrink_to_fit();
    size_ = 0;
  }

 private:
  using Chunk = std::unique_ptr<Event[]>;
  struct Placed {
    std::uint64_t at;  // events recorded before it
    TaskInfo info;
  };

  // A failed allocation (the chunk or the list's growth) leaves the buffer as it was.
  void add_chunk() { chunks_.push_back(Chunk(new Event[chunk_events])); }
  // Events [from, to).
  template <class Sink>
  void feed_range(Sink& sink, std::uint64_t from, std::uint64_t to) const {
    while (from < to) {
      const Event* chunk = chunks_[static_cast<std::size_t>(from / chunk_events)].get();
      const std::uint64_t off = from % chunk_events;
      const std::uint64_t end = chunk_events - off < to - from ? chunk_events : off + (to - from);
      for (std::uint64_t i = off; i < end; ++i) sink_feed(sink, chunk[i]);
      from += end - off;
    }
  }

  std::vector<Chunk> chunks_;
  std::vector<Placed> infos_;
  std::uint64_t size_ = 0;
  SourceInfo info_;
};

}  // namespace v1
}  // namespace rtlat
