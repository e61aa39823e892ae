// Worker threads that decode per-CPU streams ahead, into a small ring of batches per stream,
// for one consumer that takes each stream's batches in order. When the stream the consumer needs
// has no batch ready and no worker is filling it, the consumer fills it itself instead of
// sleeping; when a worker is filling it, the consumer fills another stream meanwhile. With one
// worker fewer than cores, the cores stay busy whichever side is behind (decompression on one
// CPU's data, or what the consumer does with the events).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "rtlat/detail/tracedat/stream.hpp"
#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

class DecodePool {
 public:
  // Batches per stream. A consumer that keeps one batch after the one it reads leaves three to
  // decode ahead; one that keeps none leaves four.
  static constexpr std::size_t slots = 5;

  // Starts `workers` threads over `streams` (which must outlive the pool), each batch holding up
  // to `batch` events. Worker w serves streams w, w + workers, ...; `keep`: the batches of a
  // stream the consumer still holds after the one it reads (at most slots - 2).
  DecodePool(std::vector<std::unique_ptr<CpuStream>>& streams, std::size_t workers,
             std::size_t batch, std::size_t keep)
      : streams_(streams),
        keep_(keep),
        ch_(streams.size()),
        ctx_(workers + 1),
        held_(streams.size(), 0) {
    for (auto& c : ch_) {
      c = std::make_unique<Channel>();
      for (auto& b : c->batch) b.resize(batch);
    }
    try {
      for (std::size_t w = 0; w < workers; ++w)
        pool_.emplace_back([this, w, workers] { work(w, workers); });
    } catch (...) {
      stop_and_join();
      throw;
    }
  }
  DecodePool(const DecodePool&) = delete;
  DecodePool& operator=(const DecodePool&) = delete;
  ~DecodePool() { stop_and_join(); }

  // Points `view` at stream i's next batch and returns its length, 0 at the stream's end. The
  // batch stays in place (no worker writes it) until `keep` newer batches of stream i have been
  // handed out; before its slot goes back to the workers, retire(begin, end) is called on it.
  // Rethrows a decode error of stream i once its earlier batches are used up.
  template <class Retire>
  std::size_t next(std::size_t i, const Event*& view, Retire&& retire) {
    Channel& c = *ch_[i];
    std::size_t& held = held_[i];
    const bool free_oldest = held > keep_;
    if (free_oldest) {
      const Event* b = c.batch[c.head].data();
      retire(b, b + c.count[c.head]);  // no worker writes a held slot
    }
    std::unique_lock<std::mutex> lk(c.mu);
    if (free_oldest) {
      c.head = (c.head + 1) % slots;
      --c.filled;
      --held;
      freed_.fetch_add(1);
      // A worker that is ahead sleeps with every queue full, and waking it costs this thread
      // a futex call (on a VM, an IPI) per batch: it is woken once a queue is half drained,
      // and then refills several batches in one go. Batches freed in between are still
      // counted, so a worker about to sleep sees them.
      if (c.filled - held <= slots / 2) {
        { std::lock_guard<std::mutex> wl(wmu_); }
        wcv_.notify_all();
      }
    }
    while (c.filled == held && !c.done) {
      if (!c.busy) {
        fill_slot(*streams_[i], c, lk, ctx_.back());
        continue;
      }
      // A worker is filling it: fill another stream meanwhile, one that will be needed soon.
      lk.unlock();
      const bool helped = help(i);
      lk.lock();
      if (!helped && c.filled == held && !c.done && c.busy) c.cv.wait(lk);
    }
    if (c.filled == held) {
      if (c.error) std::rethrow_exception(c.error);
      return 0;
    }
    const std::size_t slot = (c.head + held) % slots;
    ++held;
    view = c.batch[slot].data();
    return c.count[slot];
  }

