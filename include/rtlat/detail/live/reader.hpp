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
#include "rtlat/detail/live/spool.hpp"
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

// The time-ordered merge of the CPUs' queues, apart from how they are read: each CPU's events
// come with a mark, the time up to which that CPU is known to be complete, and only events no
// CPU's mark is behind are delivered. Ties go to the lower CPU, as in the trace.dat reader.
class Merge {
 public:
  explicit Merge(std::size_t cpus = 0) : q_(cpus) {}
  std::size_t cpus() const noexcept { return q_.size(); }
  std::vector<Event>& queue(std::size_t i) noexcept { return q_[i].events; }
  // CPU i is complete up to `t` (marks never move back).
  void mark(std::size_t i, Timestamp t) noexcept { q_[i].mark = std::max(q_[i].mark, t); }
  Timestamp mark_of(std::size_t i) const noexcept { return q_[i].mark; }
  // The earliest mark: everything up to it can be delivered.
  Timestamp limit() const noexcept {
    Timestamp l = std::numeric_limits<Timestamp>::max();
    for (const Q& q : q_) l = std::min(l, q.mark);
    return l;
  }
  std::size_t pending() const noexcept {
    std::size_t n = 0;
    for (const Q& q : q_) n += q.events.size() - q.head;
    return n;
  }

  // Delivers, in (timestamp, cpu) order, every queued event up to limit(); `each(i, e)` is called
  // before `e` of queue i goes to the sink. Returns how many.
  template <class Sink, class Each>
  std::uint64_t release(Sink& sink, Each&& each) {
    const Timestamp lim = limit();
    std::uint64_t n = 0;
    for (;;) {
      Q* best = nullptr;
      const Event* second = nullptr;
      for (Q& q : q_) {
        if (q.head >= q.events.size()) continue;
        const Event& h = q.events[q.head];
        if (h.ts > lim) continue;
        if (best == nullptr || before(h, best->events[best->head])) {
          if (best != nullptr) second = &best->events[best->head];
          best = &q;
        } else if (second == nullptr || before(h, *second)) {
          second = &h;
        }
      }
      if (best == nullptr) break;
      const std::size_t i = static_cast<std::size_t>(best - q_.data());
      // Feed the earliest CPU until another one's head comes first.
      do {
        const Event& e = best->events[best->head++];
        each(i, e);
        sink_feed(sink, e);
        ++n;
      } while (best->head < best->events.size() && best->events[best->head].ts <= lim &&
               (second == nullptr || before(best->events[best->head], *second)));
    }
    for (Q& q : q_) {
      if (q.head != 0) {
        q.events.erase(q.events.begin(), q.events.begin() + static_cast<std::ptrdiff_t>(q.head));
        q.head = 0;
      }
      // A burst (this CPU read rounds ahead of another's mark) leaves a queue with room for
      // many rounds. Once it has stayed mostly empty for a while, that room goes back, or a
      // run of days would keep the largest burst it ever met; waiting first keeps a steadily
      // busy queue from being shrunk and regrown every round.
      if (q.events.capacity() > keep_capacity && q.events.size() * 4 < q.events.capacity()) {
        if (++q.roomy >= shrink_after) {
          std::vector<Event> smaller;
          smaller.reserve(std::max(keep_capacity, 2 * q.events.size()));
          smaller.assign(q.events.begin(), q.events.end());
          q.events.swap(smaller);
          q.roomy = 0;
        }
      } else {
        q.roomy = 0;
      }
    }
    return n;
  }
  // Events a queue keeps room for after a burst (1 MiB of events), and the releases it must
  // have stayed under a quarter full before the rest goes back.
  static constexpr std::size_t keep_capacity = std::size_t{1} << 14;
  static constexpr int shrink_after = 16;

 private:
  struct Q {
    std::vector<Event> events;  // from `head` on: not yet delivered
    std::size_t head = 0;
    Timestamp mark = std::numeric_limits<Timestamp>::min();
    int roomy = 0;  // releases in a row that left the queue under a quarter of its capacity
  };
  static bool before(const Event& a, const Event& b) noexcept {
    return a.ts != b.ts ? a.ts < b.ts : a.cpu < b.cpu;
  }
  std::vector<Q> q_;
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
    merge_ = Merge(cpus_.size());
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
  bool read_round(PageDecoder& dec, PageSpool* save, bool monotonic, bool drain) {
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
      const std::size_t i = static_cast<std::size_t>(&c - cpus_.data());
      std::vector<Event>& q = merge_.queue(i);
      const std::size_t before = q.size();
      dec.decode(c.cpu, c.pages.data(), c.pages.size(), q);
      for (std::size_t k = before; k < q.size(); ++k) {
        const Event& e = q[k];
        if (e.kind == EventKind::lost_events) {
          ++c.totals.lost_markers;
          c.totals.lost_in_pages += e.lost.count;
        }
        if (e.ts > latest_) latest_ = e.ts;
      }
      if (q.size() > before) merge_.mark(i, q.back().ts);
      if (empty) {
        // Without a clock shared with user space, the latest event read anywhere stands in for
        // the present; with it the mark is exact (see the top of this file).
        if (drain)
          merge_.mark(i, std::numeric_limits<Timestamp>::max());
        else
          merge_.mark(i, monotonic ? t - commit_margin_ns : latest_);
      }
    }
    return more;
  }

  // Delivers, in (timestamp, cpu) order, every queued event no CPU can still precede. Returns the
  // number delivered.
  template <class Sink>
  std::uint64_t release(Sink& sink) {
    return merge_.release(sink, [this](std::size_t i, const Event& e) {
      ++cpus_[i].totals.events;
      last_ = e.ts;
    });
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
  Timestamp release_mark() const noexcept { return merge_.limit(); }
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
    CpuTotals totals;
  };

  std::vector<Cpu> cpus_;
  Merge merge_;
  std::size_t page_size_ = 4096;
  std::vector<unsigned char> page_;
  Timestamp latest_ = std::numeric_limits<Timestamp>::min();
  Timestamp last_ = 0;
};

}  // namespace live
}  // namespace detail
}  // namespace v1
}  // namespace rtlat
