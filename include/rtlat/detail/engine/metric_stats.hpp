// Running statistics of one metric of one task: exact count/min/max/sum, a histogram for
// percentiles, SLO violations and the worst sample's window.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include "rtlat/detail/always_inline.hpp"
#include "rtlat/detail/engine/histogram.hpp"
#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

class MetricStats {
 public:
  // Records one sample; returns true when it is the new worst (strictly greater than every
  // earlier sample), i.e. when the caller should capture its window.
  RTLAT_ALWAYS_INLINE bool add(std::int64_t value, const std::optional<std::int64_t>& bound) {
    const bool worst = count_ == 0 || value > max_;
    ++count_;
    sum_ += static_cast<std::uint64_t>(value < 0 ? 0 : value);
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
    // Straight into the histogram: batching adds to overlap cache misses paid off only on
    // synthetic streams with hundreds of busy tasks; on real recordings, where the busy tasks'
    // counters stay in cache, the batch bookkeeping cost more (README, Performance: Engine).
    hist_.add(value);
    if (bound && value > *bound) ++violations_;
    return worst;
  }

  std::uint64_t count() const noexcept { return count_; }
  std::int64_t max() const noexcept { return max_; }
  std::uint64_t violations() const noexcept { return violations_; }
  void set_worst(WorstWindow w) { worst_ = std::move(w); }
  // Counts a violation's verdict under its kind and culprit.
  void count_verdict(const Verdict& v) { add_verdicts(v.kind, v.culprit, 1); }

  // Takes o's samples as if they had been added here, o's after this one's: the worst window
  // is o's only when o's worst is strictly greater (the first of equals wins, as in add()).
  // Complexity: O(histogram buckets + verdict kinds); the window is moved, not copied.
  void merge(MetricStats&& o) {
    if (o.count_ == 0) return;
    if (count_ == 0 || o.max_ > max_) worst_ = std::move(o.worst_);
    count_ += o.count_;
    sum_ += o.sum_;
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
    violations_ += o.violations_;
    hist_.merge(o.hist_);
    for (const VerdictCount& v : o.verdicts_) add_verdicts(v.kind, v.culprit, v.count);
  }

  // Heap bytes held beyond the object itself (the histogram, the worst window's events and
  // breakdown parts, the verdict counts). Complexity: O(1).
  std::size_t heap_bytes() const noexcept {
    std::size_t n = hist_.bytes() + verdicts_.capacity() * sizeof(VerdictCount);
    if (worst_) {
      n += worst_->events.capacity() * sizeof(Event);
      if (worst_->breakdown) n += worst_->breakdown->parts.capacity() * sizeof(BreakdownPart);
    }
    return n;
  }

  // `window`: copy the worst window too (false: r.worst stays empty).
  MetricResult result(const std::optional<std::int64_t>& bound, bool derived,
                      bool window = true) const {
    MetricResult r;
    r.count = count_;
    r.derived = derived;
    r.slo_ns = bound;
    r.violations = violations_;
    if (count_ != 0) {
      r.min_ns = min_;
      r.max_ns = max_;
      r.mean_ns = static_cast<double>(sum_) / static_cast<double>(count_);
      // The extreme ranks are known exactly; the rest come from the histogram (<= 1% off).
      auto pct = [&](double q) {
        const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
        if (rank >= count_) return max_;
        if (rank <= 1) return min_;
        return std::clamp(hist_.percentile(q), min_, max_);
      };
      r.p50_ns = pct(0.50);
      r.p90_ns = pct(0.90);
      r.p99_ns = pct(0.99);
      r.p999_ns = pct(0.999);
      if (window) r.worst = worst_;
      r.verdicts = verdicts_;
      r.histogram = quarter_octaves();
      std::stable_sort(
          r.verdicts.begin(), r.verdicts.end(),
          [](const VerdictCount& a, const VerdictCount& b) { return a.count > b.count; });
    }
    return r;
  }

 private:
  // Adds n to the count of (kind, culprit), a new entry when there is none.
  void add_verdicts(VerdictKind kind, const std::optional<TaskRef>& culprit, std::uint64_t n) {
    for (VerdictCount& c : verdicts_) {
      if (c.kind == kind && c.culprit.has_value() == culprit.has_value() &&
          (!c.culprit || c.culprit->pid == culprit->pid)) {
        c.count += n;
        return;
      }
    }
    verdicts_.push_back({kind, culprit, n});
  }
  // The histogram's buckets (1/64 octave) merged into quarter octaves for reports.
  std::vector<HistogramBin> quarter_octaves() const {
    std::vector<HistogramBin> bins;
    hist_.each([&bins](std::uint64_t lower, std::uint64_t width, std::uint64_t n) {
      std::uint64_t lo = 0, hi = 1;
      if (lower >= 64) {
        const int e = 63 - __builtin_clzll(lower);
        const std::uint64_t quarter = std::uint64_t{1} << (e - 2);
        lo = lower & ~(quarter - 1);
        hi = lo + quarter;
      } else {
        lo = lower;
        hi = lower + width;
        if (lower >= 4) {  // below 64: octaves
          const int e = 63 - __builtin_clzll(lower);
          lo = std::uint64_t{1} << e;
          hi = lo << 1;
        }
      }
      if (!bins.empty() && bins.back().lower_ns == static_cast<std::int64_t>(lo)) {
        bins.back().count += n;
      } else {
        bins.push_back({static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi), n});
      }
    });
    return bins;
  }

  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::int64_t min_ = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_ = std::numeric_limits<std::int64_t>::min();
  std::uint64_t violations_ = 0;
  Histogram hist_;
  std::optional<WorstWindow> worst_;
  std::vector<VerdictCount> verdicts_;
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
