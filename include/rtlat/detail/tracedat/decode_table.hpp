// Event formats turned, once per recording, into a flat decode table: for every event id its
// decoder family, its EventKind and the fields that family reads, by name, each at the offset
// the format gives. Decoding a record is then a table lookup and a few loads, never a name lookup.
// The table needs only libtraceevent's parsed formats, not a file: the page decoder (page.hpp)
// runs on it for trace.dat data and for live ring-buffer pages alike.
#pragma once

#include <traceevent/event-parse.h>

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "rtlat/detail/tracedat/fields.hpp"
#include "rtlat/detail/vocabulary.hpp"
#include "rtlat/event.hpp"
#include "rtlat/prev_state.hpp"
#include "rtlat/syscalls.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// What to do with a given event id: one decoder per family of events.
enum class Decode : std::uint8_t {
  unknown,  // no format for this id: counted as skipped
  other,
  sched_switch,
  wakeup,  // sched_wakeup, sched_wakeup_new, sched_waking (kind says which)
  process_exit,
  process_fork,
  migrate,
  raw_sys_enter,
  timer_syscall,  // syscalls:sys_enter_nanosleep / clock_nanosleep[_time64]
  hrtimer_start,
  hrtimer,    // hrtimer_cancel, hrtimer_expire_entry, hrtimer_expire_exit (kind says which)
  irq_entry,  // hard or threaded (kind says which)
  irq_exit,
  softirq,  // entry or exit (kind says which)
  cpu_idle,
  irqs,  // preemptirq irq_disable / irq_enable (kind says which)
};

// The fields each family reads.
struct SwitchRefs {
  FieldRef prev_comm, prev_pid, prev_prio, prev_state, next_comm, next_pid, next_prio;
};
struct WakeupRefs {  // also sched_process_exit, which has no target_cpu
  FieldRef comm, pid, prio, target_cpu;
};
struct ForkRefs {
  FieldRef parent_pid, child_comm, child_pid;
};
struct MigrateRefs {
  FieldRef comm, pid, prio, orig_cpu, dest_cpu;
};
struct SysEnterRefs {
  FieldRef id;
};
struct HrtimerRefs {
  FieldRef function, hrtimer, softexpires, expires, now;  // as each event has them
};
struct IrqRefs {
  FieldRef irq, name, ret;  // name: entry only; ret: exit only
};
struct SoftirqRefs {
  FieldRef vec;
};
struct IdleRefs {
  FieldRef state;
};
struct IrqsRefs {
  FieldRef caller_offs;  // from _stext
};

struct EventDecoder {
  Decode how = Decode::unknown;
  EventKind kind = EventKind::other;
  // The fields sit where every 64-bit little-endian kernel since 4.x puts them (checked against
  // the format once): decoded at fixed offsets instead of through the FieldRefs.
  bool std_layout = false;
  std::uint32_t min_size = 0;  // records shorter than this cannot hold the fields: skipped
  std::uint32_t id = 0;
  // Unknown because its format could not be parsed: 1 + its index in DecodeTable's list of
  // unparsed formats, whose skipped records are counted apart. 0: no such format.
  std::uint32_t unparsed = 0;
  bool stack_trace = false;  // its common_pid proves nothing (is_stack_trace_event)
  Comm name{};
  // The member `how` names is the one set.
  union Fields {
    Fields() noexcept : sw() {}
    SwitchRefs sw;
    WakeupRefs wakeup;
    ForkRefs fork;
    MigrateRefs migrate;
    SysEnterRefs sys_enter;
    HrtimerRefs hrtimer;
    IrqRefs irq;
    SoftirqRefs softirq;
    IdleRefs idle;
    IrqsRefs irqs;
  } f;
};

// ts * mult >> shift without overflowing 64 bits (the kernel's mul_u64_u32_shr).
inline std::uint64_t mul_u64_u32_shr(std::uint64_t a, std::uint32_t mul, unsigned shift) noexcept {
  const std::uint64_t lo = a & 0xffffffffu, hi = a >> 32;
  std::uint64_t r = (lo * mul) >> shift;
  if (hi != 0) r += (hi * mul) << (32 - shift);
  return r;
}

