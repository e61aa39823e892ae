// Per-comm aggregates of finished tasks whose entries were reclaimed (Config::max_finished_tasks):
// what a folded task measured is merged here, so nothing measured is lost when its entry goes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rtlat/detail/engine/metric_stats.hpp"
#include "rtlat/detail/engine/task.hpp"
#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

struct FoldGroup {
  Comm comm{};
  bool irq_thread = false;
  std::uint64_t tasks = 0;
  Timestamp first_seen = 0, last_seen = 0;
  // The bounds of the first task folded: a group's tasks share their comm, and per-pid bounds
  // rarely name short-lived tasks.
  std::array<std::optional<std::int64_t>, metric_count> slo{};
  std::array<MetricStats, metric_count> stats;
  MetricStats derived_irq;
};

// Groups kept apart by comm; past this, tasks of further comms share one group, other_comm,
// so memory stays bounded even when every short-lived task has a comm of its own (pid-suffixed
// worker names, mktemp'd scripts).
inline constexpr std::size_t max_fold_groups = 256;
inline constexpr std::string_view other_comm = rtlat::other_comms;

class FoldGroups {
 public:
  // Moves t's statistics into its comm's group (other_comm's once max_fold_groups - 1 comms
  // have theirs). Complexity: O(1) expected plus the histogram merges (O(buckets)); allocates
  // only for a comm not folded before, at most max_fold_groups times.
  void fold(Task& t) {
    std::string key(t.comm.view());
    auto it = index_.find(key);
    if (it == index_.end() && groups_.size() + 1 >= max_fold_groups) {
      key = std::string(other_comm);
      it = index_.find(key);
    }
    if (it == index_.end()) {
      it = index_.emplace(key, groups_.size()).first;
      FoldGroup& g = groups_.emplace_back();
      g.comm = Comm::from(key);
      g.irq_thread = t.irq_thread && key != other_comm;
      g.first_seen = t.first_seen;
      g.slo = t.slo;
    }
    FoldGroup& g = groups_[it->second];
    ++g.tasks;
    ++tasks_;
    if (t.first_seen < g.first_seen) g.first_seen = t.first_seen;
    if (t.last_seen > g.last_seen) g.last_seen = t.last_seen;
    for (std::size_t m = 0; m < metric_count; ++m) g.stats[m].merge(std::move(t.stats[m]));
    g.derived_irq.merge(std::move(t.derived_irq));
  }

  // Groups in the order their first task was folded.
  const std::vector<FoldGroup>& all() const noexcept { return groups_; }
  std::uint64_t tasks() const noexcept { return tasks_; }

  std::size_t bytes() const noexcept {
    std::size_t n = groups_.capacity() * sizeof(FoldGroup);
    for (const FoldGroup& g : groups_) {
      for (const MetricStats& s : g.stats) n += s.heap_bytes();
      n += g.derived_irq.heap_bytes();
    }
    // The index: a node per group holding its key and slot, plus the bucket array.
    n += index_.size() * (sizeof(std::pair<const std::string, std::size_t>) + 2 * sizeof(void*));
    n += index_.bucket_count() * sizeof(void*);
    return n;
  }

 private:
  std::vector<FoldGroup> groups_;
  std::unordered_map<std::string, std::size_t> index_;
  std::uint64_t tasks_ = 0;
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
