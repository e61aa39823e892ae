// The index mask of a per-CPU ring (history.hpp, sched_ring.hpp): its slot count is a power of
// two, at least 16 and at least the capacity asked for, so a position maps to its slot with one
// AND.
#pragma once

#include <cstddef>

namespace rtlat {
inline namespace v1 {
namespace detail {

constexpr std::size_t ring_mask(std::size_t capacity) noexcept {
  std::size_t slots = 16;
  while (slots < capacity) slots <<= 1;
  return slots - 1;
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
