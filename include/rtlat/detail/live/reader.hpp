// Reading every CPU's ring buffer of a live instance and merging the CPUs in time order.
//
// The merge never makes a latency up: an event is delivered only when every CPU has been read
// past its timestamp, so no CPU can still hold an older one. A round of reading takes the time T
// (CLOCK_MONOTONIC, the instance's trace clock "mono") and then reads each CPU until its buffer is
// empty or a round's page limit is reached. A CPU read empty after T holds no event committed
// before T; an event is reserved (its timestamp taken) shortly before it is committed, so the CPU
// is known to be complete up to T - commit_margin. A CPU that hit the page limit is complete up to
// its last event read. Events up to the smallest of these per-CPU marks are delivered; the others
// wait for the next round. An idle CPU therefore holds nothing back: being read empty moves its
// mark to the present. No event waits longer than one poll period plus commit_margin (plus the
// time to read the busy CPUs).
#pragma once

#include <time.h>
#include "rtlat/detail/live/tracefs_api.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "rtlat/detail/live/decode.hpp"
#include "rtlat/detail/live/instance.hpp"
#include "rtlat/detail/live/tracedat_file.hpp"
#include "rtlat/event.hpp"
#include "rtlat/sink.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {
namespace live {

inline std::int64_t monotonic_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// Between an event's timestamp and its commit there are only the few instructions of the write,
// unless an interrupt nests there; this is far more than that takes.
inline constexpr std::int64_t commit_margin_ns = 2000000;

struct CpuTotals {
  std::uint64_t pages = 0, bytes = 0, events = 0;
  std::uint64_t lost_in_pages = 0;  // counts the pages' missed-events flags carried
  std::uint64_t lost_markers = 0;   // pages flagged (count stored or not)
  std::uint64_t lost_in_stats = 0;  // overrun + commit overrun + dropped, from per_cpu stats
};

class CpuReaders {
 public:
  // Opens every CPU's trace_pipe_raw of `inst` (CPUs without one, offline ones, are left out).
  CpuReaders(const Instance& inst, int cpus) {
    for (int c = 0; c < cpus; ++c) {
      tracefs_cpu* t = tracefs_cpu_open(inst.get(), c, true);
      if (t == nullptr) continue;
      Cpu cpu;
      cpu.cpu = c;
      cpu.tcpu = t;
      cpus_.push_back(std::move(cpu));
    }
    if (cpus_.empty())
      throw LiveError("cannot open any per_cpu/cpuN/trace_pipe_raw of " + inst.name() + ": " +
                      std::strerror(errno));
    page_size_ = static_cast<std::size_t>(tracefs_cpu_read_size(cpus_.front().tcpu));
    if (page_size_ == 0 || page_size_ > (1u << 24)) page_size_ = 4096;
    page_.resize(page_size_);
    for (Cpu& c : cpus_) c.pages.reserve(max_pages_per_round * page_size_);
  }
  CpuReaders(const CpuReaders&) = delete;
  CpuReaders& operator=(const CpuReaders&) = delete;
  ~CpuReaders() { close(); }

  // Closes the trace_pipe_raw files (the instance cannot be removed while they are open).
  void close() noexcept {
    for (Cpu& c : cpus_)
      if (c.tcpu != nullptr) {
        tracefs_cpu_close(c.tcpu);
        c.tcpu = nullptr;
      }
  }

  std::size_t page_size() const noexcept { return page_size_; }
  static constexpr std::size_t max_pages_per_round = 512;
  std::size_t batch_bytes() const noexcept { return max_pages_per_round * page_size_; }

  // One round: reads the CPUs, decodes into their queues, hands each page to `save` (may be
  // null). `monotonic`: the trace clock is CLOCK_MONOTONIC. `drain`: tracing is off, read all.
  // Returns true when some CPU still had pages left (read again without sleeping).
  bool read_round(PageDecoder& dec, Saver* save, bool monotonic, bool drain) {
    const std::int64_t t = monotonic_ns();
    bool more = false;
    for (Cpu& c : cpus_) {
      c.pages.clear();
      bool empty = false;
      while (c.pages.size() < max_pages_per_round * page_size_) {
        const int n = tracefs_cpu_read(c.tcpu, page_.data(), true);
        if (n <= 0) {
          if (n < 0 && errno == EINTR) continue;
          empty = true;
          break;
        }
        // A partial read still is a whole page to the decoder: the rest is unused.
        std::memset(page_.data() + n, 0, page_size_ - static_cast<std::size_t>(n));
        c.pages.insert(c.pages.end(), page_.begin(), page_.end());
      }
      if (!empty) more = true;
      c.totals.pages += c.pages.size() / page_size_;
      c.totals.bytes += c.pages.size();
      if (save != nullptr && !c.pages.empty()) save->page(c.cpu, c.pages.data(), c.pages.size());
      const std::size_t before = c.queue.size();
      dec.decode(c.cpu, c.pages.data(), c.pages.size(), c.queue);
      for (std::size_t i = before; i < c.queue.size(); ++i) {
        const Event& e = c.queue[i];
        if (e.kind == EventKind::lost_events) {
          ++c.totals.lost_markers;
          c.totals.lost_in_pages += e.lost.count;
        }
        if (e.ts > latest_) latest_ = e.ts;
      }
      if (c.queue.size() > c.head) c.mark = std::max(c.mark, c.queue.back().ts);
      if (empty) {
        // Without a clock shared with user space, the latest event read anywhere stands in for
        // the present; with it the mark is exact (see the top of this file).
        const Timestamp now = monotonic && !drain ? t - commit_margin_ns : latest_;
        if (drain)
          c.mark = std::numeric_limits<Timestamp>::max();
        else
          c.mark = std::max(c.mark, now);
      }
    }
    return more;
  }

