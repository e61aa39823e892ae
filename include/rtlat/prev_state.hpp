/// @file
/// Turning a recorded sched_switch prev_state into "slept" vs "was preempted".
///
/// Kernels encode prev_state differently: 4.14+ reports one bit per state index and marks
/// preemption with TASK_REPORT_MAX (0x100); older kernels used raw task state bits with
/// TASK_STATE_MAX (0x800, or 0x80 on very old ones) as the preemption flag. A trace.dat source
/// reads the flag from the event's print fmt; text sources see letters ("R+", "S", "D|K") or,
/// with `trace-cmd report -R`, the raw number.
#pragma once

#include <cstdint>
#include <string_view>

#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {

/// Decodes raw prev_state numbers into PrevState classes, for one kernel's encoding.
struct PrevStateDecoder {
  /// The bit that marks a preempted task; every lower bit is a task state.
  std::uint32_t preempt_flag = 0x100;
  /// True when preempt_flag came from the kernel's format; false makes raw decoding pick 0x1000
  /// or 0x800 for values that carry them (pre-4.14 kernels) and 0x100 otherwise.
  bool from_format = false;

  /// The class of a recorded prev_state value: preempted when the flag is set, runnable when no
  /// state bit is, else the first of sleeping / blocked / stopped / dead its bits name (the
  /// README's "prev_state" lists them). Complexity: O(1). Throws: nothing.
  PrevState decode(std::uint32_t raw) const noexcept {
    std::uint32_t flag = preempt_flag;
    if (!from_format) {
      // 4.11-4.13: TASK_STATE_MAX 0x1000 (0x800 is TASK_NEW); before: 0x800.
      if ((raw & 0x1000u) != 0)
        flag = 0x1000;
      else if ((raw & 0x800u) != 0)
        flag = 0x800;
    }
    if ((raw & flag) != 0) return PrevState::preempted;
    const std::uint32_t low = raw & (flag - 1);
    if (low == 0) return PrevState::runnable;
    if (low & 0x1u) return PrevState::sleeping;
    if (low & 0x2u) return PrevState::blocked;
    if (low & 0xcu) return PrevState::stopped;
    if (low & 0x30u) return PrevState::dead;
    if (flag == 0x100) {
      // 4.14+: 0x40 is P (parked), 0x80 is I (idle kernel thread sleep).
      return (low & 0x80u) ? PrevState::sleeping : PrevState::blocked;
    }
    // pre-4.14: 0x40 is TASK_DEAD; the rest (K, W, P, N) only accompany a sleep.
    return (low & 0x40u) ? PrevState::dead : PrevState::blocked;
  }
};

/// Effects: sets `out` to the class of the letters the kernel and trace-cmd print: "R", "R+",
/// "S", "D", "D|K", "I", "T", "t", "X", "Z", "P", "W", "K", "N", "x" (`|`-joined combinations
/// take the class of a sleep first, then block, stop, death). Returns: false, leaving `out`
/// untouched, for anything else. Throws: nothing.
inline bool prev_state_from_letters(std::string_view s, PrevState& out) noexcept {
  if (s.empty()) return false;
  if (s == "R") {
    out = PrevState::runnable;
    return true;
  }
  if (s == "R+") {
    out = PrevState::preempted;
    return true;
  }
  bool any_sleep = false, any_block = false, any_stop = false, any_dead = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    switch (c) {
      case 'S':
      case 'I':
        any_sleep = true;
        break;
      case 'D':
      case 'P':
      case 'K':
      case 'W':
      case 'N':
        any_block = true;
        break;
      case 'T':
      case 't':
        any_stop = true;
        break;
      case 'X':
      case 'Z':
      case 'x':
        any_dead = true;
        break;
      case '|':
        break;
      case '+':
        // "S+" does not occur; "+" after a state letter marks preemption of a task whose state
        // was already set (old kernels): the task did not sleep.
        if (i + 1 == s.size()) {
          out = PrevState::preempted;
          return true;
        }
        return false;
      default:
        return false;
    }
  }
  if (any_sleep)
    out = PrevState::sleeping;
  else if (any_block)
    out = PrevState::blocked;
  else if (any_stop)
    out = PrevState::stopped;
  else if (any_dead)
    out = PrevState::dead;
  else
    return false;
  return true;
}

}  // namespace v1
}  // namespace rtlat
