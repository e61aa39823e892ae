// Bounded per-CPU event history, and the worst-case window built from it.
//
// Every event is kept in a fixed ring of its CPU (no allocation after the first event, and the
// first view, below). When a sample becomes a task's worst, its window is cut from the rings of the
// CPUs where the task waited or ran, so capturing it never needs the whole trace.
//
// Copying every event into the ring is a large share of the engine's work per event, so a source
// that keeps its decoded events in place for a while may hand them over as views instead: the
// ring then points at them, and copies one only when the source says its buffer is about to be
// reused (retire) while the event is still in the ring. A source that keeps each buffer until
// the next one is consumed makes such copies rare.
//
// A window holds: its start event, and on the CPUs where the task waited or ran between start
// and end, every scheduler / IRQ event ("window kinds") and every event the task itself issued.
// Counting them must not mean scanning the interval (intervals can be long, captures frequent),
// so each ring keeps a running count of window-kind events and each task a count of the other
// events it issued: a capture scans only the events it shows, from both ends.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <utility>
#include <vector>

#include "rtlat/detail/always_inline.hpp"
#include "rtlat/detail/engine/ring_mask.hpp"
#include "rtlat/event.hpp"
#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// Scheduler and IRQ events: on a CPU where a task waited or ran they explain its timing, whoever
// issued them. A bit per kind: every event asks, twice.
inline constexpr std::uint32_t window_kinds = [] {
  std::uint32_t m = 0;
  for (EventKind k : {EventKind::sched_switch, EventKind::sched_wakeup, EventKind::sched_wakeup_new,
                      EventKind::sched_waking, EventKind::irq_entry, EventKind::irq_exit,
                      EventKind::irq_thread_entry, EventKind::irq_thread_exit,
                      EventKind::lost_events, EventKind::cpu_idle})
    m |= std::uint32_t{1} << static_cast<unsigned>(k);
  return m;
}();
static_assert(event_kind_count <= 32, "window_kinds holds a bit per EventKind");
constexpr bool is_window_kind(EventKind k) noexcept {
  return ((window_kinds >> (static_cast<unsigned>(k) & 31U)) & 1U) != 0;
}

class CpuHistory {
 public:
  // Storage is allocated at the first push, so CPUs that never see an event cost nothing.
  explicit CpuHistory(std::size_t capacity) : mask_(ring_mask(capacity)) {}

  // Takes a copy of e.
  RTLAT_ALWAYS_INLINE void push(const Event& e, std::uint64_t seq) {
    if (own_ == nullptr) allocate(false);
    const std::size_t i = static_cast<std::size_t>(head_) & mask_;
    own_[i] = e;
    if (views_ != nullptr) views_[i] = nullptr;
    note(e, seq, i);
  }
  // Points at e, which must stay where it is until retire() or release() covers it, or until the
  // ring (Config::history, rounded up to a power of two) has taken as many events after it.
  RTLAT_ALWAYS_INLINE void push_view(const Event& e, std::uint64_t seq) {
    if (views_ == nullptr) allocate(true);
    const std::size_t i = static_cast<std::size_t>(head_) & mask_;
    views_[i] = &e;
    note(e, seq, i);
  }
  // The events in [begin, end) are about to be overwritten: the ring copies those it still
  // points at. Views must be retired in the order they were pushed (the oldest buffer first),
  // so this stops at the first view outside the range: amortised O(1 + events copied). Throws:
  // nothing.
  void retire(const Event* begin, const Event* end) noexcept {
    if (views_ == nullptr) return;
    const std::less<const Event*> before;
    std::uint64_t pos = std::max(view_lo_, oldest());
    for (; pos < head_; ++pos) {
      const std::size_t i = static_cast<std::size_t>(pos) & mask_;
      const Event* v = views_[i];
      if (v == nullptr) continue;  // a copy (a stamped late event)
      if (before(v, begin) || !before(v, end)) break;
      own_[i] = *v;
      views_[i] = nullptr;
    }
    view_lo_ = pos;
  }
  // Copies every event the ring still points at: the source's buffers may go. Throws: nothing.
  void release() noexcept {
    if (views_ == nullptr) return;
    for (std::uint64_t pos = std::max(view_lo_, oldest()); pos < head_; ++pos) {
      const std::size_t i = static_cast<std::size_t>(pos) & mask_;
      if (const Event* v = views_[i]) own_[i] = *v, views_[i] = nullptr;
    }
    view_lo_ = head_;
  }

