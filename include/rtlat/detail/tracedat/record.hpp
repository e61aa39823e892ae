// One ring-buffer record turned into an rtlat::Event through the decode table. This runs once per
// record: the byte order is a template parameter and the hot families are decoded at fixed
// offsets when the format allows (EventDecoder::std_layout).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "rtlat/detail/always_inline.hpp"
#include "rtlat/detail/tracedat/decode_table.hpp"
#include "rtlat/detail/tracedat/fields.hpp"
#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// One decoded record. `data` points into the page and stays valid while the page does.
struct RingRecord {
  std::uint64_t ts;
  const unsigned char* data;
  std::uint32_t size;
};

// Decodes the records of one CPU. Counts the records it cannot decode (unknown id, too short).
class RecordDecoder {
 public:
  RecordDecoder(const DecodeTable& t, std::uint16_t cpu)
      : unparsed_(t.unparsed_formats),
        t_(t),
        cpu_(cpu),
        prev_states_(t.prev_state_table.data()),
        prev_state_mask_(t.prev_state_table.empty()
                             ? 0
                             : static_cast<std::uint32_t>(t.prev_state_table.size() - 1)) {}

  std::uint16_t cpu() const noexcept { return cpu_; }
  std::uint64_t skipped() const noexcept { return skipped_; }
  // Of the skipped records, those of each unparsed format (EventDecoder::unparsed).
  const std::vector<std::uint64_t>& unparsed() const noexcept { return unparsed_; }
  Timestamp convert(std::uint64_t ts) const noexcept { return t_.clock(ts); }