  // Delivers, in (timestamp, cpu) order, every queued event no CPU can still precede. Returns the
  // number delivered.
  template <class Sink>
  std::uint64_t release(Sink& sink) {
    Timestamp limit = std::numeric_limits<Timestamp>::max();
    for (const Cpu& c : cpus_) limit = std::min(limit, c.mark);
    std::uint64_t n = 0;
    for (;;) {
      Cpu* best = nullptr;
      const Event* second = nullptr;
      for (Cpu& c : cpus_) {
        if (c.head >= c.queue.size()) continue;
        const Event& h = c.queue[c.head];
        if (h.ts > limit) continue;
        if (best == nullptr || before(h, best->queue[best->head])) {
          if (best != nullptr) second = &best->queue[best->head];
          best = &c;
        } else if (second == nullptr || before(h, *second)) {
          second = &h;
        }
      }
      if (best == nullptr) break;
      // Feed the earliest CPU until another one's head comes first.
      do {
        const Event& e = best->queue[best->head++];
        sink_feed(sink, e);
        last_ = e.ts;
        ++best->totals.events;
        ++n;
      } while (best->head < best->queue.size() && best->queue[best->head].ts <= limit &&
               (second == nullptr || before(best->queue[best->head], *second)));
    }
    for (Cpu& c : cpus_) {
      if (c.head == 0) continue;
      c.queue.erase(c.queue.begin(), c.queue.begin() + static_cast<std::ptrdiff_t>(c.head));
      c.head = 0;
    }
    return n;
  }

  // After the last round: per-CPU stats counts the pages did not carry become lost markers, at
  // the end (where they can no longer be placed exactly, they still end every interval open).
  template <class Sink>
  std::uint64_t account_stats(const Instance& inst, Sink& sink) {
    std::uint64_t n = 0;
    for (Cpu& c : cpus_) {
      c.totals.lost_in_stats = inst.lost_in_stats(c.cpu);
      if (c.totals.lost_in_stats > c.totals.lost_in_pages) {
        sink_feed(sink, Event::make_lost(last_, static_cast<std::uint16_t>(c.cpu),
                                         c.totals.lost_in_stats - c.totals.lost_in_pages));
        ++n;
      }
    }
    return n;
  }

  // Lost events so far: the pages' counts, or the stats' when higher (read every `interval`).
  std::uint64_t lost(const Instance* inst) {
    std::uint64_t total = 0;
    for (Cpu& c : cpus_) {
      if (inst != nullptr) c.totals.lost_in_stats = inst->lost_in_stats(c.cpu);
      total += std::max(c.totals.lost_in_pages, c.totals.lost_in_stats);
    }
    return total;
  }

  Timestamp last_delivered() const noexcept { return last_; }
  Timestamp release_mark() const noexcept {
    Timestamp limit = std::numeric_limits<Timestamp>::max();
    for (const Cpu& c : cpus_) limit = std::min(limit, c.mark);
    return limit;
  }
  CpuTotals totals() const {
    CpuTotals t;
    for (const Cpu& c : cpus_) {
      t.pages += c.totals.pages;
      t.bytes += c.totals.bytes;
      t.events += c.totals.events;
      t.lost_in_pages += c.totals.lost_in_pages;
      t.lost_markers += c.totals.lost_markers;
      t.lost_in_stats += c.totals.lost_in_stats;
    }
    return t;
  }

 private:
  struct Cpu {
    int cpu = 0;
    tracefs_cpu* tcpu = nullptr;
    std::vector<unsigned char> pages;  // this round's
    std::vector<Event> queue;          // decoded, not yet delivered, from `head`
    std::size_t head = 0;
    Timestamp mark = std::numeric_limits<Timestamp>::min();  // complete up to here
    CpuTotals totals;
  };
  static bool before(const Event& a, const Event& b) noexcept {
    return a.ts != b.ts ? a.ts < b.ts : a.cpu < b.cpu;
  }

  std::vector<Cpu> cpus_;
  std::size_t page_size_ = 4096;
  std::vector<unsigned char> page_;
  Timestamp latest_ = std::numeric_limits<Timestamp>::min();
  Timestamp last_ = 0;
};

}  // namespace live
}  // namespace detail
}  // namespace v1
}  // namespace rtlat
