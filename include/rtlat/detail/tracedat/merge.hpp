// The per-CPU streams of one buffer merged into one time-ordered sequence (ties: lower CPU
// first), with worker threads decoding ahead when the data is large enough to pay for them.
// Memory stays within one ReadBudget for the whole read.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "rtlat/detail/tracedat/limits.hpp"
#include "rtlat/detail/tracedat/meta.hpp"
#include "rtlat/detail/tracedat/stream.hpp"
#include "rtlat/error.hpp"
#include "rtlat/event.hpp"
#include "rtlat/sink.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// The saved cmdlines ("pid comm" lines) as task_info, before any event.
template <class Sink>
void send_cmdlines(std::string_view s, Sink& sink) {
  while (!s.empty()) {
    const std::size_t nl = s.find('\n');
    std::string_view line = s.substr(0, nl);
    s = nl == std::string_view::npos ? std::string_view{} : s.substr(nl + 1);
    const std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos || sp == 0) continue;
    Pid pid = 0;
    bool ok = true;
    for (char c : line.substr(0, sp)) {
      if (c < '0' || c > '9' || pid > 100000000) {
        ok = false;
        break;
      }
      pid = pid * 10 + (c - '0');
    }
    if (!ok) continue;
    TaskInfo ti;
    ti.pid = pid;
    ti.comm = Comm::from(line.substr(sp + 1));
    sink_task_info(sink, ti);
  }
}

// Reads one buffer. `threads`: decoding workers besides the calling thread (-1: auto). Adds the
// events delivered to `events` as it goes (so it counts them up to an error too). `max_batch`
// caps the events a worker decodes per hand-off (tests make it small, to reuse every slot often).
class BufferMerge {
 public:
  static constexpr std::size_t threaded_batch_events = 4096;  // 256 KB: one hand-off per 4096
  static constexpr std::size_t min_threaded_batch = 256;

  BufferMerge(const TraceDatMeta& m, const File& file, const BufferRef& buf, int threads,
              std::uint64_t& events, std::size_t max_batch = threaded_batch_events)
      : m_(m), file_(file), buf_(buf), threads_(threads), events_(events), max_batch_(max_batch) {}

