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

  // Clears pid's slot if it names `entry` (a page is never freed: pids recur).
  void clear(Pid pid, const T* entry) noexcept {
    if (find(pid) == entry)
      (*pages_[static_cast<std::size_t>(pid) >> page_bits])[static_cast<std::size_t>(pid) &
                                                            page_mask] = nullptr;
  }
  std::size_t bytes() const noexcept {
    std::size_t n = pages_.capacity() * sizeof(std::unique_ptr<Page>);
    for (const auto& p : pages_) n += p ? sizeof(Page) : 0;
    return n;
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
