// The engine's first job, pid lifecycle: which task entry a pid names. Entries are created with
// their SLO bounds and selection, learn comms and tgids (from events or from what the source knew
// beforehand), and are replaced when a pid is reused. Nothing here knows the metric rules.
#pragma once

#include <deque>
#include <unordered_map>

#include "rtlat/config.hpp"
#include "rtlat/detail/engine/pid_table.hpp"
#include "rtlat/detail/engine/task.hpp"
#include "rtlat/event.hpp"
#include "rtlat/sink.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

class TaskStore {
 public:
  explicit TaskStore(const Config& cfg) : cfg_(cfg) {}
  TaskStore(const TaskStore&) = delete;
  TaskStore& operator=(const TaskStore&) = delete;

  // The current entry of pid, or null. Two dependent loads, no allocation.
  Task* find(Pid pid) const noexcept { return pids_.find(pid); }

  // A new entry for pid (replacing any in the pid table). What the source knew about the pid
  // before it appeared (saved cmdlines, tgids) fills what `comm` does not say.
  Task& create(Pid pid, const Comm& comm, Timestamp ts) {
    Task& t = tasks_.emplace_back();
    t.pid = pid;
    t.first_seen = t.last_seen = ts;
    if (auto it = hints_.find(pid); it != hints_.end()) {
      t.comm = it->second.comm;
      t.tgid = it->second.tgid;
    }
    if (!comm.empty()) t.comm = comm;
    t.irq_thread = is_irq_thread(t.comm);
    for (Metric m : all_metrics) t.slo[static_cast<std::size_t>(m)] = cfg_.slo_ns(pid, m);
    update_selection(t);
    pids_.set(pid, &t);
    return t;
  }

  // Whether an event naming t's pid is about a new task: the pid was freed, or an exited task's
  // pid shows up starting a life (a fork, sched_wakeup_new) or under another name.
  static bool reused(const Task& t, const Comm& comm, bool starts_life) noexcept {
    return t.gone || (t.exited && (starts_life || (!comm.empty() && comm != t.comm)));
  }

  void set_comm(Task& t, const Comm& comm) {
    t.comm = comm;
    t.irq_thread = is_irq_thread(comm);
    if (cfg_.selection.comm) update_selection(t);
  }

  // What the source learned outside the event stream: applied to the live entry, or kept for
  // the entry the pid will get.
  void task_info(const TaskInfo& info) {
    if (info.pid <= 0) return;
    if (Task* t = find(info.pid); t != nullptr && !t->gone) {
      if (!info.comm.empty()) set_comm(*t, info.comm);
      if (info.tgid >= 0 && t->tgid != info.tgid) {
        t->tgid = info.tgid;
        update_selection(*t);
      }
      return;
    }
    TaskInfo& h = hints_[info.pid];
    h.pid = info.pid;
    if (!info.comm.empty()) h.comm = info.comm;
    if (info.tgid >= 0) h.tgid = info.tgid;
  }

  // Every entry ever made, first seen first; addresses are stable.
  const std::deque<Task>& all() const noexcept { return tasks_; }

 private:
  static bool is_irq_thread(const Comm& c) noexcept { return c.view().substr(0, 4) == "irq/"; }

  void update_selection(Task& t) const {
    const Selection& s = cfg_.selection;
    t.provisional = false;
    if (s.all()) {
      t.selected = true;
      return;
    }
    bool sel = false;
    for (Pid p : s.pids) sel = sel || p == t.pid;
    for (Pid g : s.tgids) sel = sel || (t.tgid >= 0 && g == t.tgid);
    if (!sel && s.comm) sel = s.comm(t.comm.view());
    if (!sel && !s.tgids.empty() && t.tgid < 0) t.provisional = sel = true;
    t.selected = sel;
  }

  const Config& cfg_;
  std::deque<Task> tasks_;  // stable addresses: the pid table and CPU states point at entries
  PidTable<Task> pids_;
  std::unordered_map<Pid, TaskInfo> hints_;  // saved cmdlines / tgids for tasks not seen yet
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
