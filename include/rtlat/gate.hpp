/// @file
/// The pass/fail policy of a run (`rtlat report` and `rtlat live` with --fail-on-violation):
/// one definition, so the CLI's commands and embedders' gates cannot disagree.
///
///     rtlat::Results r = rtlat::analyze(src, cfg);
///     if (rtlat::any_violation(r)) return 3;
#pragma once

#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {

/// Returns: true when any sample of any metric was over its SLO bound, in a task listed on its
/// own (Results::tasks) or in a group of folded tasks (Results::folded): a violating task that
/// finished long ago and was folded under Config::max_finished_tasks still fails the gate.
/// Apply it before narrowing the results for display (keep_top()), which drops tasks.
/// Complexity: O(tasks + folded groups). Throws: nothing.
inline bool any_violation(const Results& r) noexcept {
  for (const TaskResult& t : r.tasks)
    for (const MetricResult& m : t.metrics)
      if (m.violations != 0) return true;
  for (const FoldedGroup& g : r.folded)
    for (const MetricResult& m : g.metrics)
      if (m.violations != 0) return true;
  return false;
}

}  // namespace v1
}  // namespace rtlat