  std::uint64_t head() const noexcept { return head_; }                  // events ever pushed
  std::uint64_t window_total() const noexcept { return window_total_; }  // window kinds ever

  // Ring positions (monotonic, not wrapped) of the retained events: [oldest(), head()).
  std::uint64_t oldest() const noexcept { return head_ - std::min<std::uint64_t>(head_, size()); }
  // The first retained position whose seq is >= seq (head() if none): O(log capacity).
  std::uint64_t lower_bound(std::uint64_t seq) const noexcept {
    std::uint64_t lo = oldest(), hi = head_;
    while (lo < hi) {
      const std::uint64_t mid = lo + (hi - lo) / 2;
      if (slot(mid).seq < seq)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo;
  }
  const Event& event(std::uint64_t pos) const noexcept {
    const std::size_t i = static_cast<std::size_t>(pos) & mask_;
    if (views_ != nullptr && views_[i] != nullptr) return *views_[i];
    return own_[i];
  }
  std::uint64_t seq(std::uint64_t pos) const noexcept { return slot(pos).seq; }
  // Window-kind events pushed up to and including position pos.
  std::uint64_t window_through(std::uint64_t pos) const noexcept { return slot(pos).window; }

 private:
  struct Slot {
    std::uint64_t seq;
    std::uint64_t window;
  };
  RTLAT_ALWAYS_INLINE void note(const Event& e, std::uint64_t seq, std::size_t i) noexcept {
    window_total_ += is_window_kind(e.kind) ? 1 : 0;
    slots_[i] = Slot{seq, window_total_};
    ++head_;
  }
  // Both rings at once when views start: retire() and release() then never allocate.
  RTLAT_NOINLINE void allocate(bool views) {
    const std::size_t n = mask_ + 1;
    if (own_ == nullptr) {
      own_.reset(new Event[n]);
      slots_.reset(new Slot[n]);
    }
    if (views && views_ == nullptr) {
      views_.reset(new const Event*[n]);
      for (std::size_t i = 0; i < n; ++i) views_[i] = nullptr;
    }
  }
  std::size_t size() const noexcept { return own_ != nullptr ? mask_ + 1 : 0; }
  const Slot& slot(std::uint64_t pos) const noexcept {
    return slots_[static_cast<std::size_t>(pos) & mask_];
  }

  std::unique_ptr<Event[]> own_;
  std::unique_ptr<Slot[]> slots_;
  std::unique_ptr<const Event*[]> views_;  // null entries: the event is in own_
  std::size_t mask_ = 0;
  std::uint64_t head_ = 0;
  std::uint64_t window_total_ = 0;
  std::uint64_t view_lo_ = 0;  // positions below it hold no view
};

// A 64-bit set of CPUs; CPUs >= 64 share bits (cpu % 64), which only widens a window.
using CpuMask = std::uint64_t;
constexpr CpuMask cpu_bit(int cpu) noexcept {
  return cpu < 0 ? 0 : (CpuMask{1} << (static_cast<unsigned>(cpu) & 63u));
}

// An interval in flight: where it started, and what is needed to cut its window later.
struct OpenInterval {
  explicit OpenInterval(std::uint8_t slot = 0) : start_slot(slot) {}
  std::uint8_t start_slot;  // where its task keeps the copy of its start event
  bool active = false;
  Timestamp start_ns = 0;
  std::uint64_t start_seq = 0;
  CpuMask cpus = 0;               // where the task waited or ran since the start
  int home_cpu = -1;              // the CPU it waited on: its counts are exact
  std::uint64_t home_window = 0;  // window-kind events on home_cpu when the interval opened
  std::uint64_t own_at_open = 0;  // the task's own non-window events when it opened
};

// Buffers cut_window reuses from one capture to the next.
struct WindowScratch {
  struct Cursor {
    const CpuHistory* h;
    std::uint64_t lo, hi;  // the retained positions after the start: [lo, hi)
    std::uint64_t pos;
  };
  std::vector<Cursor> cursors;
  std::vector<const Event*> tail;
};

// Cuts the window of an interval of task `pid` (started by a copy of start_event) that ends with
// `end`, the newest event, already pushed into its CPU's history; own_now is the task's count of
// its own non-window events. At most `limit` events are kept: the first quarter and the last three
// quarters, since what ran just before the end usually explains it. `elided` counts the window's
// events that are not shown: cut by the limit, or older than the bounded history. It is exact for
// the CPU the task waited on and for the task's own events; on other CPUs whose history no longer
// reaches the start, the events that fell out are not counted.
//
// Each CPU's ring is in seq order, so the shown events come from a k-way merge over the CPUs:
// forward from the start for the first quarter, backward from the end for the rest.
inline WorstWindow cut_window(const std::vector<CpuHistory>& history, const OpenInterval& iv,
                              const Event& start_event, const Event& end, Pid pid,
                              std::uint64_t own_now, std::size_t limit, WindowScratch& scratch) {
  WorstWindow w;
  w.start_ns = iv.start_ns;
  w.end_ns = end.ts;
  w.cpu = end.cpu;
  if (limit < 2) limit = 2;
  const std::size_t head = std::max<std::size_t>(1, limit / 4);
  const std::size_t tail = limit - head;
  const CpuMask task_cpus = iv.cpus | cpu_bit(end.cpu);

  // The start, the task's own events after it, and window kinds on its CPUs after it.
  std::uint64_t total = 1 + (own_now - iv.own_at_open);
  const Event* start = &start_event;  // unless the ring still holds it
  auto& cursors = scratch.cursors;
  cursors.clear();
  for (std::size_t c = 0; c < history.size(); ++c) {
    const int cpu = static_cast<int>(c);
    if ((task_cpus & cpu_bit(cpu)) == 0) continue;
    const CpuHistory& h = history[c];
    const std::uint64_t hi = h.head();
    if (hi == 0) continue;
    std::uint64_t lo = h.lower_bound(iv.start_seq);
    if (lo < hi && h.seq(lo) == iv.start_seq) start = &h.event(lo++);
    if (cpu == iv.home_cpu) {
      total += h.window_total() - iv.home_window;
    } else if (lo > h.oldest()) {
      total += h.window_total() - h.window_through(lo - 1);
    } else if (lo < hi) {  // history no longer reaches the start: count what is left
      total += h.window_total() - h.window_through(lo) + (is_window_kind(h.event(lo).kind) ? 1 : 0);
    }
    cursors.push_back({&h, lo, hi, lo});
  }
  auto shows = [pid](const Event& e) { return is_window_kind(e.kind) || e.common_pid == pid; };

  w.events.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(total, limit)));
  w.events.push_back(*start);
  // Forward: the oldest matching events after the start, across CPUs.
  std::uint64_t last_seq = iv.start_seq;
  for (auto& cu : cursors) {
    while (cu.pos < cu.hi && !shows(cu.h->event(cu.pos))) ++cu.pos;
  }
  while (w.events.size() < head) {
    WindowScratch::Cursor* best = nullptr;
    for (auto& cu : cursors) {
      if (cu.pos < cu.hi && (best == nullptr || cu.h->seq(cu.pos) < best->h->seq(best->pos)))
        best = &cu;
    }
    if (best == nullptr) break;
    w.events.push_back(best->h->event(best->pos));
    last_seq = best->h->seq(best->pos);
    ++best->pos;
    while (best->pos < best->hi && !shows(best->h->event(best->pos))) ++best->pos;
  }
  // Backward: the newest matching events, down to what the forward pass took.
  auto& back = scratch.tail;
  back.clear();
  for (auto& cu : cursors) {
    cu.lo = std::max(cu.lo, cu.pos);
    cu.pos = cu.hi;
    while (cu.pos > cu.lo && !shows(cu.h->event(cu.pos - 1))) --cu.pos;
  }
  while (back.size() < tail) {
    WindowScratch::Cursor* best = nullptr;
    for (auto& cu : cursors) {
      if (cu.pos > cu.lo &&
          (best == nullptr || cu.h->seq(cu.pos - 1) > best->h->seq(best->pos - 1)))
        best = &cu;
    }
    if (best == nullptr || best->h->seq(best->pos - 1) <= last_seq) break;
    back.push_back(&best->h->event(best->pos - 1));
    --best->pos;
    while (best->pos > best->lo && !shows(best->h->event(best->pos - 1))) --best->pos;
  }
  for (auto it = back.rbegin(); it != back.rend(); ++it) w.events.push_back(**it);
  w.elided = total > w.events.size() ? total - w.events.size() : 0;
  return w;
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
