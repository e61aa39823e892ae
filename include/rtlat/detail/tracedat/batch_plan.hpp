// How one buffer is read within the reader's memory budget: how many decode workers, and how
// many events per batch, so that every CPU's batches (a ring of them per CPU with workers, one
// without) and a page per CPU fit in one ReadBudget, whatever the CPU count and the sizes the
// file claims.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>

#include "rtlat/detail/tracedat/decode_pool.hpp"
#include "rtlat/detail/tracedat/limits.hpp"
#include "rtlat/detail/tracedat/meta.hpp"
#include "rtlat/detail/tracedat/stream.hpp"
#include "rtlat/error.hpp"
#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

struct BatchPlan {
  static constexpr std::size_t threaded_batch_events = 4096;  // one hand-off per 4096 events
  static constexpr std::size_t min_threaded_batch = 256;
  static constexpr std::size_t batch_events = 512;
  static constexpr std::size_t min_batch = 16;
  static constexpr std::size_t max_workers = 64;
  // The part of the read budget the event batches may take; the data buffers get the rest.
  static constexpr std::uint64_t batch_budget = read_budget_bytes / 4;

  std::size_t live = 0;     // CPUs with data
  std::size_t workers = 0;  // decode threads besides the calling one
  std::size_t batch = 0;    // events per batch

  // The plan for `buf` with `threads` workers asked for (-1: auto) and batches of at most
  // `max_batch` events with workers; takes the batches' memory from `budget`. Throws InputError
  // when not even the smallest batches and a page per CPU fit.
  BatchPlan(const File& file, const BufferRef& buf, int threads, std::size_t max_batch,
            ReadBudget& budget) {
    for (const auto& c : buf.cpus) live += c.size != 0 ? 1 : 0;
    workers = threads < 0 ? auto_workers(buf) : static_cast<std::size_t>(threads);
    workers = std::min({workers, live, max_workers});
    if (workers > 0) {
      batch = batch_for(live, DecodePool::slots, std::max(max_batch, min_threaded_batch),
                        min_threaded_batch);
      if (batch == 0) workers = 0;  // too many CPUs to decode ahead: one batch each
    }
    if (workers == 0) batch = batch_for(live, 1, batch_events, min_batch);
    if (batch == 0 && live != 0) fail(file, buf, "an event batch for each CPU");
    const std::uint64_t batch_bytes =
        std::uint64_t{live} * batch * sizeof(Event) * (workers > 0 ? DecodePool::slots : 1);
    if (!budget.take(batch_bytes)) fail(file, buf, "an event batch for each CPU");
    if (!buf.compressed &&
        std::uint64_t{live} * (buf.page_size + 8) > budget.limit() - budget.used())
      fail(file, buf, "a page for each CPU");
  }

 private:
  // The largest batch up to `most` events that lets `streams` x `slots` batches fit in
  // batch_budget, or 0 when not even `least` does. The merge gives the same sequence whatever
  // the batch size, so many CPUs only cost more hand-offs.
  static std::size_t batch_for(std::size_t streams, std::size_t slots, std::size_t most,
                               std::size_t least) {
    if (streams == 0) return most;
    const std::uint64_t fit = batch_budget / (std::uint64_t{streams} * slots * sizeof(Event));
    return fit < least ? 0 : static_cast<std::size_t>(std::min<std::uint64_t>(fit, most));
  }

  // Worker threads pay off only when there is enough data. One core is left to the calling
  // thread, which merges and feeds the sink, and decodes too whenever the workers fall behind.
  static std::size_t auto_workers(const BufferRef& buf) {
    std::uint64_t bytes = 0;
    for (const auto& c : buf.cpus) bytes += c.size;
    const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
    if (hw < 2 || bytes < (8u << 20)) return 0;
    return hw - 1;
  }

  [[noreturn]] void fail(const File& file, const BufferRef& buf, const char* what) const {
    throw InputError(
        file.path(),
        buf.name.empty() ? std::string("cpu data") : "buffer \"" + buf.name + "\" cpu data",
        std::to_string(live) + " CPUs with data: " + what + " would exceed the reader's limit of " +
            byte_count(read_budget_bytes) + " (page size " + std::to_string(buf.page_size) + ")");
  }
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
