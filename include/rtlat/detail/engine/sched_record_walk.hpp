// The walk breakdowns are made of: the per-CPU scheduler records (sched_ring.hpp) of an interval
// replayed in time order, following one task, with every nanosecond of it added to one part
// (TimeByPart). What a CPU did is only what its records prove: the stretch before a switch that
// was not recorded (an implicit one) is unknown, never idle or the task believed to run; a task
// has the prio its switch-out shows, which a policy change while it ran makes differ from its
// switch-in's; a wakeup issued inside a hard IRQ or softirq is the interrupt's, not the
// interrupted task's.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "rtlat/breakdown.hpp"
#include "rtlat/detail/always_inline.hpp"
#include "rtlat/detail/engine/sched_ring.hpp"
#include "rtlat/detail/engine/time_by_part.hpp"
#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// Where one task is along a walk: running on or waiting on a CPU, migrating to one, blocked (since
// when, and whether uninterruptibly), or unknown.
struct TaskPlace {
  enum State : std::uint8_t { running, runnable, migrating, blocked, unknown };
  State state = unknown;
  int cpu = -1;         // running on / waiting on
  Timestamp since = 0;  // blocked: since when
  bool io = false;      // blocked: an uninterruptible sleep
};

// What a CPU was doing along a walk: who ran, at what prio, inside which IRQ or softirq, in
// which idle state, with interrupts on or off.
struct CpuActivity {
  Pid current = -1;  // -1 unknown
  int prio = 0;
  int irq_depth = 0;
  int softirq_depth = 0;
  int irq = -1;         // the innermost hard IRQ's number
  int softirq = -1;     // the innermost softirq's vector
  int last_irq = -1;    // the last hard IRQ entered since the last switch
  int idle_state = -1;  // power:cpu_idle's state while idle; -1 unknown
  int irqs = -1;        // -1 unknown, 0 interrupts on, > 0 off (the caller's id)
};

// Where a wakeup came from: a task (none), or an interrupt on the waker's CPU.
struct WakeFrom {
  enum Kind : std::uint8_t { task, hardirq, softirq };
  Kind kind = task;
  int number = -1;     // IRQ number or softirq vector
  bool after = false;  // the idle task's wakeup after a hard IRQ, no softirq events to show it
};

// What one CPU did over [from, to] along a walk: a task ran (running: pid, prio), idle (detail:
// the idle state), irq / softirq (detail: the number), or unknown.
struct LaneRun {
  int cpu;
  Timestamp from, to;
  PartState state;
  Pid pid;
  int prio;
  int detail;
};

// A walk over the records of every CPU in (from, to], in time order (ties: lower CPU first),
// following one task (or a CPU: a pid no task has, runnable there).
class SchedRecordWalk {
 public:
  // `softirqs_seen`: softirq events were recorded (WakeFrom::after).
  SchedRecordWalk(const std::vector<SchedRing>& rings, Timestamp from, Timestamp to,
                  bool softirqs_seen = true)
      : rings_(rings),
        to_(to),
        softirqs_seen_(softirqs_seen),
        at_(from),
        cpus_(rings.size()),
        pos_(rings.size()),
        end_(rings.size()),
        lane_from_(rings.size(), from),
        last_run_(rings.size(), no_run) {
    for (std::size_t c = 0; c < rings.size(); ++c) {
      const SchedRing& r = rings[c];
      pos_[c] = r.upper_bound(from);
      end_[c] = r.upper_bound(to);
      cpus_[c] = at_start(r, pos_[c]);
      if (r.forgot_before(from)) short_ = true;
    }
  }

  // True when some CPU's records did not reach back to the walk's start.
  bool history_too_short() const noexcept { return short_; }

  // From here on, what every CPU did goes to `lanes` too (consecutive equal runs of a CPU
  // merged): the timeline of the same walk.
  // Between walks every CPU's lane is cut where the walk stands.
  void keep_lanes(std::vector<LaneRun>* lanes) {
    lanes_ = lanes;
    std::fill(lane_from_.begin(), lane_from_.end(), at_);
  }

