// Where a sample's interval went, from the per-CPU scheduler records (sched_ring.hpp): the
// measured task's own timeline (running, runnable behind whom, blocked until whom woke it),
// the CPUs it ran or waited on, and for each block what the waker did meanwhile. Computed only
// when a sample becomes a task's worst (or, with Config::explain_all, violates its bound), never
// per event: O(scheduler records in the interval, over all CPUs).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "rtlat/breakdown.hpp"
#include "rtlat/detail/engine/sched_ring.hpp"
#include "rtlat/detail/engine/tasks.hpp"
#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// The state of one task along a walk.
struct Subject {
  enum State : std::uint8_t { running, runnable, migrating, blocked, unknown };
  State state = unknown;
  int cpu = -1;         // running on / waiting on
  Timestamp since = 0;  // blocked: since when
};

// What a CPU was doing along a walk.
struct CpuNow {
  Pid current = -1;  // -1 unknown
  int prio = 0;
  int irq_depth = 0;
  int softirq_depth = 0;
};

// Time accumulated per (state, cpu, pid), with the prio the pid had. A walk adds often but
// mostly to the key it added to last, and to few keys: a flat table that checks the last key
// first beats a tree. each() visits the keys in (state, cpu, pid) order, which the report order
// relies on.
class PartSums {
 public:
  void add(PartState s, int cpu, Pid pid, int prio, std::int64_t ns) {
    if (ns <= 0) return;
    const Key k{static_cast<int>(s), cpu, pid};
    if (last_ >= entries_.size() || !(entries_[last_].key == k)) last_ = slot(k);
    entries_[last_].ns += ns;
    entries_[last_].prio = prio;
  }
  std::int64_t total(PartState s) const {
    std::int64_t n = 0;
    for (const Entry& e : entries_)
      if (e.key.state == static_cast<int>(s)) n += e.ns;
    return n;
  }
  template <class F>
  void each(F&& f) const {
    std::vector<const Entry*> order;
    order.reserve(entries_.size());
    for (const Entry& e : entries_) order.push_back(&e);
    std::sort(order.begin(), order.end(), [](const Entry* x, const Entry* y) {
      return std::tie(x->key.state, x->key.cpu, x->key.pid) <
             std::tie(y->key.state, y->key.cpu, y->key.pid);
    });
    for (const Entry* e : order)
      f(static_cast<PartState>(e->key.state), e->key.cpu, e->key.pid, e->prio, e->ns);
  }

 private:
  struct Key {
    int state, cpu;
    Pid pid;
    bool operator==(const Key& o) const noexcept {
      return state == o.state && cpu == o.cpu && pid == o.pid;
    }
  };
  struct Entry {
    Key key;
    std::int64_t ns;
    int prio;
  };
  // Few keys: a scan. Many (a busy CPU with hundreds of tasks): a hash index.
  std::size_t slot(const Key& k) {
    if (index_.empty()) {
      for (std::size_t i = 0; i < entries_.size(); ++i)
        if (entries_[i].key == k) return i;
      entries_.push_back({k, 0, 0});
      if (entries_.size() > scan_limit)
        for (std::size_t i = 0; i < entries_.size(); ++i)
          index_.emplace(packed(entries_[i].key), i);
      return entries_.size() - 1;
    }
    const auto [it, added] = index_.emplace(packed(k), entries_.size());
    if (added) entries_.push_back({k, 0, 0});
    return it->second;
  }
  static std::uint64_t packed(const Key& k) noexcept {
    return (static_cast<std::uint64_t>(k.state) << 61) ^
           (static_cast<std::uint64_t>(static_cast<std::uint32_t>(k.cpu + 1)) << 32) ^
           static_cast<std::uint32_t>(k.pid);
  }
  static constexpr std::size_t scan_limit = 16;

  std::vector<Entry> entries_;
  std::unordered_map<std::uint64_t, std::size_t> index_;
  std::size_t last_ = 0;
};

