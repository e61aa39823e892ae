// The order in which task entries finished, and the entries free for reuse: intrusive lists
// threaded through the entries themselves (Boost.Intrusive), so linking, unlinking and taking
// the oldest are O(1) and never allocate. An entry is in at most one of them at a time, so one
// hook serves both.
#pragma once

#include <cstddef>

#include <boost/intrusive/list.hpp>

namespace rtlat {
inline namespace v1 {
namespace detail {

// safe_link: an unlinked hook knows it is unlinked (is_linked()), which is what makes marking
// an entry finished idempotent; it costs one store per unlink.
using LruHook =
    boost::intrusive::list_member_hook<boost::intrusive::link_mode<boost::intrusive::safe_link>>;

// A FIFO of entries of T linked through their member `Hook`. The entries are owned elsewhere
// and must outlive their membership (the owner's container is destroyed after the queue).
template <class T, LruHook T::*Hook>
class IntrusiveQueue {
 public:
  bool empty() const noexcept { return list_.empty(); }
  // O(1): constant_time_size keeps a counter.
  std::size_t size() const noexcept { return list_.size(); }
  static bool linked(const T& t) noexcept { return (t.*Hook).is_linked(); }
  // O(1), no allocation. t must not be in any queue.
  void push_back(T& t) noexcept { list_.push_back(t); }
  // O(1); the queue must not be empty.
  T& pop_front() noexcept {
    T& t = list_.front();
    list_.pop_front();
    return t;
  }
  template <class F>
  void each(F&& f) const {
    for (const T& t : list_) f(t);
  }

 private:
  boost::intrusive::list<T, boost::intrusive::member_hook<T, LruHook, Hook>,
                         boost::intrusive::constant_time_size<true>>
      list_;
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
