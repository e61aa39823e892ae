// The k-way merge of per-CPU event batches into one time-ordered sequence (ties: lower CPU
// first). Pure: it knows neither files nor threads. Where the batches come from (a decode on the
// calling thread, or the decode pool) is the caller's `next_batch`.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "rtlat/event.hpp"
#include "rtlat/sink.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

class KWayMerge {
 public:
  // Adds the events delivered to `events` as each batch is used up (so it counts them up to an
  // error too).
  explicit KWayMerge(std::uint64_t& events) noexcept : events_(events) {}

  // Feeds `sink` every event of the n streams in (ts, cpu) order. next_batch(i) points view[i]
  // at stream i's next batch and returns its length (0 at its end); it is called once to start
  // each stream and again whenever one is used up, and the batch it handed out before stays
  // valid until then. Each stream must be in time order. With Views, the sink takes each event
  // as a view (`feed_view`): the caller keeps the batches alive for as long as it promised.
  //
  // The earliest stream is fed until another one's head comes first, so most events cost one
  // comparison. Picking the earliest is a linear scan for up to 8 streams (cheaper than a heap at
  // that size: traces of small machines interleave CPUs event by event) and a binary heap beyond.
  template <bool Views, class Sink, class Next>
  void run(std::size_t n, std::vector<const Event*>& view, Next&& next_batch, Sink& sink) {
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

 private:
  // A stream's index by its head's (timestamp, cpu).
  struct Head {
    Timestamp ts;
    int cpu;
    std::size_t idx;
  };
  static bool later(const Head& a, const Head& b) noexcept {
    return a.ts != b.ts ? a.ts > b.ts : a.cpu > b.cpu;
  }

  template <bool Views, class Sink>
  static RTLAT_ALWAYS_INLINE void feed(Sink& sink, const Event& e) {
    if constexpr (Views) {
      detail::Views::feed(sink, e);
    } else {
      sink_feed(sink, e);
    }
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

  std::uint64_t& events_;
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