  // Streams every event of the buffer's CPUs into `sink`, in time order. Throws InputError on
  // corrupt data (events before the error were delivered).
  template <class Sink>
  void run(Sink& sink) {
    std::size_t live = 0;
    for (const auto& c : buf_.cpus) live += c.size != 0 ? 1 : 0;
    // Every buffer of this read comes out of one budget, whatever the CPU count and the sizes
    // the file claims: the event batches are sized to fit it first, the data buffers grow in it.
    ReadBudget budget;
    std::size_t workers = threads_ < 0 ? auto_workers(buf_) : static_cast<std::size_t>(threads_);
    workers = std::min({workers, live, max_workers});
    std::size_t batch = 0;
    if (workers > 0) {
      batch = batch_for(live, Channel::slots, std::max(max_batch_, min_threaded_batch),
                        min_threaded_batch);
      if (batch == 0) workers = 0;  // too many CPUs to decode ahead: one batch each
    }
    if (workers == 0) batch = batch_for(live, 1, batch_events, min_batch);
    if (batch == 0 && live != 0) budget_fail(buf_, live, "an event batch for each CPU");
    const std::uint64_t batch_bytes =
        std::uint64_t{live} * batch * sizeof(Event) * (workers > 0 ? Channel::slots : 1);
    if (!budget.take(batch_bytes)) budget_fail(buf_, live, "an event batch for each CPU");
    if (!buf_.compressed &&
        std::uint64_t{live} * (buf_.page_size + 8) > budget.limit() - budget.used())
      budget_fail(buf_, live, "a page for each CPU");
    std::vector<std::unique_ptr<CpuStream>> streams;
    for (const auto& c : buf_.cpus)
      if (c.size != 0)
        streams.push_back(std::make_unique<CpuStream>(m_, file_, buf_, c, &budget, live));
    if (workers > 0)
      merge_threaded(streams, workers, batch, sink);
    else
      merge(streams, batch, sink);
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
  static constexpr std::size_t batch_events = 512;
  static constexpr std::size_t min_batch = 16;
  static constexpr std::size_t max_workers = 64;
  // The part of the read budget the event batches may take; the data buffers get the rest.
  static constexpr std::uint64_t batch_budget = read_budget_bytes / 4;

  // The largest batch up to `most` events that lets `streams` x `slots` batches fit in
  // batch_budget, or 0 when not even `least` does. The merge gives the same sequence whatever
  // the batch size, so many CPUs only cost more hand-offs.
  static std::size_t batch_for(std::size_t streams, std::size_t slots, std::size_t most,
                               std::size_t least) {
    if (streams == 0) return most;
    const std::uint64_t fit = batch_budget / (std::uint64_t{streams} * slots * sizeof(Event));
    return fit < least ? 0 : static_cast<std::size_t>(std::min<std::uint64_t>(fit, most));
  }

  [[noreturn]] void budget_fail(const BufferRef& buf, std::size_t live, const char* what) const {
    throw InputError(
        file_.path(),
        buf.name.empty() ? std::string("cpu data") : "buffer \"" + buf.name + "\" cpu data",
        std::to_string(live) + " CPUs with data: " + what + " would exceed the reader's limit of " +
            byte_count(read_budget_bytes) + " (page size " + std::to_string(buf.page_size) + ")");
  }

  // Worker threads pay off only when there is enough data. One core is left to the calling
  // thread, which merges and feeds the sink, and decodes too whenever the workers fall behind.
  std::size_t auto_workers(const BufferRef& buf) const {
    std::uint64_t bytes = 0;
    for (const auto& c : buf.cpus) bytes += c.size;
    const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
    if (hw < 2 || bytes < (8u << 20)) return 0;
    return hw - 1;
  }

  // Heap of stream indices ordered by (head timestamp, cpu).
  struct Head {
    Timestamp ts;
    int cpu;
    std::size_t idx;
  };
  static bool later(const Head& a, const Head& b) noexcept {
    return a.ts != b.ts ? a.ts > b.ts : a.cpu > b.cpu;
  }

  template <class Sink>
  void merge(std::vector<std::unique_ptr<CpuStream>>& streams, std::size_t batch, Sink& sink) {
    const std::size_t n = streams.size();
    std::vector<std::vector<Event>> batches(n, std::vector<Event>(batch));
    std::vector<const Event*> view(n);
    for (std::size_t i = 0; i < n; ++i) view[i] = batches[i].data();
    DecodeContext ctx;
    merge_views<false>(
        n, view, [&](std::size_t i) { return streams[i]->fill(batches[i].data(), batch, ctx); },
        sink);
  }

  // Worker threads decode batches ahead into a small ring per stream; the calling thread merges
  // and feeds the sink. Worker w serves streams w, w + W, ... When the stream the merge needs has
  // no batch ready and no worker is filling it, the calling thread fills it itself instead of
  // sleeping: with one worker fewer than cores, the cores stay busy whichever side is behind
  // (decompression on one CPU's data, or the sink).
  struct Channel {
    // A sink that takes views keeps two batches (the one it reads and the one before, which its
    // history still points into) and leaves three to decode; a copying sink keeps one and leaves
    // four.
    static constexpr std::size_t slots = 5;
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
      c.tail = (slot + 1) % Channel::slots;
    }
  }

