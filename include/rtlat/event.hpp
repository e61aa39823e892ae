/// @file
/// The typed events every source produces and the engine consumes.
///
/// One fixed 64-byte struct for all kinds: sources fill it without allocating, the engine copies
/// it into bounded per-CPU history rings by value, and a cache line holds exactly one event.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "rtlat/detail/vocabulary.hpp"

namespace rtlat {
inline namespace v1 {

/// A point in time: nanoseconds on the trace clock (whatever clock the trace was recorded with;
/// only differences between timestamps of one trace mean anything).
using Timestamp = std::int64_t;
/// A kernel task id (a thread's pid; 0 is the idle task, negative means "none" or "unknown").
using Pid = std::int32_t;

/// CPU numbers at or above this are corrupt input, in every source and in the engine: no Linux
/// kernel supports more (NR_CPUS is at most 8192), and Event::cpu must hold every valid one.
inline constexpr std::size_t max_cpus = 8192;

/// A task or event name, stored inline like the kernel's TASK_COMM_LEN buffer: comm strings
/// never cost an allocation. Longer names (irq handler names, generic event names) are truncated
/// to 15 bytes. Trivially copyable; compared bytewise.
struct Comm {
  static constexpr std::size_t capacity = 16;  ///< bytes, the terminating NUL included
  char data[capacity];  ///< NUL-terminated unless all 16 bytes are used (never, via from())

  /// Effects: a Comm holding the first 15 bytes of `s`, zero-padded (a cut may split a UTF-8
  /// character; the JSON report writes U+FFFD for its bytes). Complexity: O(1). Throws: nothing.
  static Comm from(std::string_view s) noexcept {
    Comm c{};
    const std::size_t n = s.size() < capacity - 1 ? s.size() : capacity - 1;
    if (n != 0) std::memcpy(c.data, s.data(), n);
    return c;
  }
  /// The name up to its NUL, viewing this object's storage (valid while it lives).
  std::string_view view() const noexcept {
    std::size_t n = 0;
    while (n < capacity && data[n] != '\0') ++n;
    return std::string_view(data, n);
  }
  /// True when no name is known.
  bool empty() const noexcept { return data[0] == '\0'; }
  /// All 16 bytes equal (from() zero-pads, so this is name equality).
  friend bool operator==(const Comm& a, const Comm& b) noexcept {
    return std::memcmp(a.data, b.data, capacity) == 0;
  }
  /// Not operator==.
  friend bool operator!=(const Comm& a, const Comm& b) noexcept { return !(a == b); }
};
static_assert(sizeof(Comm) == 16 && std::is_trivially_copyable_v<Comm>);

/// What an Event is, and so which member of its payload union is valid (noted per kind).
enum class EventKind : std::uint8_t {
  sched_switch,      ///< sched:sched_switch (Event::sw, Event::prev_state)
  sched_wakeup,      ///< sched:sched_wakeup (Event::wakeup)
  sched_wakeup_new,  ///< sched:sched_wakeup_new, a new task's first wakeup (Event::wakeup)
  sched_waking,      ///< sched:sched_waking, issued on the waker's CPU (Event::wakeup)
  process_exit,      ///< sched:sched_process_exit (Event::wakeup, target_cpu -1)
  process_fork,      ///< sched:sched_process_fork (Event::fork)
  timer_sleep,       ///< the task is about to sleep on a timer (Event::timer; see TimerSleepSource)
  syscall,  ///< a traced syscall entry that is not a timer sleep: proves syscalls are traced
            ///< (Event::sys)
  irq_thread_entry,  ///< irq:irq_threaded_handler_entry, common_pid is the IRQ thread (Event::irq)
  irq_thread_exit,   ///< irq:irq_threaded_handler_exit (Event::irq)
  irq_entry,         ///< irq:irq_handler_entry, a hard IRQ (Event::irq)
  irq_exit,          ///< irq:irq_handler_exit (Event::irq)
  softirq_entry,     ///< irq:softirq_entry (Event::softirq)
  softirq_exit,      ///< irq:softirq_exit (Event::softirq)
  migrate,  ///< sched:sched_migrate_task: a task moved to another CPU's runqueue (Event::migrate)
  lost_events,  ///< the source lost events on this CPU just before this point (Event::lost)
  other,  ///< any other event: only its common_pid and CPU matter to the engine (Event::other)
  hrtimer_start,   ///< timer:hrtimer_start of any timer but a task's own sleep (Event::hrtimer)
  hrtimer_cancel,  ///< timer:hrtimer_cancel (Event::hrtimer, timer only)
  hrtimer_expire_entry,  ///< timer:hrtimer_expire_entry, its handler starts (Event::hrtimer)
  hrtimer_expire_exit,   ///< timer:hrtimer_expire_exit (Event::hrtimer, timer only)
  cpu_idle,  ///< power:cpu_idle: the CPU enters an idle state, or leaves it (Event::idle)
  irqs_off,  ///< preemptirq:irq_disable: interrupts go off on the CPU (Event::irqs)
  irqs_on,   ///< preemptirq:irq_enable: they come back on (Event::irqs)
};
/// The number of EventKind values.
inline constexpr int event_kind_count = 24;

/// What a sched_switch's prev_state means, decided by the source from the event's own format
/// (kernels differ in the bit that marks preemption: 0x100 on 4.14+/6.x, 0x800 or 0x80 before).
enum class PrevState : std::uint8_t {
  runnable,   ///< "R": switched out without sleeping (yield, or woken before it could sleep)
  preempted,  ///< "R+": involuntary
  sleeping,   ///< S or I: voluntary interruptible / idle sleep
  blocked,    ///< D (any uninterruptible state, including parked / K / W)
  stopped,    ///< T, t
  dead,       ///< X, Z
};
/// True for a switch-out that ends response and relief: the task chose to sleep (sleeping,
/// blocked or stopped).
constexpr bool is_voluntary_sleep(PrevState s) noexcept {
  return s == PrevState::sleeping || s == PrevState::blocked || s == PrevState::stopped;
}

/// Which recorded event a timer-sleep marker came from.
enum class TimerSleepSource : std::uint8_t {
  syscall,  ///< raw_syscalls:sys_enter nanosleep/clock_nanosleep[_time64], syscalls:sys_enter_*
  hrtimer,  ///< timer:hrtimer_start function=hrtimer_wakeup issued by the task itself
};

/// The payload of EventKind::sched_switch. Prios are kernel prios (lower is more urgent).
struct SwitchFields {
  Pid prev_pid;                  ///< the task switched out
  Pid next_pid;                  ///< the task switched in (0: the CPU goes idle)
  std::int16_t prev_prio;        ///< prev's kernel prio
  std::int16_t next_prio;        ///< next's kernel prio
  std::uint32_t prev_state_raw;  ///< as recorded, for display; the meaning is in Event::prev_state
  Comm prev_comm;                ///< prev's comm
  Comm next_comm;                ///< next's comm
};
/// The payload of sched_wakeup, sched_wakeup_new, sched_waking and process_exit: the task the
/// event is about (Event::common_pid is whoever issued it: for a wakeup, the waker).
struct WakeupFields {
  Pid pid;                  ///< the task woken (or exiting)
  std::int16_t prio;        ///< its kernel prio
  std::int16_t target_cpu;  ///< the CPU whose runqueue it goes to; -1 when unknown (process_exit)
  Comm comm;                ///< its comm
};
/// The payload of EventKind::process_fork.
struct ForkFields {
  Pid parent_pid;   ///< the forking task
  Pid child_pid;    ///< the new task
  Comm child_comm;  ///< the new task's comm (the parent's, until it execs)
};
/// The payload of EventKind::timer_sleep. The sleeping task is Event::common_pid.
struct TimerSleepFields {
  TimerSleepSource source;   ///< the event that carried the marker
  std::int32_t syscall_nr;   ///< raw sys_enter's syscall number; -1 for hrtimer and
                             ///< syscalls:sys_enter_* markers
  std::uint64_t hrtimer;     ///< hrtimer markers: the timer's address (0 for syscall markers)
  std::int64_t softexpires;  ///< hrtimer markers: the requested expiry, in the timer's clock
};
/// The payload of the hrtimer_* kinds. Times are in the timer's clock (CLOCK_MONOTONIC for
/// sleeps), which need not be the trace clock.
struct HrtimerFields {
  std::uint64_t hrtimer;     ///< the timer's address: what identifies it
  std::int64_t softexpires;  ///< hrtimer_start: the requested expiry (the earliest it may fire)
  std::int64_t expires;      ///< hrtimer_start: the latest it should fire (softexpires + slack)
  std::int64_t now;          ///< hrtimer_expire_entry: the timer clock when its handler ran
};
/// The payload of EventKind::syscall.
struct SyscallFields {
  std::int64_t nr;  ///< the syscall number (architecture-specific); -1 for a
                    ///< syscalls:sys_enter_* event, whose name says which it is
};
/// The payload of irq_entry / irq_exit and irq_thread_entry / irq_thread_exit.
struct IrqFields {
  std::int32_t irq;  ///< the IRQ number
  std::int32_t ret;  ///< exit only: 1 handled, 0 unhandled
  Comm name;         ///< entry only: the handler's name; empty when the event does not carry it
};
/// The payload of softirq_entry / softirq_exit.
struct SoftirqFields {
  std::uint32_t vec;  ///< HI, TIMER, NET_TX, NET_RX, BLOCK, IRQ_POLL, TASKLET, SCHED, HRTIMER,
                      ///< RCU (0..9)
};
/// The payload of EventKind::migrate.
struct MigrateFields {
  Pid pid;                ///< the task moved
  std::int16_t prio;      ///< its kernel prio
  std::int16_t orig_cpu;  ///< the runqueue it left
  std::int16_t dest_cpu;  ///< the runqueue it joins
  Comm comm;              ///< its comm
};
/// The payload of EventKind::lost_events.
struct LostFields {
  std::uint64_t count;  ///< events lost; 0 when the source only knows that something was lost
};
/// The payload of EventKind::cpu_idle.
struct IdleFields {
  /// The state entered (the driver's index: 0 is the shallowest); idle_exit when leaving.
  std::uint32_t state;
  static constexpr std::uint32_t idle_exit = 0xffffffffu;  ///< the kernel's PWR_EVENT_EXIT
};
/// The payload of irqs_off / irqs_on: where in the kernel interrupts went off or on.
struct IrqsFields {
  char caller[44];  ///< the caller's symbol ("_raw_spin_lock_irqsave+0x1a"), NUL-padded
  /// The caller as a string (empty when not recorded).
  std::string_view caller_view() const noexcept {
    std::size_t n = 0;
    while (n < sizeof caller && caller[n] != '\0') ++n;
    return {caller, n};
  }
};
/// The payload of EventKind::other.
struct OtherFields {
  std::uint32_t type_id;  ///< source-specific event id, 0 when unknown
  Comm name;              ///< the event's name, truncated to 15 bytes
  /// True when common_pid proves nothing about who runs on the CPU: a stack trace
  /// (ftrace:kernel_stack, ftrace:user_stack) is recorded in the context of the event before
  /// it, which may be a switch that already put another task there; an event from NMI context
  /// may land between a switch's record and the switch itself. The engine takes no implicit
  /// switch from it.
  bool detached;
};

/// One trace event: a common header and a payload chosen by `kind`. Build one with the make_*
/// functions, which zero the whole struct first (so copies and comparisons of unused payload
/// bytes are deterministic) and narrow prios and CPUs to the payload's 16-bit fields.
///
/// Aligned to a cache line: batches, rings and copies never split an event across two lines.
/// Trivially copyable, 64 bytes.
struct alignas(64) Event {
  Timestamp ts;          ///< when it was recorded
  Pid common_pid;        ///< the task running on `cpu` when it was recorded (-1: none known)
  std::uint16_t cpu;     ///< the CPU that recorded it (below max_cpus)
  EventKind kind;        ///< which payload member is valid
  PrevState prev_state;  ///< sched_switch only: what prev's state means (see PrevStateDecoder)
  /// The payload; only the member `kind` names is valid.
  union {
    SwitchFields sw;         ///< sched_switch
    WakeupFields wakeup;     ///< sched_wakeup, sched_wakeup_new, sched_waking, process_exit
    ForkFields fork;         ///< process_fork
    TimerSleepFields timer;  ///< timer_sleep
    SyscallFields sys;       ///< syscall
    IrqFields irq;           ///< irq_entry, irq_exit, irq_thread_entry, irq_thread_exit
    SoftirqFields softirq;   ///< softirq_entry, softirq_exit
    MigrateFields migrate;   ///< migrate
    LostFields lost;         ///< lost_events
    OtherFields other;       ///< other
    HrtimerFields hrtimer;   ///< hrtimer_start, hrtimer_cancel, hrtimer_expire_entry, _exit
    IdleFields idle;         ///< cpu_idle
    IrqsFields irqs;         ///< irqs_off, irqs_on
  };

  /// @name Construction
  /// Each returns a zeroed Event of one kind with the given fields; comms are truncated as by
  /// Comm::from(). Complexity: O(1). Throws: nothing.
  /// @{

  /// A sched_switch on `cpu` from `prev_pid` to `next_pid`; `prev_state` is the decoded
  /// meaning of `prev_state_raw` (PrevStateDecoder, prev_state_from_letters()).

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
  /// A wakeup of `pid` towards `target_cpu`'s runqueue. `kind`: sched_wakeup,
  /// sched_wakeup_new, sched_waking or process_exit.
  static Event make_wakeup(EventKind kind, Timestamp ts, std::uint16_t cpu, Pid common_pid, Pid pid,
                           std::string_view comm, int prio, int target_cpu) noexcept {
    Event e = head(ts, cpu, common_pid, kind);
    e.wakeup.pid = pid;
    e.wakeup.prio = static_cast<std::int16_t>(prio);
    e.wakeup.target_cpu = static_cast<std::int16_t>(target_cpu);
    e.wakeup.comm = Comm::from(comm);
    return e;
  }
  /// A sched_process_exit of `pid` (a wakeup-shaped payload, target_cpu -1).
  static Event make_exit(Timestamp ts, std::uint16_t cpu, Pid common_pid, Pid pid,
                         std::string_view comm, int prio) noexcept {
    return make_wakeup(EventKind::process_exit, ts, cpu, common_pid, pid, comm, prio, -1);
  }
  /// A sched_process_fork of `child_pid` by `parent_pid`.
  static Event make_fork(Timestamp ts, std::uint16_t cpu, Pid common_pid, Pid parent_pid,
                         Pid child_pid, std::string_view child_comm) noexcept {
    Event e = head(ts, cpu, common_pid, EventKind::process_fork);
    e.fork.parent_pid = parent_pid;
    e.fork.child_pid = child_pid;
    e.fork.child_comm = Comm::from(child_comm);
    return e;
  }
  /// A timer-sleep marker issued by `common_pid`; `syscall_nr` -1 for hrtimer and
  /// syscalls:sys_enter_* markers; `hrtimer` and `softexpires` for hrtimer markers.
  static Event make_timer_sleep(Timestamp ts, std::uint16_t cpu, Pid common_pid,
                                TimerSleepSource src, std::int32_t syscall_nr = -1,
                                std::uint64_t hrtimer = 0, std::int64_t softexpires = 0) noexcept {
    Event e = head(ts, cpu, common_pid, EventKind::timer_sleep);
    e.timer.source = src;
    e.timer.syscall_nr = syscall_nr;
    e.timer.hrtimer = hrtimer;
    e.timer.softexpires = softexpires;
    return e;
  }
  /// An hrtimer event. `kind`: hrtimer_start (with `softexpires` and `expires`),
  /// hrtimer_cancel, hrtimer_expire_entry (with `now`) or hrtimer_expire_exit.
  static Event make_hrtimer(EventKind kind, Timestamp ts, std::uint16_t cpu, Pid common_pid,
                            std::uint64_t hrtimer, std::int64_t softexpires = 0,
                            std::int64_t expires = 0, std::int64_t now = 0) noexcept {
    Event e = head(ts, cpu, common_pid, kind);
    e.hrtimer.hrtimer = hrtimer;
    e.hrtimer.softexpires = softexpires;
    e.hrtimer.expires = expires;
    e.hrtimer.now = now;
    return e;
  }
  /// A syscall entry by `common_pid` that is not a timer sleep.
  static Event make_syscall(Timestamp ts, std::uint16_t cpu, Pid common_pid,
                            std::int64_t nr) noexcept {
    Event e = head(ts, cpu, common_pid, EventKind::syscall);
    e.sys.nr = nr;
    return e;
  }
  /// An IRQ handler entry or exit. `kind`: irq_entry, irq_exit, irq_thread_entry or
  /// irq_thread_exit; `name` for entries, `ret` for exits.
  static Event make_irq(EventKind kind, Timestamp ts, std::uint16_t cpu, Pid common_pid, int irq,
                        std::string_view name = {}, int ret = 1) noexcept {
    Event e = head(ts, cpu, common_pid, kind);
    e.irq.irq = irq;
    e.irq.ret = ret;
    e.irq.name = Comm::from(name);
    return e;
  }
  /// A softirq entry or exit of vector `vec`. `kind`: softirq_entry or softirq_exit.
  static Event make_softirq(EventKind kind, Timestamp ts, std::uint16_t cpu, Pid common_pid,
                            std::uint32_t vec) noexcept {
    Event e = head(ts, cpu, common_pid, kind);
    e.softirq.vec = vec;
    return e;
  }
  /// A sched_migrate_task of `pid` from `orig_cpu`'s runqueue to `dest_cpu`'s.
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
  /// A loss of `count` events (0: unknown how many) on `cpu` just before `ts`; common_pid -1.
  static Event make_lost(Timestamp ts, std::uint16_t cpu, std::uint64_t count) noexcept {
    Event e = head(ts, cpu, -1, EventKind::lost_events);
    e.lost.count = count;
    return e;
  }
  /// A power:cpu_idle on `cpu`: `state` entered, or IdleFields::idle_exit.
  static Event make_cpu_idle(Timestamp ts, std::uint16_t cpu, Pid common_pid,
                             std::uint32_t state) noexcept {
    Event e = head(ts, cpu, common_pid, EventKind::cpu_idle);
    e.idle.state = state;
    return e;
  }
  /// A preemptirq:irq_disable (`kind` irqs_off) or irq_enable (irqs_on) recorded at `caller`
  /// (truncated to 43 bytes).
  static Event make_irqs(EventKind kind, Timestamp ts, std::uint16_t cpu, Pid common_pid,
                         std::string_view caller) noexcept {
    Event e = head(ts, cpu, common_pid, kind);
    const std::size_t cap = sizeof e.irqs.caller - 1;
    const std::size_t n = caller.size() < cap ? caller.size() : cap;
    for (std::size_t i = 0; i < n; ++i) e.irqs.caller[i] = caller[i];
    return e;
  }
  /// Any other event, by `name` (truncated) and the source's id for it; `detached`: see
  /// OtherFields::detached.
  static Event make_other(Timestamp ts, std::uint16_t cpu, Pid common_pid, std::string_view name,
                          std::uint32_t type_id = 0, bool detached = false) noexcept {
    Event e = head(ts, cpu, common_pid, EventKind::other);
    e.other.type_id = type_id;
    e.other.name = Comm::from(name);
    e.other.detached = detached;
    return e;
  }
  /// @}

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

/// The ftrace name of an event kind ("sched_switch", "irq_handler_entry", ...; "timer_sleep",
/// "lost_events" and "other" for the kinds that are not one event). For `other` and
/// `timer_sleep`, reports print the stored name / marker source instead (event_display_name()).
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
    case EventKind::hrtimer_start:
      return detail::event_name(TraceEvent::hrtimer_start);
    case EventKind::hrtimer_cancel:
      return detail::event_name(TraceEvent::hrtimer_cancel);
    case EventKind::hrtimer_expire_entry:
      return detail::event_name(TraceEvent::hrtimer_expire_entry);
    case EventKind::hrtimer_expire_exit:
      return detail::event_name(TraceEvent::hrtimer_expire_exit);
    case EventKind::cpu_idle:
      return detail::event_name(TraceEvent::cpu_idle);
    case EventKind::irqs_off:
      return detail::event_name(TraceEvent::irq_disable);
    case EventKind::irqs_on:
      return detail::event_name(TraceEvent::irq_enable);
  }
  return "?";
}

/// Letters the kernel prints for a prev_state class ("R", "R+", "S", "D", "T", "X").
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