// Ring-buffer time to trace time: ts = (mult ? ts * mult >> shift : ts) + offset.
struct ClockConversion {
  std::uint32_t mult = 0, shift = 0;
  std::int64_t offset = 0;

  Timestamp operator()(std::uint64_t ts) const noexcept {
    if (mult != 0) ts = mul_u64_u32_shr(ts, mult, shift);
    return static_cast<Timestamp>(ts + static_cast<std::uint64_t>(offset));
  }
};

// Everything decoding a record needs.
struct DecodeTable {
  std::vector<EventDecoder> events;  // by event id
  FieldRef common_type, common_pid, common_flags;
  bool common_std = false;  // common_type u16 at 0, common_pid s32 at 4, host order
  std::uint32_t header_min = 0;
  ClockConversion clock;
  PrevStateDecoder prev_state;
  // With the flag known from the format, a prev_state's class depends only on the bits up to the
  // flag: a lookup by raw & (size - 1) instead of the decoder's chain of tests. Empty: decode.
  std::vector<PrevState> prev_state_table;
  bool have_hrtimer_wakeup = false;
  std::uint64_t hrtimer_wakeup = 0;
  bool have_syscalls = false;
  TimerSleepSyscalls syscalls;
  // Which events the formats hold (a recording has a format for every event it recorded).
  bool syscall_events = false, irq_thread_events = false, wakeup_events = false;
  bool hrtimer_expiry_events = false;  // timer:hrtimer_expire_entry
  // Formats that could not be parsed but name their event id (EventDecoder::unparsed).
  std::size_t unparsed_formats = 0;

  // Marks the records of event `id` as those of unparsed format number `index` (of `count`),
  // unless a parsed format holds that id.
  void mark_unparsed(std::int64_t id, std::size_t index) {
    if (id < 0 || id > 0xffff) return;
    const auto i = static_cast<std::size_t>(id);
    if (i >= events.size()) events.resize(i + 1);
    if (events[i].how != Decode::unknown || events[i].unparsed != 0) return;
    events[i].unparsed = static_cast<std::uint32_t>(index + 1);
    unparsed_formats = std::max(unparsed_formats, index + 1);
  }

  // Sets prev_state (and its lookup table) from sched_switch's preemption flag, if known.
  void set_preempt_flag(std::uint32_t flag) {
    prev_state = PrevStateDecoder{flag, true};
    prev_state_table.clear();
    if (flag <= 0x1000u) {
      prev_state_table.resize(std::size_t{flag} * 2);
      for (std::uint32_t raw = 0; raw < prev_state_table.size(); ++raw)
        prev_state_table[raw] = prev_state.decode(raw);
    }
  }
};