// A walk over the records of every CPU in (from, to], in time order (ties: lower CPU first),
// following one task.
class Walk {
 public:
  Walk(const std::vector<SchedRing>& rings, Timestamp from, Timestamp to)
      : rings_(rings),
        from_(from),
        to_(to),
        cpus_(rings.size()),
        pos_(rings.size()),
        end_(rings.size()) {
    for (std::size_t c = 0; c < rings.size(); ++c) {
      const SchedRing& r = rings[c];
      pos_[c] = r.upper_bound(from);
      end_[c] = r.upper_bound(to);
      // What ran on c at `from`: the latest switch before it, and the hard IRQs and softirqs
      // entered since and not left (a wakeup is often issued from inside one).
      int irqs = 0, softirqs = 0;
      for (std::uint64_t p = pos_[c]; p > r.oldest();) {
        const SchedRecord& x = r.at(--p);
        if (x.type == SchedRecord::switched || x.type == SchedRecord::implicit) {
          cpus_[c].current = x.b;
          cpus_[c].prio = x.b_prio;
          break;
        }
        if (x.type == SchedRecord::lost) break;
        irqs += x.type == SchedRecord::irq_entry ? 1 : x.type == SchedRecord::irq_exit ? -1 : 0;
        softirqs += x.type == SchedRecord::softirq_entry  ? 1
                    : x.type == SchedRecord::softirq_exit ? -1
                                                          : 0;
      }
      cpus_[c].irq_depth = irqs > 0 ? irqs : 0;
      cpus_[c].softirq_depth = softirqs > 0 ? softirqs : 0;
      if (r.forgot_before(from)) short_ = true;
    }
  }

  // True when some CPU's records did not reach back to the walk's start.
  bool history_too_short() const noexcept { return short_; }

