// The time of a breakdown, summed per part: per (state, CPU, pid, detail), as a walk over the
// scheduler records (sched_record_walk.hpp) adds it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "rtlat/breakdown.hpp"
#include "rtlat/detail/always_inline.hpp"
#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// Time accumulated per (state, cpu, pid, detail), with the prio the pid had. `detail` is the IRQ
// number (irq), vector (softirq), idle state (idle, timer_delay while idle) or interrupt state
// (runnable, timer_delay: CpuActivity::irqs). A walk adds often but mostly to the key it added to
// last, and to few keys: a flat table that checks the last key first beats a tree. each() visits
// the keys in (state, cpu, pid, detail) order, which the report order relies on. With `spans`,
// it also keeps each stretch added, for the timeline drawn from the same walk.
class TimeByPart {
 public:
  struct Span {
    Timestamp from, to;
    std::size_t entry;
  };
  TimeByPart() = default;
  explicit TimeByPart(bool spans) : keep_spans_(spans) {}

  // Inlined: a walk adds at every record on its task's CPU, mostly to the key it added to last.
  RTLAT_ALWAYS_INLINE void add(PartState s, int cpu, Pid pid, int prio, Timestamp from,
                               Timestamp to, int detail = -1) {
    if (to <= from) return;
    const Key k{static_cast<int>(s), cpu, pid, detail};
    if (last_ >= entries_.size() || !(entries_[last_].key == k)) last_ = slot(k);
    entries_[last_].ns += to - from;
    entries_[last_].prio = prio;
    if (keep_spans_) keep_span(from, to);
  }
  // The stretches added, in the order they were (with `spans` only).
  const std::vector<Span>& spans() const noexcept { return spans_; }
  // f(state, cpu, pid, prio, from, to, detail) for each stretch, in the order added.
  template <class F>
  void each_span(F&& f) const {
    for (const Span& sp : spans_) {
      const Entry& e = entries_[sp.entry];
      f(static_cast<PartState>(e.key.state), e.key.cpu, e.key.pid, e.prio, sp.from, sp.to,
        e.key.detail);
    }
  }
  // Whether entry `i` is a blocked one (the unwoken tail, kept apart from the woken blocks).
  bool blocked(std::size_t i) const noexcept {
    return entries_[i].key.state == static_cast<int>(PartState::blocked);
  }
  std::int64_t total(PartState s) const {
    std::int64_t n = 0;
    for (const Entry& e : entries_)
      if (e.key.state == static_cast<int>(s)) n += e.ns;
    return n;
  }
  // f(state, cpu, pid, prio, ns, detail, entry).
  template <class F>
  void each(F&& f) const {
    std::vector<const Entry*> order;
    order.reserve(entries_.size());
    for (const Entry& e : entries_) order.push_back(&e);
    std::sort(order.begin(), order.end(), [](const Entry* x, const Entry* y) {
      return std::tie(x->key.state, x->key.cpu, x->key.pid, x->key.detail) <
             std::tie(y->key.state, y->key.cpu, y->key.pid, y->key.detail);
    });
    for (const Entry* e : order)
      f(static_cast<PartState>(e->key.state), e->key.cpu, e->key.pid, e->prio, e->ns, e->key.detail,
        static_cast<std::size_t>(e - entries_.data()));
  }

 private:
  struct Key {
    int state, cpu;
    Pid pid;
    int detail;
    bool operator==(const Key& o) const noexcept {
      return state == o.state && cpu == o.cpu && pid == o.pid && detail == o.detail;
    }
  };
  struct Entry {
    Key key;
    std::int64_t ns;
    int prio;
  };
  RTLAT_NOINLINE void keep_span(Timestamp from, Timestamp to) {
    spans_.push_back({from, to, last_});
  }
  // Few keys: a scan. Many (a busy CPU with hundreds of tasks): a hash index.
  RTLAT_NOINLINE std::size_t slot(const Key& k) {
    if (index_.empty()) {
      for (std::size_t i = 0; i < entries_.size(); ++i)
        if (entries_[i].key == k) return i;
      entries_.push_back({k, 0, 0});
      if (entries_.size() > scan_limit)
        for (std::size_t i = 0; i < entries_.size(); ++i)
          index_.emplace(packed(entries_[i].key), i);
      return entries_.size() - 1;
    }
    const std::uint64_t h = packed(k);
    for (auto [it, end] = index_.equal_range(h); it != end; ++it)
      if (entries_[it->second].key == k) return it->second;
    index_.emplace(h, entries_.size());
    entries_.push_back({k, 0, 0});
    return entries_.size() - 1;
  }
  static std::uint64_t packed(const Key& k) noexcept {
    return (static_cast<std::uint64_t>(k.state) << 59) ^
           (static_cast<std::uint64_t>(static_cast<std::uint32_t>(k.detail + 1)) << 40) ^
           (static_cast<std::uint64_t>(static_cast<std::uint32_t>(k.cpu + 1)) << 32) ^
           static_cast<std::uint32_t>(k.pid);
  }
  static constexpr std::size_t scan_limit = 16;

  std::vector<Entry> entries_;
  std::unordered_multimap<std::uint64_t, std::size_t> index_;  // keys checked: hashes may collide
  std::size_t last_ = 0;
  bool keep_spans_ = false;
  std::vector<Span> spans_;
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