  // Takes what each CPU runs afresh from the records before where the walk stands, as a walk
  // starting there would: a breakdown made of stretches (a timer's) reads each one as before.
  void reseat() {
    for (std::size_t c = 0; c < rings_.size(); ++c) cpus_[c] = at_start(rings_[c], pos_[c]);
  }

  // Follows `pid` from state `s` where the walk stands to `to`, adding its time to `sums`.
  // `on_block(woken_at, blocked_since, waker, waker_cpu, source, io)` is called when a block of
  // the task ends with a wakeup: `source` (WakeFrom) says whether the waker's CPU was in an
  // interrupt, `io` whether the block was an uninterruptible sleep.
  template <class OnBlock>
  void follow(Pid pid, TaskPlace s, TimeByPart& sums, OnBlock&& on_block) {
    follow_until(pid, s, sums, on_block, to_);
  }

  // The same up to `until` (within the walk's span): the followed task's walk ends there, and
  // the next call goes on from there, maybe following another.
  template <class OnBlock>
  void follow_until(Pid pid, TaskPlace s, TimeByPart& sums, OnBlock&& on_block, Timestamp until) {
    // Two loops, so that the one without a timeline asks nothing about lanes at each record.
    if (lanes_ != nullptr) {
      follow_records<true>(pid, s, sums, on_block, until);
    } else {
      follow_records<false>(pid, s, sums, on_block, until);
    }
  }

 private:
  template <bool Lanes, class OnBlock>
  void follow_records(Pid pid, TaskPlace& s, TimeByPart& sums, OnBlock& on_block, Timestamp until) {
    until = std::clamp(until, at_, to_);
    // The next timestamp of each CPU (INT64_MAX once done), so choosing the next record reads
    // one array instead of every ring.
    const std::size_t n = cpus_.size();
    std::vector<Timestamp> next(n, INT64_MAX);
    std::vector<std::uint64_t> stop(n);
    std::uint64_t remaining = 0;
    for (std::size_t c = 0; c < n; ++c) {
      // A walk to its end (the common case) stops where the constructor found the end.
      stop[c] = until == to_ ? end_[c]
                             : std::min(end_[c], std::max(pos_[c], rings_[c].upper_bound(until)));
      if (pos_[c] < stop[c]) next[c] = rings_[c].at(pos_[c]).ts;
      remaining += stop[c] - pos_[c];
    }
    Timestamp t_prev = at_;
    for (; remaining > 0; --remaining) {
      std::size_t best = n;
      Timestamp t = INT64_MAX;
      for (std::size_t c = 0; c < n; ++c) {
        if (next[c] < t) {
          t = next[c];
          best = c;
        }
      }
      if (best == n) {  // only records stamped at the very end of time are left
        best = 0;
        while (pos_[best] >= stop[best]) ++best;
      }
      const SchedRing& ring = rings_[best];
      const SchedRecord& r = ring.at(pos_[best]++);
      next[best] = pos_[best] < stop[best] ? ring.at(pos_[best]).ts : INT64_MAX;
      const int c = static_cast<int>(best);
      CpuActivity& now = cpus_[best];
      // Only a record on the task's CPU or about the task changes where its time goes; the
      // others just keep their CPU's state current, and the span goes on unsplit.
      const bool on_task_cpu = c == s.cpu;
      const bool mine = on_task_cpu || r.pid == pid || r.other_pid == pid;
      if (mine) {
        if (on_task_cpu) switched_out_prio(now, r);
        account(pid, s, t_prev, t, sums, on_task_cpu ? &r : nullptr);
        t_prev = t;
      }
      if constexpr (Lanes) {
        switched_out_prio(now, r);
        lane(c, t, &r);
      }
      // Any other record changes only what its CPU does.
      if (mine) {
        apply(pid, s, r, c, sums, on_block);
      } else {
        track(now, r);
      }
    }
    account(pid, s, t_prev, until, sums, nullptr);
    if (s.state == TaskPlace::blocked) sums.add(PartState::blocked, -1, -1, 0, s.since, until);
    if constexpr (Lanes)
      for (std::size_t c = 0; c < n; ++c) lane(static_cast<int>(c), until, nullptr);
    at_ = until;
  }

