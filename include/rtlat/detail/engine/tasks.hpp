// The engine's first job, pid lifecycle: which task entry a pid names. Entries are created with
// their SLO bounds and selection, learn comms and tgids (from events or from what the source knew
// beforehand), and are replaced when a pid is reused. Nothing here knows the metric rules.
//
// Bounded memory (Config::max_finished_tasks): an entry finishes when its task is gone or its
// pid names a new entry; finished entries wait in an LRU (oldest finished first). Past the
// bound the oldest are folded into per-comm groups (folding.hpp) and their storage goes to a
// free list that create() takes from, so in the steady state entries are recycled, not
// allocated. Per operation: finished() O(1), create() O(1) (plus the reset of a recycled
// entry), fold_excess() O(CPUs + histogram buckets) per entry folded; memory is
// O(alive tasks + bound + distinct comms folded), independent of the tasks ever seen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <unordered_map>

#include "rtlat/config.hpp"
#include "rtlat/detail/always_inline.hpp"
#include "rtlat/detail/engine/cpus.hpp"
#include "rtlat/detail/engine/finished_lru.hpp"
#include "rtlat/detail/engine/folding.hpp"
#include "rtlat/detail/engine/pid_table.hpp"
#include "rtlat/detail/engine/task.hpp"
#include "rtlat/event.hpp"
#include "rtlat/sink.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

class TaskStore {
 public:
  explicit TaskStore(const Config& cfg)
      : cfg_(cfg),
        max_finished_(cfg.max_finished_tasks ? *cfg.max_finished_tasks
                                             : std::numeric_limits<std::size_t>::max()) {}
  TaskStore(const TaskStore&) = delete;
  TaskStore& operator=(const TaskStore&) = delete;

  // The current entry of pid, or null. Two dependent loads, no allocation.
  Task* find(Pid pid) const noexcept { return pids_.find(pid); }

  // A new entry for pid (replacing any in the pid table). What the source knew about the pid
  // before it appeared (saved cmdlines, tgids) fills what `comm` does not say.
  Task& create(Pid pid, const Comm& comm, Timestamp ts) {
    if (Task* old = pids_.find(pid)) finished(*old);  // no longer reachable by its pid
    Task& t = fresh();
    t.order = next_order_++;
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

  // Whether an event naming t's pid is about a new task: the pid was freed, or a dead task's
  // pid shows up starting a life (a fork, sched_wakeup_new) or under another name.
  RTLAT_ALWAYS_INLINE static bool reused(const Task& t, const Comm& comm,
                                         bool starts_life) noexcept {
    return t.gone ||
           (t.state == TaskState::dead && (starts_life || (!comm.empty() && comm != t.comm)));
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

  // Every entry's storage; addresses are stable. First seen first while nothing was folded
  // (folded_any()); then entries are reused, skip those `folded` and order by `order`.
  const std::deque<Task>& all() const noexcept { return tasks_; }
  // The rules' rare sweeps over every entry in use (not folded).
  template <class F>
  void for_each_live(F&& f) {
    for (Task& t : tasks_)
      if (!t.folded) f(t);
  }
  bool folded_any() const noexcept { return folds_.tasks() != 0; }
  const FoldGroups& folds() const noexcept { return folds_; }

  // t ended (gone) or lost its pid: it may be folded once the bound is passed. O(1),
  // idempotent, no allocation.
  void finished(Task& t) noexcept {
    if (Lru::linked(t)) return;
    finished_.push_back(t);
    over_bound_ = finished_.size() > max_finished_;
  }
  // Checked after every event: a flag, kept where the list grows, rather than a compare of two
  // values that the hot loop would have to load.
  bool over_bound() const noexcept { return over_bound_; }
  // Folds the least recently finished entries until the bound holds again. Called between
  // events, when no rule holds a reference to an entry; the CPU states drop theirs here.
  void fold_excess(CpuStates& cpus) {
    while (finished_.size() > max_finished_) {
      Task& t = finished_.pop_front();
      if (t.selected && !t.provisional) folds_.fold(t);
      pids_.clear(t.pid, &t);
      cpus.forget_task(&t);
      t.folded = true;
      free_.push_back(t);
    }
    over_bound_ = false;
  }

  struct Counts {
    std::size_t entries = 0, finished = 0, free = 0;
    std::size_t bytes = 0;
  };
  // The entries and the bytes the task side of the engine holds. O(entries + groups).
  Counts memory() const noexcept {
    Counts c;
    c.entries = tasks_.size();
    c.finished = finished_.size();
    c.free = free_.size();
    c.bytes = tasks_.size() * sizeof(Task) + pids_.bytes() + folds_.bytes() +
              hints_.size() * (sizeof(std::pair<const Pid, TaskInfo>) + 2 * sizeof(void*)) +
              hints_.bucket_count() * sizeof(void*);
    for (const Task& t : tasks_) {
      for (const MetricStats& s : t.stats) c.bytes += s.heap_bytes();
      c.bytes += t.derived_irq.heap_bytes();
    }
    return c;
  }

 private:
  static bool is_irq_thread(const Comm& c) noexcept { return c.view().substr(0, 4) == "irq/"; }

  void update_selection(Task& t) const {
    const Selection& s = cfg_.selection;
    t.provisional = false;
    if (s.all() || t.forked_by_selected) {
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

  using Lru = IntrusiveQueue<Task, &Task::lru>;

  // A free entry reset to a new one's state (its old buffers released), else a new one.
  Task& fresh() {
    if (free_.empty()) return tasks_.emplace_back();
    Task& t = free_.pop_front();
    t = Task{};  // the hook's assignment keeps it unlinked
    return t;
  }

  const Config& cfg_;
  std::size_t max_finished_;
  bool over_bound_ = false;  // finished_ holds more than max_finished_
  std::deque<Task> tasks_;   // stable addresses: the pid table and CPU states point at entries
  PidTable<Task> pids_;
  std::unordered_map<Pid, TaskInfo> hints_;  // saved cmdlines / tgids for tasks not seen yet
  FoldGroups folds_;
  std::uint64_t next_order_ = 0;
  // After tasks_: destroyed first, unlinking the entries before they go.
  Lru finished_;
  Lru free_;
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
