// A log-linear histogram of non-negative nanosecond values with <= 1% relative error.
//
// Values below 64 are exact; above, each power of two is split into 64 equal buckets, so a
// bucket is at most 1/64 of its lower bound wide and its midpoint is within 1/128 (0.8%) of any
// value in it. Only the buckets between the smallest and largest value seen are stored: a task
// whose latencies span 2us..2ms keeps ~11 powers of two, 2.8 KB.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "rtlat/detail/always_inline.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

class Histogram {
 public:
  static constexpr int sub_bits = 6;
  static constexpr std::uint64_t sub_count = 1u << sub_bits;

  // Complexity: amortised O(1); allocates only when a value falls outside the stored range.
  RTLAT_ALWAYS_INLINE void add(std::int64_t value) {
    const std::uint64_t v = value < 0 ? 0 : static_cast<std::uint64_t>(value);
    const std::size_t b = bucket_of(v);
    // One unsigned compare covers empty, below and above the stored range (b < lo_ wraps).
    if (b - lo_ >= counts_.size()) grow(b);
    ++counts_[b - lo_];
    ++total_;
  }

  std::uint64_t count() const noexcept { return total_; }

  // Nearest-rank percentile (q in [0, 1]): the midpoint of the bucket holding the
  // ceil(q * count)-th smallest value. Callers clamp to the exact min/max they keep.
  std::int64_t percentile(double q) const noexcept {
    if (total_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total_)));
    rank = std::clamp<std::uint64_t>(rank, 1, total_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return midpoint(lo_ + i);
    }
    return midpoint(lo_ + counts_.size() - 1);
  }

  // Calls f(lower_ns, width_ns, count) for every stored bucket with a count, in value order.
  template <class F>
  void each(F&& f) const {
    for (std::size_t i = 0; i < counts_.size(); ++i)
      if (counts_[i] != 0) f(lower_bound(lo_ + i), width(lo_ + i), counts_[i]);
  }

  std::size_t bytes() const noexcept { return counts_.capacity() * sizeof(std::uint32_t); }

  // Adds every count of o. Complexity: O(buckets of both); allocates only when o's range
  // reaches past this one's.
  void merge(const Histogram& o) {
    if (o.counts_.empty()) return;
    const std::size_t first = o.lo_;
    const std::size_t last = o.lo_ + o.counts_.size() - 1;
    if (first - lo_ >= counts_.size()) grow(first);
    if (last - lo_ >= counts_.size()) grow(last);
    for (std::size_t i = 0; i < o.counts_.size(); ++i) counts_[first - lo_ + i] += o.counts_[i];
    total_ += o.total_;
  }

  static std::size_t bucket_of(std::uint64_t v) noexcept {
    if (v < sub_count) return static_cast<std::size_t>(v);
    const int e = 63 - __builtin_clzll(v);  // e >= sub_bits
    // At most 64 * 59 buckets: the uint64_t arithmetic (sub_count) fits a 32-bit size_t.
    return static_cast<std::size_t>(static_cast<std::uint64_t>(e - sub_bits + 1) * sub_count +
                                    ((v >> (e - sub_bits)) & (sub_count - 1)));
  }
  static std::uint64_t lower_bound(std::size_t b) noexcept {
    if (b < sub_count) return b;
    const auto e = static_cast<std::size_t>(b / sub_count + sub_bits - 1);
    return (sub_count + b % sub_count) << (e - sub_bits);
  }
  static std::uint64_t width(std::size_t b) noexcept {
    if (b < sub_count) return 1;
    return std::uint64_t{1} << (b / sub_count - 1);
  }
  static std::int64_t midpoint(std::size_t b) noexcept {
    return static_cast<std::int64_t>(lower_bound(b) + (width(b) - 1) / 2);
  }

 private:
  RTLAT_NOINLINE void grow(std::size_t b) {
    if (counts_.empty()) {
      lo_ = b;
      counts_.assign(1, 0);
    } else if (b < lo_) {
      counts_.insert(counts_.begin(), lo_ - b, 0);
      lo_ = b;
    } else {
      counts_.resize(b - lo_ + 1, 0);
    }
  }

  std::vector<std::uint32_t> counts_;
  std::size_t lo_ = 0;
  std::uint64_t total_ = 0;
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
