// A text trace lists events in file order. tracefs `trace` and `trace-cmd report` merge the CPUs
// by timestamp, so their output is sorted but for the odd event printed a little late (and for
// traces put together by hand or by other tools). The engine must see one time order across
// CPUs, or a wakeup printed after the switch-in it caused would make a negative latency.
//
// ReorderWindow holds the most recent `capacity` events sorted by timestamp and releases the
// oldest once it is full, so an event may arrive up to `capacity` events late and still take its
// place. Events later than that reach the sink out of order; the engine counts and drops them
// (TraceStats::out_of_order), never measures them. Sorting is stable: events with equal
// timestamps keep their file order, and a sorted file passes through unchanged. A sorted file
// costs one copy into a ring and one release per event; a late event costs a move of the events
// it passes.
#pragma once

#include <cstddef>
#include <vector>

#include "rtlat/event.hpp"
#include "rtlat/sink.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {
namespace text {

class ReorderWindow {
 public:
  // The default bound: how many events may pass one that was printed late.
  static constexpr std::size_t default_capacity = 16384;

  explicit ReorderWindow(std::size_t capacity = default_capacity) noexcept
      : capacity_(capacity == 0 ? 1 : capacity) {}

  // Queues `e`, with what the source learned about its task on the same line (info.pid 0:
  // nothing), and releases the oldest event to `sink` when the window is full. The task info
  // travels with its event so that a comm change reaches the sink where it happened.
  template <class Sink>
  void push(const Event& e, const TaskInfo& info, Sink& sink) {
    if (size_ == ring_.size()) grow();
    const std::size_t mask = ring_.size() - 1;
    std::size_t at = size_;  // position from the front
    while (at != 0 && ring_[(head_ + at - 1) & mask].event.ts > e.ts) {
      ring_[(head_ + at) & mask] = ring_[(head_ + at - 1) & mask];
      --at;
    }
    ring_[(head_ + at) & mask] = Item{e, info};
    ++size_;
    if (size_ > capacity_) release_front(sink);
  }

  // Releases everything still held, in order.
  template <class Sink>
  void flush(Sink& sink) {
    while (size_ != 0) release_front(sink);
  }

  std::size_t size() const noexcept { return size_; }

 private:
  struct Item {
    Event event;
    TaskInfo info;
  };

  template <class Sink>
  void release_front(Sink& sink) {
    const Item& item = ring_[head_];
    if (item.info.pid > 0) sink_task_info(sink, item.info);
    sink_feed(sink, item.event);
    head_ = (head_ + 1) & (ring_.size() - 1);
    --size_;
  }

  // Doubles the ring (a power of two), keeping the order; small inputs never pay for the bound.
  void grow() {
    std::vector<Item> bigger(ring_.empty() ? 256 : ring_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = ring_[(head_ + i) & (ring_.size() - 1)];
    ring_.swap(bigger);
    head_ = 0;
  }

  std::vector<Item> ring_;  // size_ items from head_, sorted by timestamp
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::size_t capacity_;
};

}  // namespace text
}  // namespace detail
}  // namespace v1
}  // namespace rtlat