  // Follows `pid` from state `s` at `from` to `to`, adding its time to `sums`. `on_wakeup(t,
  // block_start, waker, waker_prio, cpu)` is called when a block of the task ends.
  template <class OnBlock>
  void follow(Pid pid, Subject s, PartSums& sums, OnBlock&& on_block) {
    // The next timestamp of each CPU (INT64_MAX once done), so choosing the next record reads
    // one array instead of every ring.
    const std::size_t n = cpus_.size();
    std::vector<Timestamp> next(n, INT64_MAX);
    std::uint64_t remaining = 0;
    for (std::size_t c = 0; c < n; ++c) {
      if (pos_[c] < end_[c]) next[c] = rings_[c].at(pos_[c]).ts;
      remaining += end_[c] - pos_[c];
    }
    Timestamp t_prev = from_;
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
        while (pos_[best] >= end_[best]) ++best;
      }
      const SchedRing& ring = rings_[best];
      const SchedRecord& r = ring.at(pos_[best]++);
      next[best] = pos_[best] < end_[best] ? ring.at(pos_[best]).ts : INT64_MAX;
      // Only a record on the task's CPU or about the task changes where its time goes; the
      // others just keep their CPU's state current, and the span goes on unsplit.
      const int c = static_cast<int>(best);
      if (c == s.cpu || r.a == pid || r.b == pid) {
        account(pid, s, t_prev, t, sums);
        t_prev = t;
      }
      apply(pid, s, r, c, sums, on_block);
    }
    account(pid, s, t_prev, to_, sums);
    if (s.state == Subject::blocked) sums.add(PartState::blocked, -1, -1, 0, to_ - s.since);
  }

 private:
  void account(Pid pid, const Subject& s, Timestamp a, Timestamp b, PartSums& sums) const {
    const std::int64_t ns = b - a;
    if (ns <= 0) return;
    switch (s.state) {
      case Subject::running:
      case Subject::runnable: {
        const CpuNow& c = cpu(s.cpu);
        if (s.cpu < 0 || c.current < 0) {
          sums.add(PartState::unknown, s.cpu, -1, 0, ns);
        } else if (c.irq_depth > 0) {
          sums.add(PartState::irq, s.cpu, -1, 0, ns);
        } else if (c.softirq_depth > 0) {
          sums.add(PartState::softirq, s.cpu, -1, 0, ns);
        } else if (s.state == Subject::running) {
          sums.add(c.current == pid ? PartState::running : PartState::unknown, s.cpu, -1, 0, ns);
        } else if (c.current == 0) {
          sums.add(PartState::idle, s.cpu, -1, 0, ns);
        } else if (c.current == pid) {
          sums.add(PartState::unknown, s.cpu, -1, 0, ns);  // records contradict each other
        } else {
          sums.add(PartState::runnable, s.cpu, c.current, c.prio, ns);
        }
        break;
      }
      case Subject::migrating:
        sums.add(PartState::migration, s.cpu, -1, 0, ns);
        break;
      case Subject::blocked:
        break;  // added when the wakeup names the waker
      case Subject::unknown:
        sums.add(PartState::unknown, -1, -1, 0, ns);
        break;
    }
  }

  template <class OnBlock>
  void apply(Pid pid, Subject& s, const SchedRecord& r, int c, PartSums& sums, OnBlock&& on_block) {
    const Subject before = s;
    bool woken = false;
    update(pid, s, r, c, sums, on_block, woken);
    // A block that ended without a recorded wakeup (a switch-in, a contradiction): its time is
    // still part of the interval, blocked with no known waker.
    if (before.state == Subject::blocked && !woken &&
        !(s.state == Subject::blocked && s.since == before.since))
      sums.add(PartState::blocked, -1, -1, 0, r.ts - before.since);
  }

  template <class OnBlock>
  void update(Pid pid, Subject& s, const SchedRecord& r, int c, PartSums& sums, OnBlock&& on_block,
              bool& woken) {
    CpuNow& now = cpus_[static_cast<std::size_t>(c)];
    switch (r.type) {
      case SchedRecord::switched:
        now.current = r.b;
        now.prio = r.b_prio;
        now.irq_depth = now.softirq_depth = 0;
        if (r.a == pid && r.a != r.b) {
          if (r.prev_class == SchedRecord::preempted) {
            s = {Subject::runnable, c, 0};
          } else if (r.prev_class == SchedRecord::slept) {
            s = {Subject::blocked, -1, r.ts};
          } else {
            s = {Subject::unknown, -1, 0};
          }
        }
        if (r.b == pid) {
          if ((s.state == Subject::runnable || s.state == Subject::migrating) && s.cpu != c &&
              s.cpu >= 0)
            sums.add(PartState::migration, c, -1, 0, 0);  // moved without a recorded migration
          s = {Subject::running, c, 0};
        }
        break;
      case SchedRecord::implicit:
        now.current = r.b;
        now.prio = r.b_prio;
        if (r.b == pid) {
          s = {Subject::running, c, 0};
        } else if (s.state == Subject::running && s.cpu == c) {
          s = {Subject::unknown, -1, 0};  // it left the CPU unseen
        }
        break;
      case SchedRecord::woken:
        if (r.a == pid && (s.state == Subject::blocked || s.state == Subject::unknown)) {
          if (s.state == Subject::blocked) {
            on_block(r.ts, s.since, r.b, c);
            woken = true;
          }
          const int target =
              r.cpu2 >= 0 && static_cast<std::size_t>(r.cpu2) < cpus_.size() ? r.cpu2 : c;
          s = {Subject::runnable, target, 0};
        }
        break;
      case SchedRecord::migrated:
        if (r.a == pid && (s.state == Subject::runnable || s.state == Subject::migrating) &&
            r.cpu2 >= 0 && static_cast<std::size_t>(r.cpu2) < cpus_.size())
          s = {Subject::migrating, r.cpu2, 0};
        break;
      case SchedRecord::irq_entry:
        ++now.irq_depth;
        break;
      case SchedRecord::irq_exit:
        if (now.irq_depth > 0) --now.irq_depth;
        break;
      case SchedRecord::softirq_entry:
        ++now.softirq_depth;
        break;
      case SchedRecord::softirq_exit:
        if (now.softirq_depth > 0) --now.softirq_depth;
        break;
      case SchedRecord::lost:
        now.current = -1;
        if ((s.state == Subject::running || s.state == Subject::runnable) && s.cpu == c)
          s = {Subject::unknown, -1, 0};
        break;
    }
  }

  const CpuNow& cpu(int c) const noexcept {
    static const CpuNow none;
    return c >= 0 && static_cast<std::size_t>(c) < cpus_.size() ? cpus_[static_cast<std::size_t>(c)]
                                                                : none;
  }

  const std::vector<SchedRing>& rings_;
  Timestamp from_, to_;
  std::vector<CpuNow> cpus_;
  std::vector<std::uint64_t> pos_, end_;
  bool short_ = false;
};

