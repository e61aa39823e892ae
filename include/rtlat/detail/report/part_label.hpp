// What one breakdown part was, in words ("behind bg-hog:12716 (RT 90) on CPU 1"): the text
// report's breakdown line and the HTML timeline's stretches say it the same way.
#pragma once

#include <string>

#include "rtlat/breakdown.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

inline std::string part_label(const BreakdownPart& p) {
  const std::string cpu = p.cpu >= 0 ? " on CPU " + std::to_string(p.cpu) : "";
  std::string what;
  switch (p.state) {
    case PartState::running:
      what = "running" + cpu;
      break;
    case PartState::runnable:
      what = "behind " + (p.task ? task_label(*p.task) : std::string("?")) + cpu;
      break;
    case PartState::idle:
      what = "idle" + cpu;
      if (p.idle_state) what += " (state " + std::to_string(*p.idle_state) + ")";
      break;
    case PartState::irq:
      what = (p.interrupt ? interrupt_label(*p.interrupt) : std::string("hard irq")) + cpu;
      break;
    case PartState::softirq:
      what = (p.interrupt ? interrupt_label(*p.interrupt) : std::string("softirq")) + cpu;
      break;
    case PartState::blocked:
      what = p.interrupt ? "blocked until " + interrupt_label(*p.interrupt) + " woke it"
             : p.task    ? "blocked until " + task_label(*p.task) + " woke it"
                         : "blocked";
      break;
    case PartState::timer_slack:
      what = "timer slack";
      break;
    case PartState::timer_delay:
      what = "timer due" + cpu + (p.task ? ", " + task_label(*p.task) + " ran" : ", idle");
      if (p.idle_state) what += " (state " + std::to_string(*p.idle_state) + ")";
      if (!p.irqs_off_caller.empty()) what += " (irqs off at " + p.irqs_off_caller + ")";
      break;
    case PartState::migration:
      what = "migrating" + (p.cpu >= 0 ? " to CPU " + std::to_string(p.cpu) : std::string());
      break;
    case PartState::unknown:
      what = "not observed";
      break;
  }
  return what;
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