  // The prio the task leaving the CPU shows is the one it ran with (a policy change while it
  // ran has no event). Only what is read before the switch applies needs it: the stretch the
  // record ends, on the followed task's CPU or in the CPU's lane.
  static void switched_out_prio(CpuActivity& now, const SchedRecord& r) noexcept {
    if (r.type == SchedRecord::switched && r.pid == now.current && r.pid > 0) now.prio = r.prio;
  }

  // What ran on the ring's CPU at position `pos`: the latest switch before it, and the hard IRQs
  // and softirqs entered since and not left (a wakeup is often issued from inside one).
  static CpuActivity at_start(const SchedRing& r, std::uint64_t pos) {
    CpuActivity now;
    int irq_exits = 0, softirq_exits = 0;
    bool idle_known = false, irqs_known = false;
    for (std::uint64_t p = pos; p > r.oldest();) {
      const SchedRecord& x = r.at(--p);
      if (x.type == SchedRecord::switched || x.type == SchedRecord::implicit) {
        now.current = x.other_pid;
        now.prio = x.other_prio;
        break;
      }
      if (x.type == SchedRecord::lost) break;
      switch (x.type) {
        case SchedRecord::irq_exit:
          ++irq_exits;
          break;
        case SchedRecord::irq_entry:
          if (now.last_irq < 0) now.last_irq = x.number();
          if (irq_exits > 0) {
            --irq_exits;
          } else {
            if (now.irq_depth++ == 0) now.irq = x.number();
          }
          break;
        case SchedRecord::softirq_exit:
          ++softirq_exits;
          break;
        case SchedRecord::softirq_entry:
          if (softirq_exits > 0) {
            --softirq_exits;
          } else {
            if (now.softirq_depth++ == 0) now.softirq = x.number();
          }
          break;
        case SchedRecord::idle:
          if (!idle_known) now.idle_state = x.number();
          idle_known = true;
          break;
        case SchedRecord::irqs_off:
        case SchedRecord::irqs_on:
          if (!irqs_known) now.irqs = x.type == SchedRecord::irqs_on ? 0 : x.number();
          irqs_known = true;
          break;
        default:
          break;
      }
    }
    return now;
  }

  // The span [a, b] of `pid` in state s; `next_on_cpu`: the record ending it, when it is on the
  // task's CPU (else the CPU's next record decides whether a switch there went unrecorded).
  // Inlined: a walk accounts at every record on the followed task's CPU.
  RTLAT_ALWAYS_INLINE void account(Pid pid, const TaskPlace& s, Timestamp a, Timestamp b,
                                   TimeByPart& sums, const SchedRecord* next_on_cpu) const {
    if (b <= a) return;
    switch (s.state) {
      case TaskPlace::running:
      case TaskPlace::runnable: {
        const CpuActivity& c = cpu(s.cpu);
        if (s.cpu < 0 || c.current < 0 || unrecorded_switch_next(s.cpu, next_on_cpu)) {
          sums.add(PartState::unknown, s.cpu, -1, 0, a, b);
        } else if (c.irq_depth > 0) {
          sums.add(PartState::irq, s.cpu, -1, 0, a, b, c.irq);
        } else if (c.softirq_depth > 0) {
          sums.add(PartState::softirq, s.cpu, -1, 0, a, b, c.softirq);
        } else if (s.state == TaskPlace::running) {
          sums.add(c.current == pid ? PartState::running : PartState::unknown, s.cpu, -1, 0, a, b);
        } else if (c.current == 0) {
          sums.add(PartState::idle, s.cpu, -1, 0, a, b, c.idle_state);
        } else if (c.current == pid) {
          sums.add(PartState::unknown, s.cpu, -1, 0, a, b);  // records contradict each other
        } else {
          sums.add(PartState::runnable, s.cpu, c.current, c.prio, a, b, c.irqs);
        }
        break;
      }
      case TaskPlace::migrating:
        sums.add(PartState::migration, s.cpu, -1, 0, a, b);
        break;
      case TaskPlace::blocked:
        break;  // added when the wakeup names the waker
      case TaskPlace::unknown:
        sums.add(PartState::unknown, -1, -1, 0, a, b);
        break;
    }
  }