  // Fills `e` in place (no temporaries); false when the record is skipped. The record's bytes
  // are followed by at least 8 readable ones (see FieldReaderT).
  template <bool Swap>
  RTLAT_ALWAYS_INLINE bool decode(const RingRecord& r, Event& e) {
    const FieldReaderT<Swap> rd{};
    const unsigned char* d = r.data;
    if (r.size < t_.header_min) {
      ++skipped_;
      return false;
    }
    const std::uint64_t type =
        Swap || !t_.common_std ? rd.unum(d, t_.common_type) : load<std::uint16_t>(d);
    if (type >= t_.events.size()) {
      ++skipped_;
      return false;
    }
    const EventDecoder& t = t_.events[static_cast<std::size_t>(type)];  // < size(): fits
    if (t.how == Decode::unknown || r.size < t.min_size) {
      if (t.unparsed != 0) ++unparsed_[t.unparsed - 1];
      ++skipped_;
      return false;
    }
    std::memset(static_cast<void*>(&e), 0, sizeof e);
    e.ts = t_.clock(r.ts);
    e.common_pid = Swap || !t_.common_std ? static_cast<Pid>(rd.num(d, t_.common_pid))
                                          : static_cast<Pid>(load<std::int32_t>(d + 4));
    e.cpu = cpu_;
    e.kind = t.kind;
    // The two hot cases come first as plain tests: their pattern (waking, wakeup, switch, ...)
    // is easier on the branch predictor than one indirect jump over every case.
    if (t.how == Decode::sched_switch) return decode_switch(rd, d, r.size, t, e);
    if (t.how == Decode::wakeup) return decode_wakeup(rd, d, r.size, t, e);
    switch (t.how) {
      case Decode::sched_switch:
        return decode_switch(rd, d, r.size, t, e);
      case Decode::wakeup:
      case Decode::process_exit:
        return decode_wakeup(rd, d, r.size, t, e);
      case Decode::process_fork:
        e.fork.parent_pid = static_cast<Pid>(rd.num(d, t.f.fork.parent_pid));
        e.fork.child_pid = static_cast<Pid>(rd.num(d, t.f.fork.child_pid));
        rd.comm(d, r.size, t.f.fork.child_comm, e.fork.child_comm);
        return true;
      case Decode::migrate:
        e.migrate.pid = static_cast<Pid>(rd.num(d, t.f.migrate.pid));
        e.migrate.prio = static_cast<std::int16_t>(rd.num(d, t.f.migrate.prio));
        e.migrate.orig_cpu = static_cast<std::int16_t>(rd.num(d, t.f.migrate.orig_cpu));
        e.migrate.dest_cpu = static_cast<std::int16_t>(rd.num(d, t.f.migrate.dest_cpu));
        rd.comm(d, r.size, t.f.migrate.comm, e.migrate.comm);
        return true;
      case Decode::raw_sys_enter: {
        const std::int64_t nr = rd.num(d, t.f.sys_enter.id);
        if (t_.have_syscalls && t_.syscalls.contains(nr)) {
          e.kind = EventKind::timer_sleep;
          e.timer.source = TimerSleepSource::syscall;
          e.timer.syscall_nr = static_cast<std::int32_t>(nr);
        } else {
          e.sys.nr = nr;
        }
        return true;
      }
      case Decode::timer_syscall:
        e.timer.source = TimerSleepSource::syscall;
        e.timer.syscall_nr = -1;
        return true;
      case Decode::hrtimer_start: {
        const HrtimerRefs& f = t.f.hrtimer;
        const bool timer = f.hrtimer.kind != FieldRef::absent &&
                           f.softexpires.kind != FieldRef::absent &&
                           f.expires.kind != FieldRef::absent;
        if (t_.have_hrtimer_wakeup && rd.unum(d, f.function) == t_.hrtimer_wakeup) {
          e.timer.source = TimerSleepSource::hrtimer;
          e.timer.syscall_nr = -1;
          if (timer) {
            e.timer.hrtimer = rd.unum(d, f.hrtimer);
            e.timer.softexpires = rd.num(d, f.softexpires);
          }
          return true;
        }
        if (!timer) break;
        e.kind = EventKind::hrtimer_start;
        e.hrtimer.hrtimer = rd.unum(d, f.hrtimer);
        e.hrtimer.softexpires = rd.num(d, f.softexpires);
        e.hrtimer.expires = rd.num(d, f.expires);
        return true;
      }
      case Decode::hrtimer:
        e.hrtimer.hrtimer = rd.unum(d, t.f.hrtimer.hrtimer);
        if (t.f.hrtimer.now.kind != FieldRef::absent) e.hrtimer.now = rd.num(d, t.f.hrtimer.now);
        return true;
      case Decode::irq_entry:
        e.irq.irq = static_cast<std::int32_t>(rd.num(d, t.f.irq.irq));
        e.irq.ret = 1;
        rd.comm(d, r.size, t.f.irq.name, e.irq.name);
        return true;
      case Decode::irq_exit:
        e.irq.irq = static_cast<std::int32_t>(rd.num(d, t.f.irq.irq));
        e.irq.ret = t.f.irq.ret.kind == FieldRef::absent
                        ? 1
                        : static_cast<std::int32_t>(rd.num(d, t.f.irq.ret));
        return true;
      case Decode::softirq:
        e.softirq.vec = static_cast<std::uint32_t>(rd.unum(d, t.f.softirq.vec));
        return true;
      case Decode::cpu_idle:
        e.idle.state = static_cast<std::uint32_t>(rd.unum(d, t.f.idle.state));
        return true;
      case Decode::irqs: {
        // The offset from _stext, unresolved: kallsyms is read only as far as hrtimer_wakeup.
        const std::int64_t off = rd.num(d, t.f.irqs.caller_offs);
        char text[sizeof e.irqs.caller];
        const int n = std::snprintf(text, sizeof text, "_stext%s0x%llx", off < 0 ? "-" : "+",
                                    static_cast<unsigned long long>(off < 0 ? -off : off));
        std::memcpy(e.irqs.caller, text, n > 0 ? static_cast<std::size_t>(n) : 0);
        return true;
      }
      case Decode::other:
      case Decode::unknown:
        break;
    }
    e.kind = EventKind::other;
    e.other.type_id = t.id;
    e.other.name = t.name;
    e.other.detached = t.stack_trace || (t_.common_flags.kind == FieldRef::number &&
                                         r.size >= t_.common_flags.end() &&
                                         (rd.unum(d, t_.common_flags) & trace_flag_nmi) != 0);
    return true;
  }

