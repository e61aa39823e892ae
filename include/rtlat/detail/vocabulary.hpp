// The one event vocabulary both readers and the reports share: which ftrace events rtlat knows,
// by system and name, and what each becomes; and the trace.dat magic. Timer-sleep syscall
// numbers live in syscalls.hpp, prev_state bits and letters in prev_state.hpp, the CPU
// limit in event.hpp: each is defined once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rtlat {
inline namespace v1 {
namespace detail {

// The ftrace events the readers decode. What a record becomes (its EventKind) can depend on
// its fields: raw sys_enter is a timer sleep only for the sleep syscalls, hrtimer_start only for
// hrtimer_wakeup.
enum class TraceEvent : std::uint8_t {
  other,  // an event rtlat does not decode: only its common_pid and CPU matter
  sched_switch,
  sched_wakeup,
  sched_wakeup_new,
  sched_waking,
  sched_process_exit,
  sched_process_fork,
  sched_migrate_task,
  raw_sys_enter,    // raw_syscalls:sys_enter: the number decides
  sys_enter_sleep,  // syscalls:sys_enter_{nanosleep,clock_nanosleep,clock_nanosleep_time64}
  sys_enter_other,  // any other syscalls:sys_enter_*
  hrtimer_start,
  hrtimer_cancel,
  hrtimer_expire_entry,
  hrtimer_expire_exit,
  irq_handler_entry,
  irq_handler_exit,
  irq_threaded_handler_entry,
  irq_threaded_handler_exit,
  softirq_entry,
  softirq_exit,
  cpu_idle,     // power:cpu_idle
  irq_disable,  // preemptirq:irq_disable
  irq_enable,   // preemptirq:irq_enable
};

struct TraceEventName {
  std::string_view system;
  std::string_view name;
  TraceEvent event;
};

inline constexpr TraceEventName known_events[] = {
    {"sched", "sched_switch", TraceEvent::sched_switch},
    {"sched", "sched_wakeup", TraceEvent::sched_wakeup},
    {"sched", "sched_wakeup_new", TraceEvent::sched_wakeup_new},
    {"sched", "sched_waking", TraceEvent::sched_waking},
    {"sched", "sched_process_exit", TraceEvent::sched_process_exit},
    {"sched", "sched_process_fork", TraceEvent::sched_process_fork},
    {"sched", "sched_migrate_task", TraceEvent::sched_migrate_task},
    {"raw_syscalls", "sys_enter", TraceEvent::raw_sys_enter},
    {"syscalls", "sys_enter_nanosleep", TraceEvent::sys_enter_sleep},
    {"syscalls", "sys_enter_clock_nanosleep", TraceEvent::sys_enter_sleep},
    {"syscalls", "sys_enter_clock_nanosleep_time64", TraceEvent::sys_enter_sleep},
    {"timer", "hrtimer_start", TraceEvent::hrtimer_start},
    {"timer", "hrtimer_cancel", TraceEvent::hrtimer_cancel},
    {"timer", "hrtimer_expire_entry", TraceEvent::hrtimer_expire_entry},
    {"timer", "hrtimer_expire_exit", TraceEvent::hrtimer_expire_exit},
    {"irq", "irq_handler_entry", TraceEvent::irq_handler_entry},
    {"irq", "irq_handler_exit", TraceEvent::irq_handler_exit},
    {"irq", "irq_threaded_handler_entry", TraceEvent::irq_threaded_handler_entry},
    {"irq", "irq_threaded_handler_exit", TraceEvent::irq_threaded_handler_exit},
    {"irq", "softirq_entry", TraceEvent::softirq_entry},
    {"irq", "softirq_exit", TraceEvent::softirq_exit},
    {"power", "cpu_idle", TraceEvent::cpu_idle},
    {"preemptirq", "irq_disable", TraceEvent::irq_disable},
    {"preemptirq", "irq_enable", TraceEvent::irq_enable},
};

// The event `system:name` names. Text traces print no system: an empty one matches any. Any
// other syscalls:sys_enter_* is sys_enter_other (it proves syscalls were traced).
constexpr TraceEvent classify_event(std::string_view system, std::string_view name) noexcept {
  for (const TraceEventName& k : known_events)
    if (k.name == name && (system.empty() || k.system == system)) return k.event;
  if ((system.empty() || system == "syscalls") && name.substr(0, 10) == "sys_enter_")
    return TraceEvent::sys_enter_other;
  return TraceEvent::other;
}

// A stack trace that trace-cmd record -T (or the stacktrace option) adds after an event: it is
// recorded in that event's context, so its common_pid says nothing of its own. Text traces
// print no system: an empty one matches.
constexpr bool is_stack_trace_event(std::string_view system, std::string_view name) noexcept {
  return (system.empty() || system == "ftrace") && (name == "kernel_stack" || name == "user_stack");
}

// The common_flags bit (and the letters of the text flags column's third character) of an event
// issued in NMI context (the kernel's TRACE_FLAG_NMI; 'z', or 'Z' for an NMI inside a hard IRQ).
inline constexpr std::uint32_t trace_flag_nmi = 0x40;
constexpr bool is_nmi_flags_column(std::string_view flags) noexcept {
  return flags.size() >= 3 && (flags[2] == 'z' || flags[2] == 'Z');
}

// The ftrace name of a known event ("" for other and sys_enter_other).
constexpr std::string_view event_name(TraceEvent e) noexcept {
  for (const TraceEventName& k : known_events)
    if (k.event == e) return k.name;
  return "";
}

// The system of a known event ("" for other).
constexpr std::string_view event_system(TraceEvent e) noexcept {
  for (const TraceEventName& k : known_events)
    if (k.event == e) return k.system;
  return e == TraceEvent::sys_enter_other ? "syscalls" : "";
}

// A trace.dat file starts with these ten bytes.
inline constexpr std::string_view tracedat_magic("\x17\x08\x44tracing", 10);

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
