// What ran on each CPU over a span of events, rebuilt from its sched_switch events: the lanes
// the HTML and Perfetto reports draw. A CPU's first switch also says who ran there before it, so
// its lane starts at the span's start; the last task runs on to the span's end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

struct RunSlice {
  int cpu = 0;
  Pid pid = 0;
  std::string comm;
  int prio = 0;
  Timestamp from = 0, to = 0;
};

struct Mark {
  enum Kind : std::uint8_t { wakeup, irq, softirq } kind = wakeup;
  int cpu = 0;
  Timestamp from = 0, to = 0;  // instants (wakeups): from == to
  Pid pid = 0;                 // the woken task
  std::string label;
};

struct Timeline {
  std::vector<int> cpus;  // in order
  std::vector<RunSlice> slices;
  std::vector<Mark> marks;
};

// Streams events in time order per CPU; slices come out as each one ends.
class TimelineBuilder {
 public:
  explicit TimelineBuilder(Timestamp start = 0) : start_(start) {}

  // Calls on_slice(RunSlice) for each run that ends with `e`, on_mark(Mark) for marks.
  template <class OnSlice, class OnMark>
  void feed(const Event& e, OnSlice&& on_slice, OnMark&& on_mark) {
    Lane& lane = lanes_[e.cpu];
    if (e.ts < lane.last) return;  // out of order on its CPU: nothing sound to draw
    lane.last = e.ts;
    switch (e.kind) {
      case EventKind::sched_switch: {
        const Timestamp from = lane.known ? lane.since : start_;
        if (from < e.ts && e.sw.prev_pid != 0)
          on_slice(RunSlice{e.cpu, e.sw.prev_pid, std::string(e.sw.prev_comm.view()),
                            e.sw.prev_prio, from, e.ts});
        lane.known = true;
        lane.pid = e.sw.next_pid;
        lane.comm = std::string(e.sw.next_comm.view());
        lane.prio = e.sw.next_prio;
        lane.since = e.ts;
        break;
      }
      case EventKind::sched_wakeup:
      case EventKind::sched_wakeup_new:
      case EventKind::sched_waking:
        on_mark(Mark{Mark::wakeup, e.cpu, e.ts, e.ts, e.wakeup.pid,
                     std::string(event_kind_name(e.kind)) + " " +
                         std::string(e.wakeup.comm.view()) + ":" + std::to_string(e.wakeup.pid)});
        break;
      case EventKind::irq_entry:
        lane.irq_since = e.ts;
        lane.irq_label = "irq " + std::to_string(e.irq.irq) + " " + std::string(e.irq.name.view());
        break;
      case EventKind::irq_exit:
        if (lane.irq_since >= 0)
          on_mark(Mark{Mark::irq, e.cpu, lane.irq_since, e.ts, 0, lane.irq_label});
        lane.irq_since = -1;
        break;
      case EventKind::softirq_entry:
        lane.softirq_since = e.ts;
        break;
      case EventKind::softirq_exit:
        if (lane.softirq_since >= 0)
          on_mark(Mark{Mark::softirq, e.cpu, lane.softirq_since, e.ts, 0,
                       "softirq " + std::to_string(e.softirq.vec)});
        lane.softirq_since = -1;
        break;
      case EventKind::lost_events:
        lane.known = false;  // who ran after the loss is not known until the next switch
        lane.pid = 0;
        lane.since = e.ts;
        break;
      default:
        break;
    }
  }

  // Ends every lane's current run at `end`.
  template <class OnSlice>
  void finish(Timestamp end, OnSlice&& on_slice) {
    for (auto& [cpu, lane] : lanes_)
      if (lane.known && lane.pid != 0 && lane.since < end)
        on_slice(RunSlice{cpu, lane.pid, lane.comm, lane.prio, lane.since, end});
  }

  std::vector<int> cpus() const {
    std::vector<int> v;
    for (const auto& [cpu, lane] : lanes_) v.push_back(cpu);
    return v;
  }

 private:
  struct Lane {
    bool known = false;
    Pid pid = 0;
    std::string comm;
    int prio = 0;
    Timestamp since = 0, last = 0;
    Timestamp irq_since = -1, softirq_since = -1;
    std::string irq_label;
  };
  Timestamp start_;
  std::map<int, Lane> lanes_;
};

// The timeline of one window: its events from start to end.
inline Timeline timeline_of(const std::vector<Event>& events, Timestamp start, Timestamp end) {
  Timeline t;
  TimelineBuilder b(start);
  auto slice = [&t](RunSlice s) { t.slices.push_back(std::move(s)); };
  auto mark = [&t](Mark m) { t.marks.push_back(std::move(m)); };
  for (const Event& e : events) b.feed(e, slice, mark);
  b.finish(end, slice);
  t.cpus = b.cpus();
  return t;
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
