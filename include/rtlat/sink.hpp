/// @file
/// The contract between a source and whatever consumes its events (usually rtlat::Analyzer).
///
/// A sink is any object with `void feed(const rtlat::Event&)`. It may also have
/// `void task_info(const rtlat::TaskInfo&)`, which sources call for what they learn outside the
/// event stream (saved cmdlines, saved tgids, the tgid column of a text trace). Sources call
/// both on the thread that runs read(); whatever a sink throws stops the read and reaches the
/// caller of read().
///
/// rtlat::Analyzer also borrows events from the library's own trace.dat reader, which keeps its
/// decoded events in place for a while, instead of copying each one: that protocol is internal
/// (detail::Views), and every other source and sink uses feed().
#pragma once

#include <type_traits>
#include <utility>

#include "rtlat/detail/always_inline.hpp"
#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {

/// What a source learned about a task outside the event stream. The engine applies it to the
/// pid's current task, or keeps it for the task the pid gets next.
struct TaskInfo {
  Pid pid = 0;    ///< the task it is about
  Comm comm{};    ///< its comm; empty when unknown
  Pid tgid = -1;  ///< its thread group; -1 when unknown
};

namespace detail {
template <class S, class = void>
struct has_feed : std::false_type {};
template <class S>
struct has_feed<S, std::void_t<decltype(std::declval<S&>().feed(std::declval<const Event&>()))>>
    : std::true_type {};
template <class S, class = void>
struct has_task_info : std::false_type {};
template <class S>
struct has_task_info<
    S, std::void_t<decltype(std::declval<S&>().task_info(std::declval<const TaskInfo&>()))>>
    : std::true_type {};
// The view protocol: `feed_view(const Event&)`, `retire_views(const Event*, const Event*)` and
// `release_views()`, whose contract Analyzer's private members state. The library's sources
// reach a sink's view members only through here, so Analyzer keeps them out of its public face
// and befriends this; a sink of the library's own tests declares them public.
struct Views {
  template <class S>
  RTLAT_ALWAYS_INLINE static auto feed(S& s, const Event& e) -> decltype(s.feed_view(e)) {
    return s.feed_view(e);
  }
  template <class S>
  static auto retire(S& s, const Event* begin, const Event* end) noexcept
      -> decltype(s.retire_views(begin, end)) {
    return s.retire_views(begin, end);
  }
  template <class S>
  static auto release(S& s) noexcept -> decltype(s.release_views()) {
    return s.release_views();
  }
};
// Whether a sink borrows events: it takes them by the view protocol and keeps pointers into the
// source's buffers until it retires them, so the source must not reuse those buffers before.
template <class S, class = void>
struct borrows_events : std::false_type {};
template <class S>
struct borrows_events<
    S, std::void_t<decltype(Views::feed(std::declval<S&>(), std::declval<const Event&>())),
                   decltype(Views::retire(std::declval<S&>(), std::declval<const Event*>(),
                                          std::declval<const Event*>())),
                   decltype(Views::release(std::declval<S&>()))>> : std::true_type {};
}  // namespace detail

/// Effects: `sink.feed(e)`; a sink without that member is a compile error that says so.
/// Throws: whatever feed() throws.
template <class Sink>
RTLAT_ALWAYS_INLINE void sink_feed(Sink& sink, const Event& e) {
  static_assert(detail::has_feed<Sink>::value,
                "an rtlat event sink needs a member `void feed(const rtlat::Event&)`");
  sink.feed(e);
}

/// Effects: `sink.task_info(info)` when the sink has that member, else nothing.
/// Throws: whatever task_info() throws.
template <class Sink>
inline void sink_task_info(Sink& sink, const TaskInfo& info) {
  if constexpr (detail::has_task_info<Sink>::value) sink.task_info(info);
}

}  // namespace v1
}  // namespace rtlat
