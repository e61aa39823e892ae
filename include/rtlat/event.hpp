// The typed events every source produces and the engine consumes.
//
// One fixed 64-byte struct for all kinds: sources fill it without allocating, the engine copies it
// into bounded per-CPU history rings by value, and a cache line holds exactly one event.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "rtlat/detail/vocabulary.hpp"

namespace rtlat {
inline namespace v1 {

using Timestamp = std::int64_t;  // nanoseconds, trace clock
using Pid = std::int32_t;

// CPU numbers at or above this are corrupt input, in every source and in the engine: no Linux
// kernel supports more (NR_CPUS is at most 8192), and Event::cpu must hold every valid one.
inline constexpr std::size_t max_cpus = 8192;

// A task or event name, stored inline like the kernel's TASK_COMM_LEN buffer: comm strings never
// cost an allocation. Longer names (irq handler names, generic event names) are truncated to 15.
struct Comm {
  static constexpr std::size_t capacity = 16;
  char data[capacity];

  static Comm from(std::string_view s) noexcept {
    Comm c{};
    const std::size_t n = s.size() < capacity - 1 ? s.size() : capacity - 1;
    if (n != 0) std::memcpy(c.data, s.data(), n);
    return c;
  }
  std::string_view view() const noexcept {
    std::size_t n = 0;
    while (n < capacity && data[n] != '\0') ++n;
    return std::string_view(data, n);
  }
  bool empty() const noexcept { return data[0] == '\0'; }
  friend bool operator==(const Comm& a, const Comm& b) noexcept {
    return std::memcmp(a.data, b.data, capacity) == 0;
  }
  friend bool operator!=(const Comm& a, const Comm& b) noexcept { return !(a == b); }
};
static_assert(sizeof(Comm) == 16 && std::is_trivially_copyable_v<Comm>);

enum class EventKind : std::uint8_t {
  sched_switch,
  sched_wakeup,
  sched_wakeup_new,
  sched_waking,
  process_exit,
  process_fork,
  timer_sleep,  // the task is about to sleep on a timer (see TimerSleepSource)
  syscall,      // a traced syscall entry that is not a timer sleep (proves syscalls are traced)
  irq_thread_entry,  // irq:irq_threaded_handler_entry, common_pid is the IRQ thread
  irq_thread_exit,   // irq:irq_threaded_handler_exit
  irq_entry,         // irq:irq_handler_entry (hard IRQ)
  irq_exit,          // irq:irq_handler_exit
  softirq_entry,     // irq:softirq_entry
  softirq_exit,      // irq:softirq_exit
  migrate,           // sched:sched_migrate_task: a task moved to another CPU's runqueue
  lost_events,       // the source lost events on this CPU just before this point
  other,             // any other event: only its common_pid and CPU matter to the engine
};
inline constexpr int event_kind_count = 17;

// What a sched_switch's prev_state means, decided by the source from the event's own format
// (kernels differ in the bit that marks preemption: 0x100 on 4.14+/6.x, 0x800 or 0x80 before).
enum class PrevState : std::uint8_t {
  runnable,   // "R": switched out without sleeping (yield, or woken before it could sleep)
  preempted,  // "R+": involuntary
  sleeping,   // S or I: voluntary interruptible / idle sleep
  blocked,    // D (any uninterruptible state, including parked / K / W)
  stopped,    // T, t
  dead,       // X, Z
};
// A switch-out that ends response/relief: the task chose to sleep.
constexpr bool is_voluntary_sleep(PrevState s) noexcept {
  return s == PrevState::sleeping || s == PrevState::blocked || s == PrevState::stopped;
}

enum class TimerSleepSource : std::uint8_t {
  syscall,  // raw_syscalls:sys_enter nanosleep/clock_nanosleep[_time64], syscalls:sys_enter_*
  hrtimer,  // timer:hrtimer_start function=hrtimer_wakeup issued by the task itself
};

struct SwitchFields {
  Pid prev_pid;
  Pid next_pid;
  std::int16_t prev_prio;
  std::int16_t next_prio;
  std::uint32_t prev_state_raw;  // as recorded, for display; the meaning is in Event::prev_state
  Comm prev_comm;
  Comm next_comm;
};
struct WakeupFields {  // sched_wakeup, sched_wakeup_new, sched_waking, sched_process_exit
  Pid pid;
  std::int16_t prio;
  std::int16_t target_cpu;  // -1 when unknown (process_exit)
  Comm comm;
};
struct ForkFields {
  Pid parent_pid;
  Pid child_pid;
  Comm child_comm;
};
struct TimerSleepFields {
  TimerSleepSource source;
  std::int32_t syscall_nr;  // -1 for hrtimer and syscalls:sys_enter_* markers
};
struct SyscallFields {
  std::int64_t nr;
};
struct IrqFields {  // irq_entry/exit and irq_thread_entry/exit
  std::int32_t irq;
  std::int32_t ret;  // exit only: 1 handled, 0 unhandled
  Comm name;         // entry only; empty when the event does not carry it
};
struct SoftirqFields {  // softirq_entry/exit
  std::uint32_t vec;    // HI, TIMER, NET_TX, NET_RX, BLOCK, IRQ_POLL, TASKLET, SCHED, HRTIMER, RCU
};
struct MigrateFields {
  Pid pid;
  std::int16_t prio;
  std::int16_t orig_cpu;
  std::int16_t dest_cpu;
  Comm comm;
};
struct LostFields {
  std::uint64_t count;  // 0 when the source only knows that something was lost
};
struct OtherFields {
  std::uint32_t type_id;  // source-specific event id, 0 when unknown
  Comm name;              // event name, truncated
};

// Aligned to a cache line: batches, rings and copies never split an event across two lines.
struct alignas(64) Event {
  Timestamp ts;
  Pid common_pid;
  std::uint16_t cpu;
  EventKind kind;
  PrevState prev_state;  // sched_switch only
  union {
    SwitchFields sw;
    WakeupFields wakeup;
    ForkFields fork;
    TimerSleepFields timer;
    SyscallFields sys;
    IrqFields irq;
    SoftirqFields softirq;
    MigrateFields migrate;
    LostFields lost;
    OtherFields other;
  };

  static Event make_switch(Timestamp ts, std::uint16_t cpu, Pid common_pid, Pid prev_pid,
                           std::string_view prev_comm, int prev_prio, PrevState prev_state,
                           std::uint32_t prev_state_raw, Pid next_pid, std::string_view next_comm,
                           int next_prio) noexcept {
    Event e = head(ts, cpu, common_pid, EventKind::sched_switch);
    e.prev_state = prev_state;
    e.sw.prev_pid = prev_pid;
    e.sw.next_pid = next_pid;
    e.sw.prev_prio = static_cast<std::int16_t>(prev_prio);
    e.sw.next_prio = static_cast<std::int16_t>(next_prio);
    e.sw.prev_state_raw = prev_state_raw;
    e.sw.prev_comm = Comm::from(prev_comm);
    e.sw.next_comm = Comm::from(next_comm);
    return e;
  }
  // kind: sched_wakeup, sched_wakeup_new, sched_waking or process_exit.
  static Event make_wakeup(EventKind kind, Timestamp ts, std::uint16_t cpu, Pid common_pid, Pid pid,
                           std::string_view comm, int prio, int target_cpu) noexcept {
    Event e = head(ts, cpu, common_pid, kind);
    e.wakeup.pid = pid;
    e.wakeup.prio = static_cast<std::int16_t>(prio);
    e.wakeup.target_cpu = static_cast<std::int16_t>(target_cpu);
    e.wakeup.comm = Comm::from(comm);
    return e;
  }
  static Event make_exit(Timestamp ts, std::uint16_t cpu, Pid common_pid, Pid pid,
                         std::string_view comm, int prio) noexcept {
    return make_wakeup(EventKind::process_exit, ts, cpu, common_pid, pid, comm, prio, -1);
  }
  static Event make_fork(Timestamp ts, std::uint16_t cpu, Pid common_pid, Pid parent_pid,
                         Pid child_pid, std::string_view child_comm) noexcept {
    Event e = head(ts, cpu, common_pid, EventKind::process_fork);
    e.fork.parent_pid = parent_pid;
    e.fork.child_pid = child_pid;
    e.fork.child_comm = Comm::from(child_comm);
    return e;
  }
  static Event make_timer_sleep(Timestamp ts, std::uint16_t cpu, Pid common_pid,
                                TimerSleepSource src, std::int32_t syscall_nr = -1) noexcept {
    Event e = head(ts, cpu, common_pid, EventKind::timer_sleep);
    e.timer.source = src;
    e.timer.syscall_nr = syscall_nr;
    return e;
  }
  static Event make_syscall(Timestamp ts, std::uint16_t cpu, Pid common_pid,
                            std::int64_t nr) noexcept {
    Event e = head(ts, cpu, common_pid, EventKind::syscall);
    e.sys.nr = nr;
    return e;
  }
  // kind: irq_entry, irq_exit, irq_thread_entry or irq_thread_exit.
  static Event make_irq(EventKind kind, Timestamp ts, std::uint16_t cpu, Pid common_pid, int irq,
                        std::string_view name = {}, int ret = 1) noexcept {
    Event e = head(ts, cpu, common_pid, kind);
    e.irq.irq = irq;
    e.irq.ret = ret;
    e.irq.name = Comm::from(name);
    return e;
  }
  // kind: softirq_entry or softirq_exit.
  static Event make_softirq(EventKind kind, Timestamp ts, std::uint16_t cpu, Pid common_pid,
                            std::uint32_t vec) noexcept {
    Event e = head(ts, cpu, common_pid, kind);
    e.softirq.vec = vec;
    return e;
  }
  static Event make_migrate(Timestamp ts, std::uint16_t cpu, Pid common_pid, Pid pid,
                            std::string_view comm, int prio, int orig_cpu, int dest_cpu) noexcept {
    Event e = head(ts, cpu, common_pid, EventKind::migrate);
    e.migrate.pid = pid;
    e.migrate.prio = static_cast<std::int16_t>(prio);
    e.migrate.orig_cpu = static_cast<std::int16_t>(orig_cpu);
    e.migrate.dest_cpu = static_cast<std::int16_t>(dest_cpu);
    e.migrate.comm = Comm::from(comm);
    return e;
  }
  static Event make_lost(Timestamp ts, std::uint16_t cpu, std::uint64_t count) noexcept {
    Event e = head(ts, cpu, -1, EventKind::lost_events);
    e.lost.count = count;
    return e;
  }
  static Event make_other(Timestamp ts, std::uint16_t cpu, Pid common_pid, std::string_view name,
                          std::uint32_t type_id = 0) noexcept {
    Event e = head(ts, cpu, common_pid, EventKind::other);
    e.other.type_id = type_id;
    e.other.name = Comm::from(name);
    return e;
  }

 private:
  static Event head(Timestamp ts, std::uint16_t cpu, Pid common_pid, EventKind kind) noexcept {
    Event e;
    std::memset(static_cast<void*>(&e), 0, sizeof e);
    e.ts = ts;
    e.common_pid = common_pid;
    e.cpu = cpu;
    e.kind = kind;
    return e;
  }
};
static_assert(sizeof(Event) == 64, "Event is one cache line; keep payloads within 48 bytes");
static_assert(std::is_trivially_copyable_v<Event>);

// The ftrace name of an event kind ("sched_switch", "irq_handler_entry", ...). For `other` and
// `timer_sleep`, reports print the stored name / marker source instead.
constexpr std::string_view event_kind_name(EventKind k) noexcept {
  using detail::TraceEvent;
  switch (k) {
    case EventKind::sched_switch:
      return detail::event_name(TraceEvent::sched_switch);
    case EventKind::sched_wakeup:
      return detail::event_name(TraceEvent::sched_wakeup);
    case EventKind::sched_wakeup_new:
      return detail::event_name(TraceEvent::sched_wakeup_new);
    case EventKind::sched_waking:
      return detail::event_name(TraceEvent::sched_waking);
    case EventKind::process_exit:
      return detail::event_name(TraceEvent::sched_process_exit);
    case EventKind::process_fork:
      return detail::event_name(TraceEvent::sched_process_fork);
    case EventKind::timer_sleep:
      return "timer_sleep";
    case EventKind::syscall:
      return detail::event_name(TraceEvent::raw_sys_enter);
    case EventKind::irq_thread_entry:
      return detail::event_name(TraceEvent::irq_threaded_handler_entry);
    case EventKind::irq_thread_exit:
      return detail::event_name(TraceEvent::irq_threaded_handler_exit);
    case EventKind::irq_entry:
      return detail::event_name(TraceEvent::irq_handler_entry);
    case EventKind::irq_exit:
      return detail::event_name(TraceEvent::irq_handler_exit);
    case EventKind::softirq_entry:
      return detail::event_name(TraceEvent::softirq_entry);
    case EventKind::softirq_exit:
      return detail::event_name(TraceEvent::softirq_exit);
    case EventKind::migrate:
      return detail::event_name(TraceEvent::sched_migrate_task);
    case EventKind::lost_events:
      return "lost_events";
    case EventKind::other:
      return "other";
  }
  return "?";
}

// Letters the kernel prints for a prev_state class ("R", "R+", "S", "D", "T", "X").
constexpr std::string_view prev_state_letter(PrevState s) noexcept {
  switch (s) {
    case PrevState::runnable:
      return "R";
    case PrevState::preempted:
      return "R+";
    case PrevState::sleeping:
      return "S";
    case PrevState::blocked:
      return "D";
    case PrevState::stopped:
      return "T";
    case PrevState::dead:
      return "X";
  }
  return "?";
}

}  // namespace v1
}  // namespace rtlat