// The state of `pid` at `t`, from the latest record about it before t on any CPU (at most
// `reach` records back per CPU); unknown when none is kept.
inline Subject state_at(const std::vector<SchedRing>& rings, Pid pid, Timestamp t,
                        std::size_t reach = 8192) {
  Subject best;
  Timestamp best_ts = INT64_MIN;
  for (std::size_t c = 0; c < rings.size(); ++c) {
    const SchedRing& r = rings[c];
    std::size_t n = 0;
    for (std::uint64_t p = r.upper_bound(t); p > r.oldest() && n < reach; ++n) {
      const SchedRecord& x = r.at(--p);
      if (x.ts <= best_ts) break;
      const int cpu = static_cast<int>(c);
      Subject s;
      bool found = true;
      if ((x.type == SchedRecord::switched || x.type == SchedRecord::implicit) && x.b == pid) {
        s = {Subject::running, cpu, 0};
      } else if (x.type == SchedRecord::switched && x.a == pid) {
        s = x.prev_class == SchedRecord::preempted ? Subject{Subject::runnable, cpu, 0}
            : x.prev_class == SchedRecord::slept   ? Subject{Subject::blocked, -1, x.ts}
                                                   : Subject{};
      } else if ((x.type == SchedRecord::woken || x.type == SchedRecord::migrated) && x.a == pid) {
        s = {Subject::runnable, x.cpu2 >= 0 ? x.cpu2 : cpu, 0};
      } else {
        found = false;
      }
      if (found) {
        best = s;
        best_ts = x.ts;
        break;
      }
    }
  }
  if (best.state == Subject::blocked) best.since = t;
  return best;
}

// A TaskRef for pid with the prio it had there (0 = idle is never named).
inline TaskRef task_ref(const TaskStore& tasks, Pid pid, int prio) {
  TaskRef r;
  r.pid = pid;
  r.prio = prio;
  if (const Task* t = tasks.find(pid)) r.comm = t->comm;
  return r;
}

// What the waker did while its wakee was blocked over [from, to].
inline WakerActivity waker_activity(const std::vector<SchedRing>& rings, const TaskStore& tasks,
                                    Pid waker, Timestamp from, Timestamp to) {
  WakerActivity w;
  if (waker <= 0 || to <= from) return w;
  Walk walk(rings, from, to);
  PartSums sums;
  walk.follow(waker, state_at(rings, waker, from), sums,
              [&sums](Timestamp t, Timestamp since, Pid, int) {
                sums.add(PartState::blocked, -1, -1, 0, t - since);
              });
  std::map<Pid, std::pair<std::int64_t, int>> behind;
  sums.each([&](PartState s, int, Pid pid, int prio, std::int64_t ns) {
    switch (s) {
      case PartState::running:
      case PartState::irq:
      case PartState::softirq:
        w.ran_ns += ns;
        break;
      case PartState::runnable:
        w.runnable_ns += ns;
        behind[pid].first += ns;
        behind[pid].second = prio;
        break;
      case PartState::idle:
      case PartState::migration:
        w.runnable_ns += ns;
        break;
      case PartState::blocked:
        w.blocked_ns += ns;
        break;
      case PartState::unknown:
        w.unknown_ns += ns;
        break;
    }
  });
  for (const auto& [pid, v] : behind) {
    if (v.first > w.behind_ns) {
      w.behind_ns = v.first;
      w.behind = task_ref(tasks, pid, v.second);
    }
  }
  return w;
}

