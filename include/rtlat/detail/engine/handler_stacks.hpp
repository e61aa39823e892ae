// Per CPU, the handlers that run now (hard IRQs for irq_latency, timer expiries for the timer
// metric): what a wakeup issued on that CPU was caused by. Two levels: a handler can be
// interrupted by another, and an entry's exit can be lost (the outer level is then stale).
// Nothing is allocated per event: a CPU's levels are made once, when it is first named.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "rtlat/detail/always_inline.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

template <class Level>
class HandlerStacks {
 public:
  // A handler enters on `cpu_nr`: its level, to fill in.
  Level& push(std::uint16_t cpu_nr) {
    if (cpu_nr >= cpus_.size()) cpus_.resize(std::size_t{cpu_nr} + 1);  // once per new CPU
    Cpu& c = cpus_[cpu_nr];
    if (c.depth == 2) {  // a missed exit: the outer level is stale
      c.levels[0] = c.levels[1];
      c.depth = 1;
    }
    if (c.depth == 0) ++busy_;
    return c.levels[c.depth++];
  }
  // A handler exits on `cpu_nr`: the innermost one ends if `names(level)` says the exit is its
  // own; an exit without its entry (lost, or before the trace) closes nothing it does not name.
  template <class Names>
  void exit(std::uint16_t cpu_nr, Names&& names) noexcept {
    if (cpu_nr >= cpus_.size()) return;
    Cpu& c = cpus_[cpu_nr];
    if (c.depth > 0 && names(c.levels[c.depth - 1])) pop(c);
  }
  // Some handler runs on some CPU.
  bool busy() const noexcept { return busy_ != 0; }
  // The CPU's task switched (or it lost events): no handler runs across a switch. Every switch
  // comes here, and mostly no handler runs anywhere.
  RTLAT_ALWAYS_INLINE void switched(std::uint16_t cpu_nr) noexcept {
    if (busy_ != 0 && cpu_nr < cpus_.size() && cpus_[cpu_nr].depth != 0) {
      cpus_[cpu_nr].depth = 0;
      --busy_;
    }
  }
  // The innermost handler running on `cpu_nr`, if any. With `ends` (exits are not recorded, so
  // only the first wakeup after an entry is its handler's) it ends here; its level stays intact
  // until the CPU's next entry.
  RTLAT_ALWAYS_INLINE const Level* innermost(std::uint16_t cpu_nr, bool ends) noexcept {
    if (busy_ == 0 || cpu_nr >= cpus_.size()) return nullptr;
    Cpu& c = cpus_[cpu_nr];
    if (c.depth == 0) return nullptr;
    const Level* l = &c.levels[c.depth - 1];
    if (ends) pop(c);
    return l;
  }

 private:
  struct Cpu {
    Level levels[2];
    int depth = 0;
  };
  void pop(Cpu& c) noexcept {
    if (--c.depth == 0) --busy_;
  }

  std::vector<Cpu> cpus_;
  std::size_t busy_ = 0;  // CPUs whose depth is not 0: while none, wakeups and switches skip them
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
