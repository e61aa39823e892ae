// Decoding the payload of the events the engine knows, in every form the text formats print:
// trace-cmd's plugin form ("comm:pid [prio] S ==> comm:pid [prio]"), the kernel's print fmt
// ("prev_comm=... prev_state=S ==> ..."), and `trace-cmd report -R` raw fields ("prev_state=256").
// Decoders return nullptr on success or a static description of what is wrong: no allocation.
#pragma once

#include <cstdint>
#include <string_view>

#include "rtlat/detail/text/scan.hpp"
#include "rtlat/detail/vocabulary.hpp"
#include "rtlat/event.hpp"
#include "rtlat/prev_state.hpp"
#include "rtlat/syscalls.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {
namespace text {

// The event an event-name column names. Text traces print no system, so any system matches;
// the names come from the one vocabulary. Comparing lengths first keeps this a few integer
// compares per line for the names that are not the line's.
inline TraceEvent classify_event(std::string_view n) noexcept {
  for (const TraceEventName& k : known_events)
    if (k.name.size() == n.size() && k.name == n) return k.event;
  if (starts_with(n, "sys_enter_")) return TraceEvent::sys_enter_other;
  return TraceEvent::other;
}

struct EventHead {
  Timestamp ts;
  std::uint16_t cpu;
  Pid common_pid;
};

// Letters carry no raw value; prev_state_raw gets the 4.14+ report bits so displays stay
// consistent with raw input (S 0x1, D 0x2, T 0x4, t 0x8, X 0x10, Z 0x20, P 0x40, I 0x80, + 0x100).
inline std::uint32_t raw_from_letters(std::string_view s) noexcept {
  std::uint32_t raw = 0;
  for (const char c : s) {
    switch (c) {
      case 'S':
        raw |= 0x1u;
        break;
      case 'D':
        raw |= 0x2u;
        break;
      case 'T':
        raw |= 0x4u;
        break;
      case 't':
        raw |= 0x8u;
        break;
      case 'X':
        raw |= 0x10u;
        break;
      case 'Z':
        raw |= 0x20u;
        break;
      case 'P':
        raw |= 0x40u;
        break;
      case 'I':
        raw |= 0x80u;
        break;
      case '+':
        raw |= 0x100u;
        break;
      default:
        break;
    }
  }
  return raw;
}

inline bool decode_prev_state(std::string_view tok, const PrevStateDecoder& dec, PrevState& st,
                              std::uint32_t& raw) noexcept {
  std::uint64_t v = 0;
  if (parse_u64(tok, v)) {
    if (v > 0xffffffffu) return false;
    raw = static_cast<std::uint32_t>(v);
    st = dec.decode(raw);
    return true;
  }
  if (!prev_state_from_letters(tok, st)) return false;
  raw = raw_from_letters(tok);
  return true;
}

// "comm:pid [prio]" from the end: the pid follows the LAST ':' (comms like "kworker/0:1").
inline bool parse_comm_pid_prio(std::string_view s, std::string_view& comm, Pid& pid,
                                std::int16_t& prio) noexcept {
  s = trim(s);
  if (s.empty() || s.back() != ']') return false;
  const std::size_t lb = s.rfind('[');
  if (lb == std::string_view::npos || !parse_int(s.substr(lb + 1, s.size() - lb - 2), prio))
    return false;
  const std::string_view cp = trim_right(s.substr(0, lb));
  const std::size_t colon = cp.rfind(':');
  if (colon == std::string_view::npos || !parse_pid(cp.substr(colon + 1), pid)) return false;
  comm = cp.substr(0, colon);
  return true;
}

inline const char* decode_switch(std::string_view p, const EventHead& h,
                                 const PrevStateDecoder& dec, Event& out) noexcept {
  std::string_view prev_comm, next_comm, state;
  Pid prev_pid = 0, next_pid = 0;
  std::int16_t prev_prio = 0, next_prio = 0;
  if (starts_with(p, "prev_comm=")) {
    std::size_t at = 0;
    if (!key_text(p, "prev_comm=", "prev_pid=", prev_comm, at)) return "no prev_pid";
    if (!key_pid(p, "prev_pid=", prev_pid, at)) return "bad prev_pid";
    if (!key_int(p, "prev_prio=", prev_prio, at)) return "bad prev_prio";
    const std::size_t sp = find_key(p, "prev_state=", at);
    if (sp == std::string_view::npos) return "no prev_state";
    state = token_at(p, sp);
    if (!key_text(p, "next_comm=", "next_pid=", next_comm, at, sp)) return "no next_comm/next_pid";
    if (!key_pid(p, "next_pid=", next_pid, at)) return "bad next_pid";
    if (!key_int(p, "next_prio=", next_prio, at)) return "bad next_prio";
  } else {
    const std::size_t arrow = p.find(" ==> ");
    if (arrow == std::string_view::npos) return "no \" ==> \"";
    const std::string_view left = trim_right(p.substr(0, arrow));
    const std::size_t sp = left.rfind(' ');
    if (sp == std::string_view::npos) return "no prev_state";
    state = left.substr(sp + 1);
    if (!parse_comm_pid_prio(left.substr(0, sp), prev_comm, prev_pid, prev_prio))
      return "expected \"prev_comm:prev_pid [prio] STATE\"";
    if (!parse_comm_pid_prio(p.substr(arrow + 5), next_comm, next_pid, next_prio))
      return "expected \"next_comm:next_pid [prio]\" after \" ==> \"";
  }
  PrevState st = PrevState::runnable;
  std::uint32_t raw = 0;
  if (!decode_prev_state(state, dec, st, raw)) return "bad prev_state";
  out = Event::make_switch(h.ts, h.cpu, h.common_pid, prev_pid, prev_comm, prev_prio, st, raw,
                           next_pid, next_comm, next_prio);
  return nullptr;
}

// sched_wakeup, sched_wakeup_new, sched_waking.
inline const char* decode_wakeup(EventKind kind, std::string_view p, const EventHead& h,
                                 Event& out) noexcept {
  std::string_view comm;
  Pid pid = 0;
  std::int16_t prio = 0, target = -1;
  if (starts_with(p, "comm=")) {
    std::size_t at = 0;
    if (!key_text(p, "comm=", "pid=", comm, at)) return "no pid";
    if (!key_pid(p, "pid=", pid, at)) return "bad pid";
    if (!key_int(p, "prio=", prio, at)) return "bad prio";
    const std::size_t t = find_key(p, "target_cpu=", at);
    if (t != std::string_view::npos && !parse_cpu(token_at(p, t), target)) return "bad target_cpu";
  } else {
    // trace-cmd: "comm:pid [prio] CPU:000", older versions "comm:pid [prio] success=1 CPU:000".
    std::string_view s = trim_right(p);
    for (int i = 0; i < 2; ++i) {
      const std::size_t sp = s.rfind(' ');
      if (sp == std::string_view::npos) break;
      const std::string_view tok = s.substr(sp + 1);
      if (starts_with(tok, "CPU:")) {
        if (!parse_cpu(tok.substr(4), target)) return "bad CPU:";
      } else if (!starts_with(tok, "success=")) {
        break;
      }
      s = trim_right(s.substr(0, sp));
    }
    if (!parse_comm_pid_prio(s, comm, pid, prio)) return "expected \"comm:pid [prio]\"";
  }
  out = Event::make_wakeup(kind, h.ts, h.cpu, h.common_pid, pid, comm, prio, target);
  return nullptr;
}

inline const char* decode_exit(std::string_view p, const EventHead& h, Event& out) noexcept {
  std::string_view comm;
  Pid pid = 0;
  std::int16_t prio = 0;
  std::size_t at = 0;
  if (!key_text(p, "comm=", "pid=", comm, at)) return "no comm/pid";
  if (!key_pid(p, "pid=", pid, at)) return "bad pid";
  if (!key_int(p, "prio=", prio, at)) return "bad prio";
  out = Event::make_exit(h.ts, h.cpu, h.common_pid, pid, comm, prio);
  return nullptr;
}

// "comm=X pid=N child_comm=Y child_pid=M"; -R prints "parent_comm=X parent_pid=N ...".
inline const char* decode_fork(std::string_view p, const EventHead& h, Event& out) noexcept {
  std::string_view parent_comm, child_comm;
  Pid parent = 0, child = 0;
  std::size_t at = 0;
  if (starts_with(p, "parent_comm=")) {
    if (!key_text(p, "parent_comm=", "parent_pid=", parent_comm, at)) return "no parent_pid";
    if (!key_pid(p, "parent_pid=", parent, at)) return "bad parent_pid";
  } else {
    if (!key_text(p, "comm=", "pid=", parent_comm, at)) return "no pid";
    if (!key_pid(p, "pid=", parent, at)) return "bad pid";
  }
  if (!key_text(p, "child_comm=", "child_pid=", child_comm, at, at)) return "no child_pid";
  if (!key_pid(p, "child_pid=", child, at)) return "bad child_pid";
  out = Event::make_fork(h.ts, h.cpu, h.common_pid, parent, child, child_comm);
  return nullptr;
}

// raw_syscalls:sys_enter: "NR 230 (0, 1, ...)" (print fmt) or "id=230 args=ARRAY[...]" (-R).
inline const char* decode_sys_enter(std::string_view p, const EventHead& h,
                                    const TimerSleepSyscalls& sleeps, Event& out) noexcept {
  std::int64_t nr = 0;
  if (starts_with(p, "NR ")) {
    if (!parse_i64(token_at(p, 3), nr)) return "bad NR";
  } else if (!key_int(p, "id=", nr)) {
    return "no syscall number (NR or id=)";
  }
  out = sleeps.contains(nr)
            ? Event::make_timer_sleep(h.ts, h.cpu, h.common_pid, TimerSleepSource::syscall,
                                      static_cast<std::int32_t>(nr))
            : Event::make_syscall(h.ts, h.cpu, h.common_pid, nr);
  return nullptr;
}

// A timer address as %p prints it: "0xffffc900069a7b18", or hashed without the 0x.
inline bool parse_hex(std::string_view s, std::uint64_t& out) noexcept {
  if (starts_with(s, "0x")) s.remove_prefix(2);
  if (s.empty() || s.size() > 16) return false;
  std::uint64_t v = 0;
  for (const char c : s) {
    unsigned d = 0;
    if (is_digit(c))
      d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      d = static_cast<unsigned>(c - 'A' + 10);
    else
      return false;
    v = v << 4 | d;
  }
  out = v;
  return true;
}
inline bool key_hex(std::string_view p, std::string_view key, std::uint64_t& out) noexcept {
  const std::size_t at = find_key(p, key);
  return at != std::string_view::npos && parse_hex(token_at(p, at), out);
}

// function=hrtimer_wakeup, possibly "hrtimer_wakeup/0x0" or "hrtimer_wakeup+0x0/0x40": a task's
// own sleep (a timer-sleep marker); any other function: a timer start. Either carries the timer
// and its softexpires when the line has them (the timer metric needs both); a line without them
// (older hand-written traces) leaves a marker without a timer, or a plain `other` event.
inline const char* decode_hrtimer_start(std::string_view p, const EventHead& h,
                                        std::string_view name, Event& out) noexcept {
  const std::size_t f = find_key(p, "function=");
  if (f == std::string_view::npos) return "no function=";
  std::string_view fn = token_at(p, f);
  fn = fn.substr(0, fn.find_first_of("/+"));
  std::uint64_t timer = 0;
  std::int64_t soft = 0, hard = 0;
  const bool have_timer = key_hex(p, "hrtimer=", timer) && key_int(p, "softexpires=", soft);
  if (have_timer && !key_int(p, "expires=", hard)) return "bad expires=";
  if (fn == "hrtimer_wakeup") {
    out = Event::make_timer_sleep(h.ts, h.cpu, h.common_pid, TimerSleepSource::hrtimer, -1,
                                  have_timer ? timer : 0, soft);
  } else if (have_timer) {
    out =
        Event::make_hrtimer(EventKind::hrtimer_start, h.ts, h.cpu, h.common_pid, timer, soft, hard);
  } else {
    out = Event::make_other(h.ts, h.cpu, h.common_pid, name);
  }
  return nullptr;
}

// hrtimer_expire_entry "hrtimer=0x... function=... now=N"; _exit and hrtimer_cancel
// "hrtimer=0x...".
inline const char* decode_hrtimer(EventKind kind, std::string_view p, const EventHead& h,
                                  Event& out) noexcept {
  std::uint64_t timer = 0;
  if (!key_hex(p, "hrtimer=", timer)) return "bad hrtimer=";
  std::int64_t now = 0;
  if (kind == EventKind::hrtimer_expire_entry && !key_int(p, "now=", now)) return "bad now=";
  out = Event::make_hrtimer(kind, h.ts, h.cpu, h.common_pid, timer, 0, 0, now);
  return nullptr;
}

// "irq=N name=X" (entry) and "irq=N ret=handled|unhandled|N" (exit).
inline const char* decode_irq(EventKind kind, std::string_view p, const EventHead& h,
                              Event& out) noexcept {
  int irq = 0;
  if (!key_int(p, "irq=", irq)) return "bad irq=";
  const bool entry = kind == EventKind::irq_entry || kind == EventKind::irq_thread_entry;
  if (entry) {
    const std::size_t n = find_key(p, "name=");
    const std::string_view name =
        n == std::string_view::npos ? std::string_view{} : trim_right(p.substr(n));
    out = Event::make_irq(kind, h.ts, h.cpu, h.common_pid, irq, name);
    return nullptr;
  }
  const std::size_t r = find_key(p, "ret=");
  if (r == std::string_view::npos) return "no ret=";
  const std::string_view tok = token_at(p, r);
  int ret = 0;
  if (tok == "handled")
    ret = 1;
  else if (tok == "unhandled")
    ret = 0;
  else if (!parse_int(tok, ret))
    return "bad ret=";
  out = Event::make_irq(kind, h.ts, h.cpu, h.common_pid, irq, {}, ret);
  return nullptr;
}

// softirq_entry/exit: "vec=9 [action=RCU]".
inline const char* decode_softirq(EventKind kind, std::string_view p, const EventHead& h,
                                  Event& out) noexcept {
  std::uint32_t vec = 0;
  if (!key_int(p, "vec=", vec)) return "bad vec=";
  out = Event::make_softirq(kind, h.ts, h.cpu, h.common_pid, vec);
  return nullptr;
}

// power:cpu_idle "state=N cpu_id=C" (state 4294967295: the CPU leaves idle).
inline const char* decode_cpu_idle(std::string_view p, const EventHead& h, Event& out) noexcept {
  std::uint32_t state = 0;
  if (!key_int(p, "state=", state)) return "bad state=";
  out = Event::make_cpu_idle(h.ts, h.cpu, h.common_pid, state);
  return nullptr;
}

// preemptirq:irq_disable / irq_enable "caller=SYM+0xOFF/0xSIZE parent=SYM+...": the caller's
// symbol and offset (the function size dropped).
inline const char* decode_irqs(EventKind kind, std::string_view p, const EventHead& h,
                               Event& out) noexcept {
  const std::size_t c = find_key(p, "caller=");
  if (c == std::string_view::npos) return "no caller=";
  std::string_view caller = token_at(p, c);
  caller = caller.substr(0, caller.find('/'));
  out = Event::make_irqs(kind, h.ts, h.cpu, h.common_pid, caller);
  return nullptr;
}

// "comm=X pid=N prio=P orig_cpu=A dest_cpu=B".
inline const char* decode_migrate(std::string_view p, const EventHead& h, Event& out) noexcept {
  std::string_view comm;
  Pid pid = 0;
  std::int16_t prio = 0, orig = 0, dest = 0;
  std::size_t at = 0;
  if (!key_text(p, "comm=", "pid=", comm, at)) return "no comm/pid";
  if (!key_pid(p, "pid=", pid, at)) return "bad pid";
  if (!key_int(p, "prio=", prio, at)) return "bad prio";
  if (!parse_cpu(token_at(p, find_key(p, "orig_cpu=", at)), orig)) return "bad orig_cpu";
  if (!parse_cpu(token_at(p, find_key(p, "dest_cpu=", at)), dest)) return "bad dest_cpu";
  out = Event::make_migrate(h.ts, h.cpu, h.common_pid, pid, comm, prio, orig, dest);
  return nullptr;
}

// Decodes one event line's payload; nullptr on success, else what is wrong.
inline const char* decode_event(TraceEvent k, std::string_view name, std::string_view p,
                                const EventHead& h, const PrevStateDecoder& dec,
                                const TimerSleepSyscalls& sleeps, Event& out) noexcept {
  switch (k) {
    case TraceEvent::sched_switch:
      return decode_switch(p, h, dec, out);
    case TraceEvent::sched_wakeup:
      return decode_wakeup(EventKind::sched_wakeup, p, h, out);
    case TraceEvent::sched_wakeup_new:
      return decode_wakeup(EventKind::sched_wakeup_new, p, h, out);
    case TraceEvent::sched_waking:
      return decode_wakeup(EventKind::sched_waking, p, h, out);
    case TraceEvent::sched_process_exit:
      return decode_exit(p, h, out);
    case TraceEvent::sched_process_fork:
      return decode_fork(p, h, out);
    case TraceEvent::sched_migrate_task:
      return decode_migrate(p, h, out);
    case TraceEvent::raw_sys_enter:
      return decode_sys_enter(p, h, sleeps, out);
    case TraceEvent::sys_enter_sleep:
      out = Event::make_timer_sleep(h.ts, h.cpu, h.common_pid, TimerSleepSource::syscall, -1);
      return nullptr;
    case TraceEvent::sys_enter_other:
      out = Event::make_syscall(h.ts, h.cpu, h.common_pid, -1);
      return nullptr;
    case TraceEvent::hrtimer_start:
      return decode_hrtimer_start(p, h, name, out);
    case TraceEvent::hrtimer_cancel:
      return decode_hrtimer(EventKind::hrtimer_cancel, p, h, out);
    case TraceEvent::hrtimer_expire_entry:
      return decode_hrtimer(EventKind::hrtimer_expire_entry, p, h, out);
    case TraceEvent::hrtimer_expire_exit:
      return decode_hrtimer(EventKind::hrtimer_expire_exit, p, h, out);
    case TraceEvent::irq_handler_entry:
      return decode_irq(EventKind::irq_entry, p, h, out);
    case TraceEvent::irq_handler_exit:
      return decode_irq(EventKind::irq_exit, p, h, out);
    case TraceEvent::irq_threaded_handler_entry:
      return decode_irq(EventKind::irq_thread_entry, p, h, out);
    case TraceEvent::irq_threaded_handler_exit:
      return decode_irq(EventKind::irq_thread_exit, p, h, out);
    case TraceEvent::softirq_entry:
      return decode_softirq(EventKind::softirq_entry, p, h, out);
    case TraceEvent::softirq_exit:
      return decode_softirq(EventKind::softirq_exit, p, h, out);
    case TraceEvent::cpu_idle:
      return decode_cpu_idle(p, h, out);
    case TraceEvent::irq_disable:
      return decode_irqs(EventKind::irqs_off, p, h, out);
    case TraceEvent::irq_enable:
      return decode_irqs(EventKind::irqs_on, p, h, out);
    case TraceEvent::other:
      break;
  }
  out = Event::make_other(h.ts, h.cpu, h.common_pid, name);
  return nullptr;
}

}  // namespace text
}  // namespace detail
}  // namespace v1
}  // namespace rtlat
