// Bounded per-CPU event history, and the worst-case window built from it.
//
// Every event is copied into a fixed ring of its CPU (no allocation after construction). When a
// sample becomes a task's worst, its window is cut from the rings of the CPUs where the task
// waited or ran, so capturing it never needs the whole trace.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "rtlat/event.hpp"
#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {

class CpuHistory {
 public:
  // Storage is allocated at the first push, so CPUs that never see an event cost nothing.
  explicit CpuHistory(std::size_t capacity) {
    std::size_t cap = 16;
    while (cap < capacity) cap <<= 1;
    mask_ = cap - 1;
  }

  void push(const Event& e, std::uint64_t seq) {
    if (events_.empty()) {
      events_.resize(mask_ + 1);
      seqs_.resize(mask_ + 1);
    }
    const std::size_t i = static_cast<std::size_t>(head_) & mask_;
    events_[i] = e;
    seqs_[i] = seq;
    ++head_;
  }

  // Events ever pushed to this CPU.
  std::uint64_t head() const noexcept { return head_; }

  // Calls f(event, seq) for retained events with from <= seq <= to, oldest first; returns how
  // many retained events had seq > from (to tell evicted ones from retained ones).
  template <class F>
  std::uint64_t visit(std::uint64_t from, std::uint64_t to, F&& f) const {
    const std::uint64_t n = std::min<std::uint64_t>(head_, events_.size());
    std::uint64_t after_from = 0;
    for (std::uint64_t k = head_ - n; k < head_; ++k) {
      const std::size_t i = static_cast<std::size_t>(k) & mask_;
      const std::uint64_t s = seqs_[i];
      if (s > from) ++after_from;
      if (s >= from && s <= to) f(events_[i], s);
    }
    return after_from;
  }

 private:
  std::vector<Event> events_;
  std::vector<std::uint64_t> seqs_;
  std::size_t mask_ = 0;
  std::uint64_t head_ = 0;
};

// A 64-bit set of CPUs; CPUs >= 64 share bits (cpu % 64), which only widens a window.
using CpuMask = std::uint64_t;
constexpr CpuMask cpu_bit(int cpu) noexcept {
  return cpu < 0 ? 0 : (CpuMask{1} << (static_cast<unsigned>(cpu) & 63u));
}

// An interval in flight: where it started, and what is needed to cut its window later.
struct OpenInterval {
  bool active = false;
  Timestamp start_ns = 0;
  std::uint64_t start_seq = 0;
  Event start_event{};
  CpuMask cpus = 0;             // where the task waited or ran since the start
  int home_cpu = -1;            // the CPU it waited on; its eviction count is exact
  std::uint64_t home_head = 0;  // history head of home_cpu at the start
};

namespace detail {

inline bool window_relevant(const Event& e, Pid pid, bool on_task_cpu) noexcept {
  if (e.common_pid == pid) return true;
  switch (e.kind) {
    case EventKind::sched_switch:
      return on_task_cpu || e.sw.prev_pid == pid || e.sw.next_pid == pid;
    case EventKind::sched_wakeup:
    case EventKind::sched_wakeup_new:
    case EventKind::sched_waking:
    case EventKind::process_exit:
      return on_task_cpu || e.wakeup.pid == pid;
    case EventKind::process_fork:
      return e.fork.child_pid == pid;
    case EventKind::irq_entry:
    case EventKind::irq_exit:
    case EventKind::irq_thread_entry:
    case EventKind::irq_thread_exit:
    case EventKind::lost_events:
      return on_task_cpu;
    default:
      return false;
  }
}

}  // namespace detail

// Cuts the window of an interval of task `pid` that ends with `end` (sequence number end_seq,
// already pushed into its CPU's history). At most `limit` events are kept: the first quarter and
// the last three quarters, since what ran just before the end usually explains it.
inline WorstWindow cut_window(const std::vector<CpuHistory>& history, const OpenInterval& iv,
                              const Event& end, std::uint64_t end_seq, Pid pid, std::size_t limit) {
  WorstWindow w;
  w.start_ns = iv.start_ns;
  w.end_ns = end.ts;
  w.cpu = end.cpu;
  const CpuMask scan = iv.cpus | cpu_bit(end.cpu) | cpu_bit(iv.start_event.cpu);
  std::vector<std::pair<std::uint64_t, const Event*>> picked;
  bool have_start = false;
  for (std::size_t c = 0; c < history.size(); ++c) {
    const int cpu = static_cast<int>(c);
    if ((scan & cpu_bit(cpu)) == 0) continue;
    const bool task_cpu = (iv.cpus | cpu_bit(end.cpu)) & cpu_bit(cpu);
    const std::uint64_t retained =
        history[c].visit(iv.start_seq, end_seq, [&](const Event& e, std::uint64_t s) {
          if (s == iv.start_seq) have_start = true;
          if (s == iv.start_seq || s == end_seq || detail::window_relevant(e, pid, task_cpu))
            picked.emplace_back(s, &e);
        });
    if (cpu == iv.home_cpu) {
      const std::uint64_t pushed = history[c].head() - iv.home_head;
      if (pushed > retained) w.elided += pushed - retained;  // fell out of the bounded history
    }
  }
  if (!have_start) picked.emplace_back(iv.start_seq, &iv.start_event);
  std::sort(picked.begin(), picked.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  if (limit < 2) limit = 2;
  std::size_t head_keep = picked.size(), tail_keep = 0;
  if (picked.size() > limit) {
    head_keep = std::max<std::size_t>(1, limit / 4);
    tail_keep = limit - head_keep;
    w.elided += picked.size() - limit;
  }
  w.events.reserve(std::min(picked.size(), limit));
  for (std::size_t i = 0; i < picked.size(); ++i) {
    if (i < head_keep || i >= picked.size() - tail_keep) w.events.push_back(*picked[i].second);
  }
  return w;
}

}  // namespace v1
}  // namespace rtlat
