// pid -> entry lookup without hashing: a two-level direct table whose 4096-entry pages are
// allocated only for pid ranges that occur. Lookup is one compare and two dependent loads, and
// never allocates: the pids below the limit whose page was never needed share one page of
// nulls, and the limit (pages times their size) is kept rather than derived at each lookup.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
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
    const auto p = static_cast<std::uint32_t>(pid);  // a negative pid lies past any limit
    if (p >= limit_) return nullptr;
    return (*dir_[p >> page_bits])[p & page_mask];
  }

  // Clears pid's slot if it names `entry` (a page is never freed: pids recur).
  void clear(Pid pid, const T* entry) noexcept {
    if (entry == nullptr || find(pid) != entry) return;
    const auto p = static_cast<std::uint32_t>(pid);
    (*dir_[p >> page_bits])[p & page_mask] = nullptr;
  }
  std::size_t bytes() const noexcept {
    return dir_.capacity() * sizeof(Page*) + owned_.capacity() * sizeof(std::unique_ptr<Page>) +
           owned_.size() * sizeof(Page);
  }

  void set(Pid pid, T* entry) {
    if (pid < 0) return;
    const auto p = static_cast<std::uint32_t>(pid);
    const std::size_t page = p >> page_bits;
    if (page >= dir_.size()) {
      dir_.resize(page + 1, &nulls_);
      limit_ = static_cast<std::uint32_t>(dir_.size() << page_bits);  // at most 2^31
    }
    if (dir_[page] == &nulls_) {
      owned_.push_back(std::make_unique<Page>());  // value-initialised: nulls
      dir_[page] = owned_.back().get();
    }
    (*dir_[page])[p & page_mask] = entry;
  }

 private:
  static constexpr unsigned page_bits = 12;
  static constexpr std::uint32_t page_mask = (std::uint32_t{1} << page_bits) - 1;
  using Page = std::array<T*, std::size_t{1} << page_bits>;
  // The page of every range no pid was set in. Only read: set() gives such a range its own.
  static inline Page nulls_{};

  std::vector<Page*> dir_;  // per page of pids: its page, or &nulls_
  std::vector<std::unique_ptr<Page>> owned_;
  std::uint32_t limit_ = 0;  // pids below it have a directory entry
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
