// Any sink behind one pointer and two function pointers: how the compiled mode's FileSource
// hands a caller's sink to the library, which cannot be instantiated for the caller's type.
#pragma once

#include "rtlat/sink.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

struct SinkRef {
  void* sink;
  void (*feed_fn)(void*, const Event&);
  void (*task_info_fn)(void*, const TaskInfo&);

  template <class Sink>
  static SinkRef of(Sink& s) noexcept {
    return {&s, [](void* p, const Event& e) { sink_feed(*static_cast<Sink*>(p), e); },
            [](void* p, const TaskInfo& i) { sink_task_info(*static_cast<Sink*>(p), i); }};
  }
  void feed(const Event& e) const { feed_fn(sink, e); }
  void task_info(const TaskInfo& i) const { task_info_fn(sink, i); }
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
