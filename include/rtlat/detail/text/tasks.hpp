// What a text source already told its sink about each task (comm from the task column, tgid from
// the tgid column), so task_info is sent once per pid and again only when something changes.
// An open-addressing table keyed by pid: a lookup per line, an allocation only when it grows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "rtlat/event.hpp"
#include "rtlat/sink.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {
namespace text {

class TaskTable {
 public:
  // Merges what a line says about `pid` (tgid -1 / empty comm: not known from this line).
  // Returns the merged info when it is news for the sink, nullptr otherwise. pid must be > 0.
  const TaskInfo* update(Pid pid, Pid tgid, const Comm& comm) {
    if (slots_.empty() || (used_ + 1) * 2 > slots_.size()) grow();
    TaskInfo& t = slot(pid);
    if (t.pid == 0) {
      t.pid = pid;
      t.tgid = tgid;
      t.comm = comm;
      ++used_;
      return &t;
    }
    bool changed = false;
    if (tgid >= 0 && tgid != t.tgid) {
      t.tgid = tgid;
      changed = true;
    }
    if (!comm.empty() && comm != t.comm) {
      t.comm = comm;
      changed = true;
    }
    return changed ? &t : nullptr;
  }

 private:
  TaskInfo& slot(Pid pid) {
    const std::size_t mask = slots_.size() - 1;
    // Fibonacci hashing; the product is meant to wrap in 32 bits.
    std::size_t i = static_cast<std::size_t>(static_cast<std::uint32_t>(pid) * 2654435761u) & mask;
    while (slots_[i].pid != 0 && slots_[i].pid != pid) i = (i + 1) & mask;
    return slots_[i];
  }
  void grow() {
    std::vector<TaskInfo> old(slots_.empty() ? 1024 : slots_.size() * 2);
    old.swap(slots_);
    for (const TaskInfo& t : old)
      if (t.pid != 0) slot(t.pid) = t;
  }
  std::vector<TaskInfo> slots_;  // pid 0: empty
  std::size_t used_ = 0;
};

}  // namespace text
}  // namespace detail
}  // namespace v1
}  // namespace rtlat