  // What CPU c did from its last cut to `t`, `next_on_cpu` (or its next record) ending it; the
  // same reading account() gives a task running or waiting there.
  void lane(int c, Timestamp t, const SchedRecord* next_on_cpu) {
    const auto i = static_cast<std::size_t>(c);
    const Timestamp from = lane_from_[i];
    lane_from_[i] = t;
    if (lanes_ == nullptr || t <= from) return;
    const CpuActivity& now = cpus_[i];
    LaneRun run{c, from, t, PartState::unknown, -1, 0, -1};
    if (now.current < 0 || unrecorded_switch_next(c, next_on_cpu)) {
      // unknown
    } else if (now.irq_depth > 0) {
      run.state = PartState::irq;
      run.detail = now.irq;
    } else if (now.softirq_depth > 0) {
      run.state = PartState::softirq;
      run.detail = now.softirq;
    } else if (now.current == 0) {
      run.state = PartState::idle;
      run.detail = now.idle_state;
    } else {
      run.state = PartState::running;
      run.pid = now.current;
      run.prio = now.prio;
    }
    if (last_run_[i] != no_run) {
      LaneRun& last = (*lanes_)[last_run_[i]];
      if (last.to == from && last.state == run.state && last.pid == run.pid &&
          last.prio == run.prio && last.detail == run.detail) {
        last.to = t;
        return;
      }
    }
    last_run_[i] = lanes_->size();
    lanes_->push_back(run);
  }

  // Whether the CPU's next record is an implicit switch: what ran there since its last record
  // is then unproven.
  bool unrecorded_switch_next(int c, const SchedRecord* next_on_cpu) const noexcept {
    if (next_on_cpu != nullptr) return next_on_cpu->type == SchedRecord::implicit;
    const auto i = static_cast<std::size_t>(c);
    const SchedRing& r = rings_[i];
    return pos_[i] < r.head() && r.at(pos_[i]).type == SchedRecord::implicit;
  }

  // Inlined: it runs at every record of the walk.
  template <class OnBlock>
  RTLAT_ALWAYS_INLINE void apply(Pid pid, TaskPlace& s, const SchedRecord& r, int c,
                                 TimeByPart& sums, OnBlock&& on_block) {
    bool woken = false;
    if (s.state != TaskPlace::blocked) {
      update(pid, s, r, c, on_block, woken);
      return;
    }
    const Timestamp since = s.since;
    update(pid, s, r, c, on_block, woken);
    // A block that ended without a recorded wakeup (a switch-in, a contradiction): its time is
    // still part of the interval, blocked with no known waker.
    if (!woken && !(s.state == TaskPlace::blocked && s.since == since))
      sums.add(PartState::blocked, -1, -1, 0, since, r.ts);
  }

  WakeFrom wake_source(const CpuActivity& now, Pid waker) const noexcept {
    WakeFrom w;
    if (now.irq_depth > 0) {
      w.kind = WakeFrom::hardirq;
      w.number = now.irq;
    } else if (now.softirq_depth > 0) {
      w.kind = WakeFrom::softirq;
      w.number = now.softirq;
    } else if (waker == 0 && !softirqs_seen_ && now.last_irq >= 0) {
      w.kind = WakeFrom::hardirq;
      w.number = now.last_irq;
      w.after = true;
    }
    return w;
  }