 private:
  // One stream's ring: the consumer reads slot `head`; its slot stays counted in `filled` (so no
  // worker writes it) until the consumer asks for the next one.
  struct Channel {
    std::mutex mu;
    std::condition_variable cv;  // a batch is ready or the stream ended
    std::vector<Event> batch[slots];
    std::size_t count[slots] = {};
    std::size_t head = 0, filled = 0;  // consumer reads slot `head`; `filled` slots are taken
    std::size_t tail = 0;              // the next slot to fill
    bool busy = false;                 // a thread is filling slot `tail`
    bool done = false;
    std::exception_ptr error;
  };

  // Fills the slot at c.tail from stream s; called with the lock held and c not busy. Marks c
  // busy and drops the lock while decoding; returns with the lock taken again, the batch
  // published (or the stream ended) and busy clear.
  static void fill_slot(CpuStream& s, Channel& c, std::unique_lock<std::mutex>& lk,
                        DecodeContext& ctx) {
    c.busy = true;
    const std::size_t slot = c.tail;
    lk.unlock();
    std::size_t got = 0;
    std::exception_ptr err;
    try {
      got = s.fill(c.batch[slot].data(), c.batch[slot].size(), ctx);
    } catch (...) {
      err = std::current_exception();
    }
    lk.lock();
    c.busy = false;
    if (err) {
      c.error = err;
      c.done = true;
    } else if (got == 0) {
      c.done = true;
    } else {
      c.count[slot] = got;
      ++c.filled;
      c.tail = (slot + 1) % slots;
    }
  }

  // The consumer, waiting on stream i, fills another stream that is short of batches.
  bool help(std::size_t i) {
    for (std::size_t j = 0; j < ch_.size(); ++j) {
      if (j == i) continue;
      Channel& o = *ch_[j];
      std::unique_lock<std::mutex> ol(o.mu);
      if (o.busy || o.done || o.filled >= slots || o.filled - held_[j] >= 2) continue;
      fill_slot(*streams_[j], o, ol, ctx_.back());
      ol.unlock();
      o.cv.notify_one();
      return true;
    }
    return false;
  }

  void work(std::size_t w, std::size_t workers) {
    const std::size_t n = ch_.size();
    DecodeContext& mine = ctx_[w];
    for (;;) {
      const std::uint64_t seen = freed_.load();
      bool any_live = false, progressed = false;
      // The stream with the fewest batches ready is the one the consumer will wait for first.
      std::size_t best = n, best_filled = slots;
      for (std::size_t i = w; i < n; i += workers) {
        Channel& c = *ch_[i];
        std::lock_guard<std::mutex> lk(c.mu);
        if (c.done) continue;
        any_live = true;
        if (!c.busy && c.filled < best_filled) best = i, best_filled = c.filled;
      }
      if (stop_.load(std::memory_order_relaxed)) return;
      if (best != n) {
        Channel& c = *ch_[best];
        std::unique_lock<std::mutex> lk(c.mu);
        if (!c.done && !c.busy && c.filled < slots) {
          fill_slot(*streams_[best], c, lk, mine);
          lk.unlock();
          c.cv.notify_one();
          progressed = true;
        }
      }
      if (!any_live) return;
      if (!progressed) {
        std::unique_lock<std::mutex> lk(wmu_);
        wcv_.wait(lk, [&] { return stop_.load() || freed_.load() != seen; });
        if (stop_.load()) return;
      }
    }
  }

  void stop_and_join() noexcept {
    stop_.store(true);
    { std::lock_guard<std::mutex> lk(wmu_); }
    wcv_.notify_all();
    for (auto& t : pool_) t.join();
    pool_.clear();
  }

  std::vector<std::unique_ptr<CpuStream>>& streams_;
  std::size_t keep_;
  std::vector<std::unique_ptr<Channel>> ch_;
  // One decompression context per thread; the last one is the consumer's.
  std::vector<DecodeContext> ctx_;
  std::vector<std::size_t> held_;  // batches of each stream handed out and not yet freed
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> freed_{0};  // bumped whenever the consumer frees a slot
  std::mutex wmu_;
  std::condition_variable wcv_;
  std::vector<std::thread> pool_;
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