  template <class Sink>
  void merge_threaded(std::vector<std::unique_ptr<CpuStream>>& streams, std::size_t workers,
                      std::size_t batch, Sink& sink) {
    const std::size_t n = streams.size();
    std::vector<std::unique_ptr<Channel>> ch(n);
    for (auto& c : ch) {
      c = std::make_unique<Channel>();
      for (auto& b : c->batch) b.resize(batch);
    }
    // One decompression context per thread; the last one is the calling thread's.
    std::vector<DecodeContext> ctx(workers + 1);
    DecodeContext& own = ctx.back();
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> freed{0};  // bumped whenever the consumer frees a slot
    std::mutex wmu;
    std::condition_variable wcv;
    std::vector<std::thread> pool;
    struct Join {
      std::atomic<bool>& stop;
      std::mutex& wmu;
      std::condition_variable& wcv;
      std::vector<std::thread>& pool;
      ~Join() {
        stop.store(true);
        { std::lock_guard<std::mutex> lk(wmu); }
        wcv.notify_all();
        for (auto& t : pool) t.join();
      }
    } join{stop, wmu, wcv, pool};
    for (std::size_t w = 0; w < workers; ++w) {
      pool.emplace_back([&, w] {
        DecodeContext& mine = ctx[w];
        for (;;) {
          const std::uint64_t seen = freed.load();
          bool any_live = false, progressed = false;
          // The stream with the fewest batches ready is the one the merge will wait for first.
          std::size_t best = n, best_filled = Channel::slots;
          for (std::size_t i = w; i < n; i += workers) {
            Channel& c = *ch[i];
            std::lock_guard<std::mutex> lk(c.mu);
            if (c.done) continue;
            any_live = true;
            if (!c.busy && c.filled < best_filled) best = i, best_filled = c.filled;
          }
          if (stop.load(std::memory_order_relaxed)) return;
          if (best != n) {
            Channel& c = *ch[best];
            std::unique_lock<std::mutex> lk(c.mu);
            if (!c.done && !c.busy && c.filled < Channel::slots) {
              fill_slot(*streams[best], c, lk, mine);
              lk.unlock();
              c.cv.notify_one();
              progressed = true;
            }
          }
          if (!any_live) return;
          if (!progressed) {
            std::unique_lock<std::mutex> lk(wmu);
            wcv.wait(lk, [&] { return stop.load() || freed.load() != seen; });
            if (stop.load()) return;
          }
        }
      });
    }
    // The consumer reads a batch in place; its slot stays counted in `filled` (so no worker
    // writes it) until the consumer asks for the next one. A sink that takes views keeps the
    // batch before it too: the events its history points at are then almost always still there
    // when a batch is freed, and few need copying (CpuHistory::retire).
    constexpr bool views = takes_views<Sink>::value;
    constexpr std::size_t keep = views ? 1 : 0;  // batches kept after the one just read
    struct Release {  // the sink copies what it points at before the batches go
      Sink& sink;
      ~Release() {
        if constexpr (views) sink.release_views();
      }
    } release{sink};
    std::vector<const Event*> view(n);
    std::vector<std::size_t> held(n, 0);
    auto next_batch = [&](std::size_t i) -> std::size_t {
      Channel& c = *ch[i];
      const bool free_oldest = held[i] > keep;
      if constexpr (views) {
        if (free_oldest) {
          const Event* b = c.batch[c.head].data();
          sink.retire_views(b, b + c.count[c.head]);  // no worker writes a held slot
        }
      }
      std::unique_lock<std::mutex> lk(c.mu);
      if (free_oldest) {
        c.head = (c.head + 1) % Channel::slots;
        --c.filled;
        --held[i];
        freed.fetch_add(1);
        // A worker that is ahead sleeps with every queue full, and waking it costs this thread
        // a futex call (on a VM, an IPI) per batch: it is woken once a queue is half drained,
        // and then refills several batches in one go. Batches freed in between are still
        // counted, so a worker about to sleep sees them.
        if (c.filled - held[i] <= Channel::slots / 2) {
          { std::lock_guard<std::mutex> wl(wmu); }
          wcv.notify_all();
        }
      }
      while (c.filled == held[i] && !c.done) {
        if (!c.busy) {
          fill_slot(*streams[i], c, lk, own);
          continue;
        }
        // A worker is filling it: fill another stream meanwhile, one that will be needed soon.
        lk.unlock();
        bool helped = false;
        for (std::size_t j = 0; j < n && !helped; ++j) {
          if (j == i) continue;
          Channel& o = *ch[j];
          std::unique_lock<std::mutex> ol(o.mu);
          if (o.busy || o.done || o.filled >= Channel::slots || o.filled - held[j] >= 2) continue;
          fill_slot(*streams[j], o, ol, own);
          ol.unlock();
          o.cv.notify_one();
          helped = true;
        }
        lk.lock();
        if (!helped && c.filled == held[i] && !c.done && c.busy) c.cv.wait(lk);
      }
      if (c.filled == held[i]) {
        if (c.error) std::rethrow_exception(c.error);
        return 0;
      }
      const std::size_t slot = (c.head + held[i]) % Channel::slots;
      ++held[i];
      view[i] = c.batch[slot].data();
      return c.count[slot];
    };
    merge_views<views>(n, view, next_batch, sink);
  }

  // A batch was written by the thread that decoded it, usually on another core, and each event
  // fills a cache line: the hardware prefetcher does not follow two or more such streams well
  // enough, and the merge would wait on every line. Near the end of a batch there is nothing
  // ahead to fetch (the next batch is another buffer).
  static void prefetch_ahead(const Event* v, std::size_t p, std::size_t len) noexcept {
    constexpr std::size_t ahead = 16;
#if defined(__GNUC__)
    if (p + ahead < len) __builtin_prefetch(v + p + ahead);
#else
    (void)v, (void)p, (void)len;
#endif
  }

