// A compact per-CPU history of what ran, for breakdowns: switches, wakeups, migrations, IRQ
// and softirq entries and exits, losses. 24 bytes a record instead of a whole 64-byte Event, and
// scheduler records only, so the same memory reaches much further back than the event history
// that windows are cut from: a breakdown covers the whole interval of a long sample, and the
// RT-throttling check the second before it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>

#include "rtlat/detail/always_inline.hpp"
#include "rtlat/detail/engine/ring_mask.hpp"
#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

struct SchedRecord {
  enum Type : std::uint8_t {
    switched,       // pid: prev, other_pid: next, prio / other_prio: theirs, prev_class
    woken,          // pid: the woken task, other_pid: the waker (common_pid), prio, target_cpu
    migrated,       // pid, prio, target_cpu: the destination CPU
    irq_entry,      // hard IRQ; number(): the IRQ number
    irq_exit,       // number(): the IRQ number (kept, not read: the walk counts nesting)
    softirq_entry,  // number(): the vector
    softirq_exit,   // number(): the vector (kept, not read)
    lost,           // what ran from here on is unknown until the next switch
    implicit,       // pid: the task believed running, other_pid: the task seen running (the switch
                    // into it was not recorded), other_prio: its last known prio
    idle,           // power:cpu_idle; number(): the state entered, -1 when leaving idle
    irqs_off,       // preemptirq:irq_disable; number(): the caller's id (ContextNames)
    irqs_on,        // preemptirq:irq_enable; number(): the caller's id (kept, not read)
  };
  // slept_io: an uninterruptible sleep (D), such as I/O.
  enum PrevClass : std::uint8_t { slept, preempted, died, slept_io };

  Timestamp ts;
  Pid pid;  // the task the record is about; interrupt, idle and irqs records: number()
  Pid other_pid;
  std::int16_t prio;
  std::int16_t other_prio;
  Type type;
  PrevClass prev_class;
  std::int16_t target_cpu;  // -1 for records that name no second CPU

  // The number an interrupt, idle or irqs record carries, kept in the pid field: a record stays
  // 24 bytes.
  int number() const noexcept { return pid; }
};
static_assert(sizeof(SchedRecord) == 24);

constexpr bool is_sleep(SchedRecord::PrevClass c) noexcept {
  return c == SchedRecord::slept || c == SchedRecord::slept_io;
}

// A ring of SchedRecords; storage is allocated at the first push, so CPUs that never see an
// event cost nothing. Filled on every scheduler event: the push is a slot store, nothing more.
class SchedRing {
 public:
  explicit SchedRing(std::size_t capacity) : mask_(ring_mask(capacity)) {}

  // The slot of the next record, to be filled in place.
  RTLAT_ALWAYS_INLINE SchedRecord& next() {
    if (records_ == nullptr) allocate();
    return records_[static_cast<std::size_t>(head_++) & mask_];
  }

  // Positions (monotonic) of the retained records: [oldest(), head()).
  std::uint64_t head() const noexcept { return head_; }
  std::uint64_t oldest() const noexcept { return head_ - std::min<std::uint64_t>(head_, size()); }
  const SchedRecord& at(std::uint64_t pos) const noexcept {
    return records_[static_cast<std::size_t>(pos) & mask_];
  }
  // The first retained position with ts > t (head() if none): O(log capacity).
  std::uint64_t upper_bound(Timestamp t) const noexcept {
    std::uint64_t lo = oldest(), hi = head_;
    while (lo < hi) {
      const std::uint64_t mid = lo + (hi - lo) / 2;
      if (at(mid).ts <= t)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo;
  }
  // True when the ring may have dropped records older than t.
  bool forgot_before(Timestamp t) const noexcept {
    return oldest() != 0 && (head_ == oldest() || at(oldest()).ts > t);
  }
  std::size_t bytes() const noexcept { return size() * sizeof(SchedRecord); }

 private:
  std::size_t size() const noexcept { return records_ != nullptr ? mask_ + 1 : 0; }
  RTLAT_NOINLINE void allocate() { records_.reset(new SchedRecord[mask_ + 1]); }

  std::unique_ptr<SchedRecord[]> records_;
  std::size_t mask_ = 0;
  std::uint64_t head_ = 0;
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
