// pid -> entry lookup without hashing: a two-level direct table whose 4096-entry pages are
// allocated only for pid ranges that occur. Lookup is two dependent loads and never allocates.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <vector>

#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

template <class T>
class PidTable {
 public:
  T* find(Pid pid) const noexcept {
    if (pid < 0) return nullptr;
    const auto page = static_cast<std::size_t>(pid) >> page_bits;
    if (page >= pages_.size() || !pages_[page]) return nullptr;
    return (*pages_[page])[static_cast<std::size_t>(pid) & page_mask];
  }

  void set(Pid pid, T* entry) {
    if (pid < 0) return;
    const auto page = static_cast<std::size_t>(pid) >> page_bits;
    if (page >= pages_.size()) pages_.resize(page + 1);
    if (!pages_[page]) pages_[page] = std::make_unique<Page>();  // value-initialised: nulls
    (*pages_[page])[static_cast<std::size_t>(pid) & page_mask] = entry;
  }

 private:
  static constexpr unsigned page_bits = 12;
  static constexpr std::size_t page_mask = (std::size_t{1} << page_bits) - 1;
  using Page = std::array<T*, std::size_t{1} << page_bits>;
  std::vector<std::unique_ptr<Page>> pages_;
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