  // k-way merge of per-CPU batches. next_batch(i) refills view[i] and returns its length (0 at
  // the end of stream i). The earliest stream is fed until another one's head comes first, so
  // most events cost one comparison. Picking the earliest is a linear scan for up to 8 streams
  // (cheaper than a heap at that size: this machine's traces interleave CPUs event by event) and
  // a binary heap beyond.
  // With Views, the sink takes each event as a view (the batches outlive its use of them).
  template <bool Views, class Sink>
  static RTLAT_ALWAYS_INLINE void feed(Sink& sink, const Event& e) {
    if constexpr (Views) {
      sink.feed_view(e);
    } else {
      sink_feed(sink, e);
    }
  }

  template <bool Views, class Sink, class Next>
  void merge_views(std::size_t n, std::vector<const Event*>& view, Next&& next_batch, Sink& sink) {
    std::vector<std::size_t> pos(n, 0), len(n, 0);
    std::vector<Head> heads;  // live streams
    for (std::size_t i = 0; i < n; ++i) {
      len[i] = next_batch(i);
      if (len[i] != 0) heads.push_back({view[i][0].ts, view[i][0].cpu, i});
    }
    if (heads.size() == 2) {
      // The common case on small machines, and the hottest loop here: a plain two-way merge.
      std::size_t a = heads[0].idx, b = heads[1].idx;
      const Event* va = view[a];
      const Event* vb = view[b];
      std::size_t pa = 0, pb = 0, la = len[a], lb = len[b];
      for (;;) {
        const Event& x = va[pa];
        const Event& y = vb[pb];
        prefetch_ahead(va, pa, la);
        prefetch_ahead(vb, pb, lb);
        if (x.ts < y.ts || (x.ts == y.ts && x.cpu < y.cpu)) {
          feed<Views>(sink, x);
          if (++pa == la) {
            events_ += la;
            la = next_batch(a);
            va = view[a];
            pa = 0;
            if (la == 0) {
              std::swap(a, b), std::swap(va, vb), std::swap(pa, pb), std::swap(la, lb);
              break;
            }
          }
        } else {
          feed<Views>(sink, y);
          if (++pb == lb) {
            events_ += lb;
            lb = next_batch(b);
            vb = view[b];
            pb = 0;
            if (lb == 0) break;
          }
        }
      }
      // Stream `a` is what is left.
      heads.assign(1, Head{va[pa].ts, va[pa].cpu, a});
      pos[a] = pa;
      len[a] = la;
    }
    const bool use_heap = heads.size() > 8;
    if (use_heap) std::make_heap(heads.begin(), heads.end(), later);
    while (!heads.empty()) {
      // Take the earliest head out; `limit` is the earliest of the others.
      std::size_t best = 0;
      if (use_heap) {
        std::pop_heap(heads.begin(), heads.end(), later);
        best = heads.size() - 1;
      } else {
        for (std::size_t k = 1; k < heads.size(); ++k)
          if (later(heads[best], heads[k])) best = k;
      }
      const std::size_t i = heads[best].idx;
      bool others = heads.size() > 1;
      Head limit{0, 0, 0};
      if (others) {
        if (use_heap) {
          limit = heads.front();
        } else {
          bool first = true;
          for (std::size_t k = 0; k < heads.size(); ++k) {
            if (k == best) continue;
            if (first || later(limit, heads[k])) limit = heads[k];
            first = false;
          }
        }
      }
      const Event* v = view[i];
      std::size_t p = pos[i], l = len[i];
      for (;;) {
        prefetch_ahead(v, p, l);
        feed<Views>(sink, v[p]);
        if (++p == l) {
          events_ += l;
          l = next_batch(i);
          v = view[i];
          p = 0;
          if (l == 0) break;
        }
        const Event& h = v[p];
        if (others && (h.ts > limit.ts || (h.ts == limit.ts && h.cpu > limit.cpu))) break;
      }
      if (l == 0) {
        // Stream finished: drop it.
        if (use_heap) {
          heads.pop_back();
        } else {
          heads[best] = heads.back();
          heads.pop_back();
        }
      } else {
        pos[i] = p;
        len[i] = l;
        heads[best] = {v[p].ts, v[p].cpu, i};
        if (use_heap) std::push_heap(heads.begin(), heads.end(), later);
      }
    }
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