 private:
  template <class T>
  static RTLAT_ALWAYS_INLINE T load(const unsigned char* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  PrevState prev_state_of(std::uint32_t raw) const noexcept {
    return prev_state_mask_ == 0 ? t_.prev_state.decode(raw) : prev_states_[raw & prev_state_mask_];
  }

  // Records whose layout EventDecoder::std_layout vouches for are read at fixed offsets (the
  // record is long enough: min_size); the others through the field refs.
  template <bool Swap>
  RTLAT_ALWAYS_INLINE bool decode_switch(const FieldReaderT<Swap>& rd, const unsigned char* d,
                                         std::uint32_t size, const EventDecoder& t,
                                         Event& e) const {
    if (!Swap && t.std_layout) {
      const auto raw = load<std::uint32_t>(d + 32);  // the low half of the long, little-endian
      e.prev_state = prev_state_of(raw);
      e.sw.prev_pid = load<std::int32_t>(d + 24);
      e.sw.next_pid = load<std::int32_t>(d + 56);
      e.sw.prev_prio = static_cast<std::int16_t>(load<std::int32_t>(d + 28));
      e.sw.next_prio = static_cast<std::int16_t>(load<std::int32_t>(d + 60));
      e.sw.prev_state_raw = raw;
      FieldReaderT<false>::comm16(d + 8, e.sw.prev_comm);
      FieldReaderT<false>::comm16(d + 40, e.sw.next_comm);
      return true;
    }
    const SwitchRefs& f = t.f.sw;
    const auto raw = static_cast<std::uint32_t>(rd.unum(d, f.prev_state));
    e.prev_state = prev_state_of(raw);
    e.sw.prev_pid = static_cast<Pid>(rd.num(d, f.prev_pid));
    e.sw.next_pid = static_cast<Pid>(rd.num(d, f.next_pid));
    e.sw.prev_prio = static_cast<std::int16_t>(rd.num(d, f.prev_prio));
    e.sw.next_prio = static_cast<std::int16_t>(rd.num(d, f.next_prio));
    e.sw.prev_state_raw = raw;
    rd.comm(d, size, f.prev_comm, e.sw.prev_comm);
    rd.comm(d, size, f.next_comm, e.sw.next_comm);
    return true;
  }

  template <bool Swap>
  static RTLAT_ALWAYS_INLINE bool decode_wakeup(const FieldReaderT<Swap>& rd,
                                                const unsigned char* d, std::uint32_t size,
                                                const EventDecoder& t, Event& e) {
    if (!Swap && t.std_layout) {
      e.wakeup.pid = load<std::int32_t>(d + 24);
      e.wakeup.prio = static_cast<std::int16_t>(load<std::int32_t>(d + 28));
      e.wakeup.target_cpu = static_cast<std::int16_t>(load<std::int32_t>(d + 32));
      FieldReaderT<false>::comm16(d + 8, e.wakeup.comm);
      return true;
    }
    const WakeupRefs& f = t.f.wakeup;
    e.wakeup.pid = static_cast<Pid>(rd.num(d, f.pid));
    e.wakeup.prio = static_cast<std::int16_t>(rd.num(d, f.prio));
    e.wakeup.target_cpu = f.target_cpu.kind == FieldRef::absent
                              ? std::int16_t{-1}
                              : static_cast<std::int16_t>(rd.num(d, f.target_cpu));
    rd.comm(d, size, f.comm, e.wakeup.comm);
    return true;
  }

  std::vector<std::uint64_t> unparsed_;
  const DecodeTable& t_;
  std::uint16_t cpu_;
  const PrevState* prev_states_;   // DecodeTable::prev_state_table, by raw & mask
  std::uint32_t prev_state_mask_;  // 0: no table, use the decoder
  std::uint64_t skipped_ = 0;
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