// Fills the events and common fields of `t` from the formats libtraceevent parsed. `std_host`:
// records are in host order, 64-bit, little-endian, so fixed-offset decoding may apply.
// `fail(why)` is called (and must throw) when events disagree on the common header.
template <class Fail>
void build_decode_table(tep_handle* tep, bool std_host, DecodeTable& t, Fail&& fail) {
  const int count = tep_get_events_count(tep);
  int max_id = -1;
  for (int i = 0; i < count; ++i) {
    tep_event* ev = tep_get_event(tep, i);
    if (ev != nullptr && ev->id >= 0 && ev->id <= 0xffff) max_id = std::max(max_id, ev->id);
  }
  t.events.assign(max_id < 0 ? 0 : static_cast<std::size_t>(max_id) + 1, EventDecoder{});
  bool have_common = false;
  for (int i = 0; i < count; ++i) {
    tep_event* ev = tep_get_event(tep, i);
    if (ev == nullptr || ev->id < 0 || ev->id > 0xffff || ev->name == nullptr) continue;
    const std::string_view sys = ev->system ? ev->system : "";
    const std::string_view name = ev->name;
    const FieldRef type = FieldRef::of(tep_find_common_field(ev, "common_type"));
    const FieldRef pid = FieldRef::of(tep_find_common_field(ev, "common_pid"));
    if (type.kind != FieldRef::number || pid.kind != FieldRef::number) continue;
    if (!have_common) {
      t.common_type = type;
      t.common_pid = pid;
      t.common_flags = FieldRef::of(tep_find_common_field(ev, "common_flags"));
      t.header_min = std::max(type.end(), pid.end());
      have_common = true;
    } else if (type.offset != t.common_type.offset || type.size != t.common_type.size) {
      fail("events disagree on where common_type is");
    } else if (pid.offset != t.common_pid.offset || pid.size != t.common_pid.size) {
      fail("events disagree on where common_pid is");
    }
    if (sys == "raw_syscalls" || sys == "syscalls") t.syscall_events = true;
    const TraceEvent known = sys.empty() ? TraceEvent::other : classify_event(sys, name);
    if (known == TraceEvent::irq_threaded_handler_entry) t.irq_thread_events = true;
    if (known == TraceEvent::sched_wakeup) t.wakeup_events = true;
    if (known == TraceEvent::hrtimer_expire_entry) t.hrtimer_expiry_events = true;

    EventDecoder d;
    d.id = static_cast<std::uint32_t>(ev->id);
    d.name = Comm::from(name);
    d.how = Decode::other;
    d.stack_trace = is_stack_trace_event(sys, name);
    // Every field looked up counts towards the record size the event needs.
    std::uint32_t min = t.header_min;
    bool all = true;  // every field that must be there is
    auto field = [&](const char* n, bool required = true) {
      const FieldRef f = FieldRef::of(tep_find_field(ev, n));
      if (f.kind == FieldRef::absent)
        all = all && !required;
      else
        min = std::max(min, f.end());
      return f;
    };
    // Numbers must also be signed where the fixed-offset decoder reads them as signed.
    auto at = [](const FieldRef& f, std::uint8_t kind, std::uint16_t off, std::uint16_t size) {
      return f.kind == kind && f.offset == off && f.size == size &&
             (kind != FieldRef::number || size == 8 || f.is_signed);
    };
    auto as = [&](Decode how, EventKind kind) {
      if (all) d.how = how, d.kind = kind;
    };
    switch (known) {
      case TraceEvent::sched_switch: {
        SwitchRefs& s = d.f.sw;
        s = SwitchRefs{field("prev_comm"),  field("prev_pid"),  field("prev_prio"),
                       field("prev_state"), field("next_comm"), field("next_pid"),
                       field("next_prio")};
        as(Decode::sched_switch, EventKind::sched_switch);
        d.std_layout =
            std_host && at(s.prev_comm, FieldRef::inline_string, 8, 16) &&
            at(s.prev_pid, FieldRef::number, 24, 4) && at(s.prev_prio, FieldRef::number, 28, 4) &&
            at(s.prev_state, FieldRef::number, 32, 8) &&
            at(s.next_comm, FieldRef::inline_string, 40, 16) &&
            at(s.next_pid, FieldRef::number, 56, 4) && at(s.next_prio, FieldRef::number, 60, 4);
        break;
      }
      case TraceEvent::sched_wakeup:
      case TraceEvent::sched_wakeup_new:
      case TraceEvent::sched_waking: {
        WakeupRefs& w = d.f.wakeup;
        w = WakeupRefs{field("comm"), field("pid"), field("prio"), field("target_cpu", false)};
        d.std_layout = std_host && at(w.comm, FieldRef::inline_string, 8, 16) &&
                       at(w.pid, FieldRef::number, 24, 4) && at(w.prio, FieldRef::number, 28, 4) &&
                       at(w.target_cpu, FieldRef::number, 32, 4);
        as(Decode::wakeup, known == TraceEvent::sched_wakeup       ? EventKind::sched_wakeup
                           : known == TraceEvent::sched_wakeup_new ? EventKind::sched_wakeup_new
                                                                   : EventKind::sched_waking);
        break;
      }
      case TraceEvent::sched_process_exit:
        d.f.wakeup = WakeupRefs{field("comm"), field("pid"), field("prio"), FieldRef{}};
        as(Decode::process_exit, EventKind::process_exit);
        break;
      case TraceEvent::sched_process_fork:
        d.f.fork = ForkRefs{field("parent_pid"), field("child_comm"), field("child_pid")};
        as(Decode::process_fork, EventKind::process_fork);
        break;
      case TraceEvent::sched_migrate_task:
        d.f.migrate = MigrateRefs{field("comm"), field("pid"), field("prio"), field("orig_cpu"),
                                  field("dest_cpu")};
        as(Decode::migrate, EventKind::migrate);
        break;
      case TraceEvent::raw_sys_enter:
        d.f.sys_enter = SysEnterRefs{field("id")};
        as(Decode::raw_sys_enter, EventKind::syscall);
        break;
      case TraceEvent::sys_enter_sleep:
        as(Decode::timer_syscall, EventKind::timer_sleep);
        break;
      case TraceEvent::hrtimer_start:
        // Kernels before the timer fields were traced still give the timer-sleep marker.
        d.f.hrtimer = HrtimerRefs{field("function"), field("hrtimer", false),
                                  field("softexpires", false), field("expires", false), FieldRef{}};
        as(Decode::hrtimer_start, EventKind::timer_sleep);
        break;
      case TraceEvent::hrtimer_cancel:
      case TraceEvent::hrtimer_expire_entry:
      case TraceEvent::hrtimer_expire_exit:
        d.f.hrtimer =
            HrtimerRefs{FieldRef{}, field("hrtimer"), FieldRef{}, FieldRef{},
                        known == TraceEvent::hrtimer_expire_entry ? field("now") : FieldRef{}};
        as(Decode::hrtimer, known == TraceEvent::hrtimer_cancel ? EventKind::hrtimer_cancel
                            : known == TraceEvent::hrtimer_expire_entry
                                ? EventKind::hrtimer_expire_entry
                                : EventKind::hrtimer_expire_exit);
        break;
      case TraceEvent::irq_handler_entry:
      case TraceEvent::irq_threaded_handler_entry:
        d.f.irq = IrqRefs{field("irq"), field("name", false), FieldRef{}};
        as(Decode::irq_entry, known == TraceEvent::irq_handler_entry ? EventKind::irq_entry
                                                                     : EventKind::irq_thread_entry);
        break;
      case TraceEvent::irq_handler_exit:
      case TraceEvent::irq_threaded_handler_exit:
        d.f.irq = IrqRefs{field("irq"), FieldRef{}, field("ret", false)};
        as(Decode::irq_exit, known == TraceEvent::irq_handler_exit ? EventKind::irq_exit
                                                                   : EventKind::irq_thread_exit);
        break;
      case TraceEvent::softirq_entry:
      case TraceEvent::softirq_exit:
        d.f.softirq = SoftirqRefs{field("vec")};
        as(Decode::softirq,
           known == TraceEvent::softirq_entry ? EventKind::softirq_entry : EventKind::softirq_exit);
        break;
      case TraceEvent::cpu_idle:
        d.f.idle = IdleRefs{field("state")};
        as(Decode::cpu_idle, EventKind::cpu_idle);
        break;
      case TraceEvent::irq_disable:
      case TraceEvent::irq_enable:
        d.f.irqs = IrqsRefs{field("caller_offs")};
        as(Decode::irqs,
           known == TraceEvent::irq_disable ? EventKind::irqs_off : EventKind::irqs_on);
        break;
      case TraceEvent::other:
      case TraceEvent::sys_enter_other:
        break;
    }
    d.min_size = min;
    t.events[static_cast<std::size_t>(ev->id)] = d;
  }
  t.common_std = std_host && have_common && t.common_type.offset == 0 && t.common_type.size == 2 &&
                 t.common_pid.offset == 4 && t.common_pid.size == 4 && t.common_pid.is_signed;
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