// The breakdown of `pid`'s interval [from, to] that started in state `start`.
inline Breakdown breakdown(const std::vector<SchedRing>& rings, const TaskStore& tasks, Pid pid,
                           Subject start, Timestamp from, Timestamp to) {
  Breakdown b;
  b.total_ns = to > from ? to - from : 0;
  Walk walk(rings, from, to);
  PartSums sums;
  struct Block {
    Timestamp from, to;
    Pid waker;
    int cpu;
  };
  std::vector<Block> blocks;
  walk.follow(pid, start, sums, [&](Timestamp t, Timestamp since, Pid waker, int cpu) {
    blocks.push_back({since, t, waker, cpu});
  });
  b.history_too_short = walk.history_too_short();
  sums.each([&](PartState s, int cpu, Pid p, int prio, std::int64_t ns) {
    if (s == PartState::blocked) return;  // the unwoken tail: below, with no waker
    BreakdownPart part;
    part.state = s;
    part.ns = ns;
    part.cpu = cpu;
    if (s == PartState::runnable) part.task = task_ref(tasks, p, prio);
    b.parts.push_back(part);
  });
  if (const std::int64_t tail = sums.total(PartState::blocked); tail > 0) {
    BreakdownPart part;
    part.state = PartState::blocked;
    part.ns = tail;
    b.parts.push_back(part);
  }
  // Blocks by waker: who woke the task, and what it did meanwhile.
  std::map<std::pair<Pid, int>, std::size_t> by_waker;
  for (const Block& k : blocks) {
    const std::int64_t ns = k.to - k.from;
    const auto key = std::make_pair(k.waker, k.cpu);
    auto it = by_waker.find(key);
    if (it == by_waker.end()) {
      BreakdownPart part;
      part.state = PartState::blocked;
      part.cpu = k.cpu;
      if (k.waker > 0) {
        const Task* w = tasks.find(k.waker);
        part.task = task_ref(tasks, k.waker, w != nullptr ? w->prio : 120);
      }
      part.waker = WakerActivity{};
      it = by_waker.emplace(key, b.parts.size()).first;
      b.parts.push_back(part);
    }
    BreakdownPart& part = b.parts[it->second];
    part.ns += ns;
    const WakerActivity a = waker_activity(rings, tasks, k.waker, k.from, k.to);
    WakerActivity& sum = *part.waker;
    sum.ran_ns += a.ran_ns;
    sum.runnable_ns += a.runnable_ns;
    sum.blocked_ns += a.blocked_ns;
    sum.unknown_ns += a.unknown_ns;
    if (a.behind && a.behind_ns > sum.behind_ns) {
      sum.behind = a.behind;
      sum.behind_ns = a.behind_ns;
    }
  }
  std::stable_sort(b.parts.begin(), b.parts.end(),
                   [](const BreakdownPart& x, const BreakdownPart& y) { return x.ns > y.ns; });
  std::int64_t unknown = 0;
  for (const BreakdownPart& p : b.parts)
    if (p.state == PartState::unknown) unknown += p.ns;
  b.covered_ns = b.total_ns - unknown;
  return b;
}

// RT time on `cpu` over [from, to], and how much of that span its records covered.
inline std::pair<std::int64_t, std::int64_t> rt_time(const std::vector<SchedRing>& rings, int cpu,
                                                     Timestamp from, Timestamp to) {
  if (cpu < 0 || static_cast<std::size_t>(cpu) >= rings.size()) return {0, 0};
  const SchedRing& r = rings[static_cast<std::size_t>(cpu)];
  std::uint64_t p = r.upper_bound(from);
  const std::uint64_t end = r.upper_bound(to);
  // What ran at `from`.
  Pid cur = -1;
  int prio = 0;
  for (std::uint64_t q = p; q > r.oldest();) {
    const SchedRecord& x = r.at(--q);
    if (x.type == SchedRecord::switched || x.type == SchedRecord::implicit) {
      cur = x.b;
      prio = x.b_prio;
      break;
    }
    if (x.type == SchedRecord::lost) break;
  }
  std::int64_t rt = 0, covered = 0;
  Timestamp t = from;
  if (cur < 0 && p < end) t = r.at(p).ts;  // the span before the first known switch is unknown
  auto span = [&](Timestamp until) {
    if (cur >= 0 && until > t) {
      covered += until - t;
      if (cur > 0 && prio < 100) rt += until - t;
    }
    t = until;
  };
  for (; p < end; ++p) {
    const SchedRecord& x = r.at(p);
    if (x.type != SchedRecord::switched && x.type != SchedRecord::implicit &&
        x.type != SchedRecord::lost)
      continue;
    span(x.ts);
    cur = x.type == SchedRecord::lost ? -1 : x.b;
    prio = x.b_prio;
  }
  span(to);
  return {rt, covered};
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
