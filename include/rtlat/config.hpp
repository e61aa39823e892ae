// How the engine is asked to measure: wakeup event, selection, SLO bounds, window sizes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rtlat/event.hpp"
#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {

enum class WakeupEvent : std::uint8_t { wakeup, waking };

// Selects tasks by comm. The engine calls it when a task's comm becomes known or changes, never
// per event. <rtlat/comm_regex.hpp> makes one from a regular expression.
using CommPredicate = std::function<bool(std::string_view comm)>;

// Which tasks get results. Empty lists and no predicate select everything; several criteria
// are ORed.
struct Selection {
  std::vector<Pid> pids;
  std::vector<Pid> tgids;
  CommPredicate comm;
  bool all() const { return pids.empty() && tgids.empty() && !comm; }
};

struct SloOverride {
  Pid pid;
  Metric metric;
  std::int64_t bound_ns;
};

struct Config {
  WakeupEvent wakeup_event = WakeupEvent::wakeup;
  Selection selection;
  std::array<std::optional<std::int64_t>, metric_count> slo{};  // default bound per metric
  std::vector<SloOverride> slo_overrides;                       // per-pid bounds win
  std::size_t window = 64;     // at most this many events in a worst-case window
  std::size_t history = 1024;  // per-CPU history ring (events), bounds window capture memory
  // Whether the source recorded syscall events (trace.dat knows from its event formats). When
  // true, hrtimer_start(hrtimer_wakeup) markers are ignored; when false they always count; when
  // unknown (text input) they count until the first syscall event appears.
  std::optional<bool> syscall_events_recorded;
  // Whether the source recorded irq_threaded_handler_* events. When false the irq metric is
  // derived from scheduler events; unknown: derived until the first such event appears.
  std::optional<bool> irq_thread_events_recorded;
};

}  // namespace v1
}  // namespace rtlat
