/// @file
/// How the engine is asked to measure: wakeup event, selection, SLO bounds, window sizes, and
/// whom to tell about samples as they complete.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "rtlat/detail/std_function.hpp"
#include "rtlat/event.hpp"
#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {

/// The event that starts latency and response.
enum class WakeupEvent : std::uint8_t {
  wakeup,  ///< sched_wakeup: the task was put on a runqueue
  waking,  ///< sched_waking: the wakeup was issued (earlier, on the waker's CPU)
};

/// Selects tasks by comm. The engine calls it when a task's comm becomes known or changes, never
/// per event. `<rtlat/comm_regex.hpp>` makes one from a regular expression.
using CommPredicate = std::function<bool(std::string_view comm)>;

/// Which tasks get results. Empty lists and no predicate select everything; several criteria
/// are ORed. Unselected tasks are still tracked (they drive the state machines and windows) but
/// get no samples, callbacks or unobserved counts.
struct Selection {
  std::vector<Pid> pids;   ///< tasks with these pids
  std::vector<Pid> tgids;  ///< tasks of these thread groups (when the source knows tgids)
  CommPredicate comm;      ///< tasks whose comm it accepts
  /// Also select every task a selected task forks (threads and processes, from the
  /// sched_process_fork that creates them), and theirs in turn: a command and all it starts.
  bool follow_forks = false;
  /// True when nothing narrows the selection.
  bool all() const noexcept { return pids.empty() && tgids.empty() && !comm; }
};

/// Called for a completed sample of a selected task, inside Analyzer::feed().
using SampleCallback = std::function<void(const Sample&)>;

/// An SLO bound: a sample violates it when its value is greater (not equal).
using Bound = std::optional<std::chrono::nanoseconds>;

/// Everything the engine is asked to do. Plain values: copy it, change it, build another engine.
///
///     rtlat::Config cfg;
///     cfg.slo(rtlat::Metric::latency) = 50us;        // every task
///     cfg.slo(1234, rtlat::Metric::response) = 1ms;  // pid 1234 only
///     cfg.on_violation = [](const rtlat::Sample& s) { ... };
struct Config {
  WakeupEvent wakeup_event = WakeupEvent::wakeup;  ///< which wakeup starts latency and response
  Selection selection;                             ///< which tasks get results (default: all)
  std::size_t window = 64;     ///< at most this many events per worst-case window (at least 2)
  std::size_t history = 1024;  ///< per-CPU history ring (events): bounds window capture memory
  /// Per-CPU scheduler records kept for breakdowns (24 bytes each): how far back a breakdown
  /// and the RT-throttling check can see.
  std::size_t sched_history = 8192;
  /// Which samples get a breakdown and verdict.
  enum class Explain : std::uint8_t {
    none,   ///< no breakdowns (and no scheduler records are kept)
    worst,  ///< each task's worst sample per metric
    all     ///< the worst, and every SLO violation (counted in MetricResult::verdicts)
  } explain = Explain::worst;  ///< breakdowns and verdicts: for whom
  /// Whether each breakdown also keeps its stretches and every CPU's runs
  /// (Breakdown::spans, Breakdown::cpu_runs), from which write_html() draws a worst case's
  /// timeline. Off, they stay empty: they grow with the interval (up to sched_history records
  /// per CPU), and every task's worst case per metric keeps its own.
  bool timeline = false;
  /// The RT-throttling pattern looks for RT tasks running about this long ...
  std::chrono::microseconds sched_rt_runtime{950000};
  /// ... in this period (the kernel's sched_rt_runtime_us / sched_rt_period_us).
  std::chrono::microseconds sched_rt_period{1000000};
  /// Bounded memory for long runs: at most this many finished tasks (gone, or whose pid names
  /// a newer task) keep an entry of their own. Past it the least recently finished are folded,
  /// per comm, into Results::folded and their entries reused, so memory follows the tasks
  /// alive, not the tasks ever seen. Empty (the default): no bound, every task is listed.
  std::optional<std::size_t> max_finished_tasks;
  SampleCallback on_sample;     ///< every completed sample of a selected task
  SampleCallback on_violation;  ///< every sample over its bound

  /// The default bound of metric `m`, for every task. Complexity: O(1).
  Bound& slo(Metric m) noexcept { return slo_[static_cast<std::size_t>(m)]; }
  /// The default bound of metric `m` (empty when unset). Complexity: O(1).
  const Bound& slo(Metric m) const noexcept { return slo_[static_cast<std::size_t>(m)]; }

  /// The bound of metric `m` for pid `pid` only (every task entry with that pid, pid reuse
  /// included); it wins over the default. Complexity: O(pids with their own bound). Throws:
  /// std::bad_alloc (the first access for a pid and metric adds an entry).
  Bound& slo(Pid pid, Metric m) {
    for (auto& [key, bound] : per_pid_)
      if (key.first == pid && key.second == m) return bound;
    return per_pid_.emplace_back(std::make_pair(pid, m), Bound{}).second;
  }

  /// The bound that applies to `pid` in nanoseconds: its own, else the default; nullopt when
  /// neither is set. Complexity: O(pids with their own bound).
  std::optional<std::int64_t> slo_ns(Pid pid, Metric m) const {
    for (const auto& [key, bound] : per_pid_)
      if (key.first == pid && key.second == m && bound) return bound->count();
    if (const Bound& b = slo(m)) return b->count();
    return std::nullopt;
  }

 private:
  std::array<Bound, metric_count> slo_{};
  std::vector<std::pair<std::pair<Pid, Metric>, Bound>> per_pid_;
};

}  // namespace v1
}  // namespace rtlat
