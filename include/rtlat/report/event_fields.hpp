/// @file
/// How reports show one Event: its ftrace event name and its fields as name/value pairs.
///
/// Shared by the JSON and text writers so both name events and fields the same way. The values
/// are held inline (no allocation, no view into the Event) so a FieldList can outlive its Event.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>

#include "rtlat/event.hpp"
#include "rtlat/prev_state.hpp"

namespace rtlat {
inline namespace v1 {

/// One named field of an event: an integer, a short string or null (JSON's types).
struct EventField {
  /// Which value member holds the value.
  enum class Type : std::uint8_t {
    integer,  ///< in `integer`
    string,   ///< in `text` / str()
    null      ///< no value (e.g. no syscall number for an hrtimer marker)
  };
  /// Bytes of string value kept: a comm (15) or prev_state letters (15) fit; longer is cut.
  static constexpr std::size_t text_capacity = 24;

  std::string_view name;          ///< the field's name; a string literal, so always valid
  Type type = Type::null;         ///< which value is set
  std::int64_t integer = 0;       ///< the value when type is integer
  char text[text_capacity] = {};  ///< the value when type is string (not NUL-terminated)
  std::uint8_t text_len = 0;      ///< bytes used in `text`

  /// The string value, viewing this object's storage.
  std::string_view str() const noexcept { return std::string_view(text, text_len); }

  /// An integer field. `n` must outlive the field (a literal). Throws: nothing.
  static EventField of_int(std::string_view n, std::int64_t v) noexcept {
    EventField f;
    f.name = n;
    f.type = Type::integer;
    f.integer = v;
    return f;
  }
  /// A string field holding the first text_capacity bytes of `v` (copied). Throws: nothing.
  static EventField of_str(std::string_view n, std::string_view v) noexcept {
    EventField f;
    f.name = n;
    f.type = Type::string;
    const std::size_t len = v.size() < text_capacity ? v.size() : text_capacity;
    if (len != 0) std::memcpy(f.text, v.data(), len);
    f.text_len = static_cast<std::uint8_t>(len);
    return f;
  }
  /// A field without a value. Throws: nothing.
  static EventField of_null(std::string_view n) noexcept {
    EventField f;
    f.name = n;
    return f;
  }
};

/// An event's fields in display order: a fixed-size array, iterable with range-for.
struct FieldList {
  /// The most fields any kind has (sched_switch's eight).
  static constexpr std::size_t capacity = 8;
  std::array<EventField, capacity> items{};  ///< the first `count` are set
  std::size_t count = 0;                     ///< fields set

  /// Effects: appends `f`; a field beyond capacity is dropped. Complexity: O(1).
  void add(const EventField& f) noexcept {
    if (count < capacity) items[count++] = f;
  }
  /// The first field.
  const EventField* begin() const noexcept { return items.data(); }
  /// One past the last field.
  const EventField* end() const noexcept { return items.data() + count; }
  /// The number of fields.
  std::size_t size() const noexcept { return count; }
};

/// The name reports print for an event: the ftrace event name, the stored name for `other`, and
/// for timer-sleep markers the event that carried them ("sys_enter", "hrtimer_start"). The
/// view points into `e` for `other`: valid while `e` lives.
inline std::string_view event_display_name(const Event& e) noexcept {
  switch (e.kind) {
    case EventKind::other:
      return e.other.name.view();
    case EventKind::timer_sleep:
      return e.timer.source == TimerSleepSource::syscall ? "sys_enter" : "hrtimer_start";
    default:
      return event_kind_name(e.kind);
  }
}

namespace detail {
// The letters of the 4.14+ prev_state layout, in the kernel's order (S|D|T|t|X|Z|P|I).
inline constexpr std::array<std::pair<std::uint32_t, char>, 8> prev_state_bits = {{
    {0x01, 'S'},
    {0x02, 'D'},
    {0x04, 'T'},
    {0x08, 't'},
    {0x10, 'X'},
    {0x20, 'Z'},
    {0x40, 'P'},
    {0x80, 'I'},
}};
}  // namespace detail

/// A string field `name` holding prev_state as the kernel prints it: "R", "R+", "S", "D", "I",
/// "D|K"-style combinations. The recorded raw value is spelled out bit by bit when it agrees
/// with the state class the source decided (4.14+ layout); otherwise (older kernels, text input
/// without raw values) the class letter is printed, which never contradicts what the engine
/// used. Throws: nothing.
inline EventField prev_state_field(std::string_view name, PrevState state,
                                   std::uint32_t raw) noexcept {
  if (state == PrevState::runnable || state == PrevState::preempted)
    return EventField::of_str(name, prev_state_letter(state));
  const PrevStateDecoder modern{0x100, true};
  const std::uint32_t low = raw & 0xffu;
  if (low == 0 || (raw & ~0xffu) != 0 || modern.decode(raw) != state)
    return EventField::of_str(name, prev_state_letter(state));
  char buf[EventField::text_capacity];
  std::size_t n = 0;
  for (const auto& [bit, letter] : detail::prev_state_bits) {
    if ((low & bit) == 0) continue;
    if (n != 0) buf[n++] = '|';
    buf[n++] = letter;
  }
  return EventField::of_str(name, std::string_view(buf, n));
}

/// The fields of an event, by kind, named as the kernel's event format names them. JSON writes
/// them as an object; the text report summarises them. Complexity: O(1). Throws: nothing.
inline FieldList event_fields(const Event& e) noexcept {
  FieldList f;
  switch (e.kind) {
    case EventKind::sched_switch:
      f.add(EventField::of_str("prev_comm", e.sw.prev_comm.view()));
      f.add(EventField::of_int("prev_pid", e.sw.prev_pid));
      f.add(EventField::of_int("prev_prio", e.sw.prev_prio));
      f.add(prev_state_field("prev_state", e.prev_state, e.sw.prev_state_raw));
      f.add(EventField::of_int("prev_state_raw", e.sw.prev_state_raw));
      f.add(EventField::of_str("next_comm", e.sw.next_comm.view()));
      f.add(EventField::of_int("next_pid", e.sw.next_pid));
      f.add(EventField::of_int("next_prio", e.sw.next_prio));
      break;
    case EventKind::sched_wakeup:
    case EventKind::sched_wakeup_new:
    case EventKind::sched_waking:
      f.add(EventField::of_str("comm", e.wakeup.comm.view()));
      f.add(EventField::of_int("pid", e.wakeup.pid));
      f.add(EventField::of_int("prio", e.wakeup.prio));
      f.add(EventField::of_int("target_cpu", e.wakeup.target_cpu));
      break;
    case EventKind::process_exit:  // the kernel's sched_process_exit has no target_cpu
      f.add(EventField::of_str("comm", e.wakeup.comm.view()));
      f.add(EventField::of_int("pid", e.wakeup.pid));
      f.add(EventField::of_int("prio", e.wakeup.prio));
      break;
    case EventKind::process_fork:
      f.add(EventField::of_int("parent_pid", e.fork.parent_pid));
      f.add(EventField::of_int("child_pid", e.fork.child_pid));
      f.add(EventField::of_str("child_comm", e.fork.child_comm.view()));
      break;
    case EventKind::timer_sleep:
      f.add(EventField::of_str(
          "source", e.timer.source == TimerSleepSource::syscall ? "syscall" : "hrtimer"));
      if (e.timer.syscall_nr >= 0)
        f.add(EventField::of_int("nr", e.timer.syscall_nr));
      else
        f.add(EventField::of_null("nr"));  // hrtimer, or a syscalls:sys_enter_* marker
      break;
    case EventKind::syscall:
      f.add(EventField::of_int("nr", e.sys.nr));
      break;
    case EventKind::irq_entry:
    case EventKind::irq_thread_entry:
      f.add(EventField::of_int("irq", e.irq.irq));
      f.add(EventField::of_str("name", e.irq.name.view()));
      break;
    case EventKind::irq_exit:
    case EventKind::irq_thread_exit:
      f.add(EventField::of_int("irq", e.irq.irq));
      f.add(EventField::of_int("ret", e.irq.ret));
      break;
    case EventKind::softirq_entry:
    case EventKind::softirq_exit:
      f.add(EventField::of_int("vec", e.softirq.vec));
      break;
    case EventKind::migrate:
      f.add(EventField::of_str("comm", e.migrate.comm.view()));
      f.add(EventField::of_int("pid", e.migrate.pid));
      f.add(EventField::of_int("prio", e.migrate.prio));
      f.add(EventField::of_int("orig_cpu", e.migrate.orig_cpu));
      f.add(EventField::of_int("dest_cpu", e.migrate.dest_cpu));
      break;
    case EventKind::lost_events:
      // Counts beyond int64 do not occur; clamp rather than wrap to a negative number.
      f.add(EventField::of_int("count", e.lost.count > static_cast<std::uint64_t>(INT64_MAX)
                                            ? INT64_MAX
                                            : static_cast<std::int64_t>(e.lost.count)));
      break;
    case EventKind::other:
      f.add(EventField::of_str("name", e.other.name.view()));
      break;
    case EventKind::cpu_idle:
      f.add(EventField::of_int("state", e.idle.state));
      break;
    case EventKind::irqs_off:
    case EventKind::irqs_on:
      f.add(EventField::of_str("caller", e.irqs.caller_view()));
      break;
    case EventKind::hrtimer_start:
    case EventKind::hrtimer_cancel:
    case EventKind::hrtimer_expire_entry:
    case EventKind::hrtimer_expire_exit:
      // Shown as they were while the engine took them for `other`: the windows of the metrics
      // that predate the timer metric stay as they were.
      f.add(EventField::of_str("name", event_kind_name(e.kind)));
      break;
  }
  return f;
}

}  // namespace v1
}  // namespace rtlat
