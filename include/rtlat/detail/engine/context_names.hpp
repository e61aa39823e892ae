// Names for what runs on a CPU besides tasks, for breakdowns and verdicts: hard IRQs by number
// (from irq_handler_entry's name), softirq vectors, and the kernel callers where interrupts went
// off (preemptirq events). Scheduler records hold small numbers; the names live here, once each:
// an IRQ or a caller seen for the first time costs an allocation, the events after it nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// The kernel's softirq vector names (include/linux/interrupt.h), by vector.
inline std::string_view softirq_name(int vec) noexcept {
  static constexpr std::string_view names[] = {"HI",       "TIMER",   "NET_TX", "NET_RX",  "BLOCK",
                                               "IRQ_POLL", "TASKLET", "SCHED",  "HRTIMER", "RCU"};
  return vec >= 0 && vec < 10 ? names[vec] : std::string_view("?");
}

class ContextNames {
 public:
  // IRQ numbers beyond this are kept unnamed rather than grow the table without bound.
  static constexpr int max_irq = 1 << 16;

  void irq(int nr, const Comm& name) {
    if (nr < 0 || nr >= max_irq || name.empty()) return;
    const auto i = static_cast<std::size_t>(nr);
    if (i >= irqs_.size()) irqs_.resize(i + 1);
    if (irqs_[i] != name) irqs_[i] = name;
  }
  // "IRQ 36 virtio1-req.0", or "IRQ 36" when its name was not recorded.
  std::string irq_label(int nr) const {
    std::string s = "IRQ " + std::to_string(nr);
    if (nr >= 0 && static_cast<std::size_t>(nr) < irqs_.size() && !irqs_[nr].empty())
      s += " " + std::string(irqs_[static_cast<std::size_t>(nr)].view());
    return s;
  }
  std::string_view irq_name(int nr) const noexcept {
    if (nr >= 0 && static_cast<std::size_t>(nr) < irqs_.size())
      return irqs_[static_cast<std::size_t>(nr)].view();
    return {};
  }

  // The id of a caller symbol (0: none). Looked up by a hash of its text, so a caller seen
  // before costs no allocation.
  std::int32_t caller(std::string_view sym) {
    if (sym.empty()) return 0;
    const std::uint64_t h = hash(sym);
    for (auto [it, end] = ids_.equal_range(h); it != end; ++it)
      if (callers_[static_cast<std::size_t>(it->second)] == sym) return it->second + 1;
    callers_.emplace_back(sym);
    const auto id = static_cast<std::int32_t>(callers_.size() - 1);
    ids_.emplace(h, id);
    return id + 1;
  }
  std::string_view caller_name(std::int32_t id) const noexcept {
    return id > 0 && static_cast<std::size_t>(id) <= callers_.size()
               ? std::string_view(callers_[static_cast<std::size_t>(id) - 1])
               : std::string_view();
  }

  // Whether softirq events were seen at all: without them, a wakeup from the idle task after a
  // hard IRQ is taken to come from that IRQ's bottom half.
  bool softirqs_seen = false;

 private:
  static std::uint64_t hash(std::string_view s) noexcept {
    std::uint64_t h = 1469598103934665603ULL;
    for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    return h;
  }
  std::vector<Comm> irqs_;
  std::vector<std::string> callers_;
  std::unordered_multimap<std::uint64_t, std::int32_t> ids_;
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