  // What record r changes in what its CPU does. Inlined: it runs at every record of the walk.
  static RTLAT_ALWAYS_INLINE void track(CpuActivity& now, const SchedRecord& r) noexcept {
    switch (r.type) {
      case SchedRecord::switched:
        now.current = r.other_pid;
        now.prio = r.other_prio;
        now.irq_depth = now.softirq_depth = 0;
        now.last_irq = now.idle_state = -1;
        break;
      case SchedRecord::implicit:
        now.current = r.other_pid;
        now.prio = r.other_prio;
        now.last_irq = now.idle_state = -1;
        break;
      case SchedRecord::irq_entry:
        if (now.irq_depth++ == 0) now.irq = r.number();
        now.last_irq = r.number();
        break;
      case SchedRecord::irq_exit:
        if (now.irq_depth > 0) --now.irq_depth;
        break;
      case SchedRecord::softirq_entry:
        if (now.softirq_depth++ == 0) now.softirq = r.number();
        break;
      case SchedRecord::softirq_exit:
        if (now.softirq_depth > 0) --now.softirq_depth;
        break;
      case SchedRecord::idle:
        now.idle_state = r.number();
        break;
      case SchedRecord::irqs_off:
        now.irqs = r.number() > 0 ? r.number() : 1;
        break;
      case SchedRecord::irqs_on:
        now.irqs = 0;
        break;
      case SchedRecord::lost:
        now = CpuActivity{};
        break;
      case SchedRecord::woken:
      case SchedRecord::migrated:
        break;
    }
  }

  // What record r on CPU c changes for the followed task (a record on its CPU or about it),
  // after what it changes for the CPU. A wakeup changes nothing on its CPU, so the interrupt
  // it came from is read as it stands.
  template <class OnBlock>
  RTLAT_ALWAYS_INLINE void update(Pid pid, TaskPlace& s, const SchedRecord& r, int c,
                                  OnBlock&& on_block, bool& woken) {
    CpuActivity& now = cpus_[static_cast<std::size_t>(c)];
    track(now, r);
    switch (r.type) {
      case SchedRecord::switched:
        if (r.pid == pid && r.pid != r.other_pid) {
          if (r.prev_class == SchedRecord::preempted) {
            s = {TaskPlace::runnable, c, 0};
          } else if (is_sleep(r.prev_class)) {
            s = {TaskPlace::blocked, -1, r.ts, r.prev_class == SchedRecord::slept_io};
          } else {
            s = {TaskPlace::unknown, -1, 0};
          }
        }
        if (r.other_pid == pid) s = {TaskPlace::running, c, 0};
        break;
      case SchedRecord::implicit:
        if (r.other_pid == pid) {
          s = {TaskPlace::running, c, 0};
        } else if (s.state == TaskPlace::running && s.cpu == c) {
          s = {TaskPlace::unknown, -1, 0};  // it left the CPU unseen
        }
        break;
      case SchedRecord::woken:
        if (r.pid == pid && (s.state == TaskPlace::blocked || s.state == TaskPlace::unknown)) {
          if (s.state == TaskPlace::blocked) {
            on_block(r.ts, s.since, r.other_pid, c, wake_source(now, r.other_pid), s.io);
            woken = true;
          }
          const int target =
              r.target_cpu >= 0 && static_cast<std::size_t>(r.target_cpu) < cpus_.size()
                  ? r.target_cpu
                  : c;
          s = {TaskPlace::runnable, target, 0};
        }
        break;
      case SchedRecord::migrated:
        if (r.pid == pid && (s.state == TaskPlace::runnable || s.state == TaskPlace::migrating) &&
            r.target_cpu >= 0 && static_cast<std::size_t>(r.target_cpu) < cpus_.size())
          s = {TaskPlace::migrating, r.target_cpu, 0};
        break;
      case SchedRecord::lost:
        if ((s.state == TaskPlace::running || s.state == TaskPlace::runnable) && s.cpu == c)
          s = {TaskPlace::unknown, -1, 0};
        break;
      default:
        break;
    }
  }

  const CpuActivity& cpu(int c) const noexcept {
    static const CpuActivity none;
    return c >= 0 && static_cast<std::size_t>(c) < cpus_.size() ? cpus_[static_cast<std::size_t>(c)]
                                                                : none;
  }

  static constexpr std::size_t no_run = SIZE_MAX;

  const std::vector<SchedRing>& rings_;
  Timestamp to_;
  bool softirqs_seen_;
  Timestamp at_;  // where the walk stands
  std::vector<CpuActivity> cpus_;
  std::vector<std::uint64_t> pos_, end_;
  std::vector<Timestamp> lane_from_;   // each CPU's lane is cut up to here
  std::vector<std::size_t> last_run_;  // each CPU's last run in *lanes_
  std::vector<LaneRun>* lanes_ = nullptr;
  bool short_ = false;
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
