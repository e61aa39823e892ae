// One buffer of a trace.dat read into a sink: its per-CPU streams, decoded on the calling thread
// or ahead by the decode pool (batch_plan.hpp decides), merged in time order (merge.hpp). Memory
// stays within one ReadBudget for the whole read.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "rtlat/detail/tracedat/batch_plan.hpp"
#include "rtlat/detail/tracedat/decode_pool.hpp"
#include "rtlat/detail/tracedat/merge.hpp"
#include "rtlat/detail/tracedat/meta.hpp"
#include "rtlat/detail/tracedat/stream.hpp"
#include "rtlat/event.hpp"
#include "rtlat/sink.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// Reads one buffer. `threads`: decoding workers besides the calling thread (-1: auto). Adds the
// events delivered to `events` as it goes (so it counts them up to an error too). `max_batch`
// caps the events a worker decodes per hand-off (tests make it small, to reuse every slot often).
class BufferRead {
 public:
  BufferRead(const TraceDatMeta& m, const File& file, const BufferRef& buf, int threads,
             std::uint64_t& events, std::size_t max_batch = BatchPlan::threaded_batch_events)
      : m_(m), file_(file), buf_(buf), threads_(threads), events_(events), max_batch_(max_batch) {}

  // Streams every event of the buffer's CPUs into `sink`, in time order. Throws InputError on
  // corrupt data (events before the error were delivered).
  template <class Sink>
  void run(Sink& sink) {
    ReadBudget budget;
    const BatchPlan plan(file_, buf_, threads_, max_batch_, budget);
    std::vector<std::unique_ptr<CpuStream>> streams;
    for (const auto& c : buf_.cpus)
      if (c.size != 0)
        streams.push_back(std::make_unique<CpuStream>(m_, file_, buf_, c, &budget, plan.live));
    if (plan.workers > 0)
      read_threaded(streams, plan, sink);
    else
      read_serial(streams, plan.batch, sink);
    unparsed_.assign(m_.decode.unparsed_formats, 0);
    for (const auto& st : streams) {
      skipped_ += st->skipped();
      for (std::size_t i = 0; i < unparsed_.size(); ++i) unparsed_[i] += st->unparsed()[i];
    }
  }

  std::uint64_t skipped() const noexcept { return skipped_; }  // records that were not events
  // Of those, the records of each unparsed format (EventDecoder::unparsed).
  const std::vector<std::uint64_t>& unparsed() const noexcept { return unparsed_; }

 private:
  template <class Sink>
  void read_serial(std::vector<std::unique_ptr<CpuStream>>& streams, std::size_t batch,
                   Sink& sink) {
    const std::size_t n = streams.size();
    std::vector<std::vector<Event>> batches(n, std::vector<Event>(batch));
    std::vector<const Event*> view(n);
    for (std::size_t i = 0; i < n; ++i) view[i] = batches[i].data();
    DecodeContext ctx;
    KWayMerge(events_).run<false>(
        n, view, [&](std::size_t i) { return streams[i]->fill(batches[i].data(), batch, ctx); },
        sink);
  }

  // A sink that takes views reads the pool's batches in place and keeps the batch before the
  // one it reads too: the events its history points at are then almost always still there when
  // a batch is freed, and few need copying (CpuHistory::retire). Before a batch's slot is reused
  // the sink copies what it still points at there, and all of it before the pool goes.
  template <class Sink>
  void read_threaded(std::vector<std::unique_ptr<CpuStream>>& streams, const BatchPlan& plan,
                     Sink& sink) {
    constexpr bool views = borrows_events<Sink>::value;
    DecodePool pool(streams, plan.workers, plan.batch, views ? 1 : 0);
    struct Release {
      Sink& sink;
      ~Release() {
        if constexpr (views) Views::release(sink);
      }
    } release{sink};
    const std::size_t n = streams.size();
    std::vector<const Event*> view(n);
    auto next_batch = [&](std::size_t i) {
      return pool.next(i, view[i],
                       [&]([[maybe_unused]] const Event* b, [[maybe_unused]] const Event* e) {
                         if constexpr (views) Views::retire(sink, b, e);
                       });
    };
    KWayMerge(events_).run<views>(n, view, next_batch, sink);
  }

  const TraceDatMeta& m_;
  const File& file_;
  const BufferRef& buf_;
  int threads_;
  std::uint64_t& events_;
  std::size_t max_batch_;
  std::uint64_t skipped_ = 0;
  std::vector<std::uint64_t> unparsed_;
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
