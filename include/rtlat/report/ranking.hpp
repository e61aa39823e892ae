/// @file
/// Which tasks a report shows first: the text report's order, and what `--top N` keeps.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <optional>
#include <utility>
#include <vector>

#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {

/// True when the task has a sample in any metric. Complexity: O(1).
inline bool has_samples(const TaskResult& t) noexcept {
  for (const MetricResult& m : t.metrics)
    if (m.count != 0) return true;
  return false;
}

namespace detail {
inline std::optional<std::int64_t> worst_of(
    const std::array<MetricResult, metric_count>& metrics) noexcept {
  std::optional<std::int64_t> w;
  for (const MetricResult& m : metrics)
    if (m.max_ns && (!w || *m.max_ns > *w)) w = m.max_ns;
  return w;
}

// The metric of the task's largest sample (the first in all_metrics order on a tie); nullopt
// without samples. Its worst window is the task's worst case. Complexity: O(1).
inline std::optional<Metric> worst_metric(const TaskResult& t) noexcept {
  std::optional<Metric> w;
  for (Metric m : all_metrics)
    if (t[m].max_ns && (!w || *t[m].max_ns > *t[*w].max_ns)) w = m;
  return w;
}

// The order of `--top N` and of the text report's first screen: highest worst value in any
// metric first; tasks without samples last; ties by pid (stable: equal pids keep their order).
// Returns indices into `tasks`. Complexity: O(n log n). Throws: std::bad_alloc.
inline std::vector<std::size_t> order_by_worst_value(const std::vector<TaskResult>& tasks) {
  std::vector<std::pair<std::optional<std::int64_t>, std::size_t>> rank;
  rank.reserve(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) rank.emplace_back(worst_of(tasks[i].metrics), i);
  std::stable_sort(rank.begin(), rank.end(), [&](const auto& a, const auto& b) {
    if (a.first.has_value() != b.first.has_value()) return a.first.has_value();
    if (a.first && *a.first != *b.first) return *a.first > *b.first;
    return tasks[a.second].pid < tasks[b.second].pid;
  });
  std::vector<std::size_t> idx;
  idx.reserve(rank.size());
  for (const auto& x : rank) idx.push_back(x.second);
  return idx;
}
}  // namespace detail

/// The largest sample of any metric; nullopt without samples. Complexity: O(1).
inline std::optional<std::int64_t> worst_value(const TaskResult& t) noexcept {
  return detail::worst_of(t.metrics);
}

/// The largest sample of any metric over a folded group's tasks. Complexity: O(1).
inline std::optional<std::int64_t> worst_value(const FoldedGroup& g) noexcept {
  return detail::worst_of(g.metrics);
}

/// The text report's order: worst latency first; tasks without a latency sample last; ties by
/// pid (stable: equal pids keep their order). Returns indices into `tasks`. Complexity:
/// O(n log n). Throws: std::bad_alloc.
inline std::vector<std::size_t> order_by_worst_latency(const std::vector<TaskResult>& tasks) {
  std::vector<std::size_t> idx(tasks.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    const std::optional<std::int64_t>& ma = tasks[a][Metric::latency].max_ns;
    const std::optional<std::int64_t>& mb = tasks[b][Metric::latency].max_ns;
    if (ma.has_value() != mb.has_value()) return ma.has_value();
    if (ma && *ma != *mb) return *ma > *mb;
    return tasks[a].pid < tasks[b].pid;
  });
  return idx;
}

/// The same order for folded groups: worst latency first, groups without a latency sample
/// last, ties in Results::folded order. Complexity: O(n log n). Throws: std::bad_alloc.
inline std::vector<std::size_t> order_by_worst_latency(const std::vector<FoldedGroup>& groups) {
  std::vector<std::size_t> idx(groups.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    const std::optional<std::int64_t>& ma = groups[a][Metric::latency].max_ns;
    const std::optional<std::int64_t>& mb = groups[b][Metric::latency].max_ns;
    if (ma.has_value() != mb.has_value()) return ma.has_value();
    return ma && *ma > *mb;
  });
  return idx;
}

/// Effects: `--top N`: keeps the `n` tasks of `r` whose worst value in any metric is highest,
/// in that order (all reports), and drops the rest; `r.trace` is unchanged. Tasks with samples
/// always come before tasks without, so a trace that has no latency at all (only sched_switch
/// recorded) still shows the IRQ threads with irq samples. Ties by pid. The folded groups are
/// ranked the same way among themselves and the `n` worst kept (a group is many tasks, so it
/// does not take a task's place). Complexity: O(n log n). Throws: std::bad_alloc (then `r` may
/// have lost tasks).
inline void keep_top(Results& r, std::size_t n) {
  const std::vector<std::size_t> rank = detail::order_by_worst_value(r.tasks);
  std::vector<TaskResult> kept;
  kept.reserve(std::min(n, rank.size()));
  for (std::size_t i = 0; i < rank.size() && i < n; ++i)
    kept.push_back(std::move(r.tasks[rank[i]]));
  r.tasks = std::move(kept);
  if (r.folded.size() <= n) return;
  std::vector<std::pair<std::optional<std::int64_t>, std::size_t>> grank;
  grank.reserve(r.folded.size());
  for (std::size_t i = 0; i < r.folded.size(); ++i) grank.emplace_back(worst_value(r.folded[i]), i);
  std::stable_sort(grank.begin(), grank.end(), [](const auto& a, const auto& b) {
    if (a.first.has_value() != b.first.has_value()) return a.first.has_value();
    return a.first && *a.first > *b.first;
  });
  std::vector<FoldedGroup> groups;
  groups.reserve(n);
  for (std::size_t i = 0; i < n; ++i) groups.push_back(std::move(r.folded[grank[i].second]));
  r.folded = std::move(groups);
}

}  // namespace v1
}  // namespace rtlat
