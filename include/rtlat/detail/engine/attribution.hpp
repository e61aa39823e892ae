// Where a sample's interval went, from the per-CPU scheduler records (sched_ring.hpp): the
// measured task's own timeline (running, runnable behind whom, blocked until whom woke it),
// the CPUs it ran or waited on, and for each block what the waker did meanwhile. Computed only
// when a sample becomes a task's worst (or, with Config::Explain::all, violates its bound), never
// per event: O(scheduler records in the interval, over all CPUs).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "rtlat/breakdown.hpp"
#include "rtlat/detail/engine/context_names.hpp"
#include "rtlat/detail/engine/sched_record_walk.hpp"
#include "rtlat/detail/engine/sched_ring.hpp"
#include "rtlat/detail/engine/tasks.hpp"
#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// The state of `pid` at `t`, from the latest record about it before t on any CPU (at most
// `reach` records back per CPU); unknown when none is kept.
inline TaskPlace state_at(const std::vector<SchedRing>& rings, Pid pid, Timestamp t,
                          std::size_t reach = 8192) {
  TaskPlace best;
  Timestamp best_ts = INT64_MIN;
  for (std::size_t c = 0; c < rings.size(); ++c) {
    const SchedRing& r = rings[c];
    std::size_t n = 0;
    for (std::uint64_t p = r.upper_bound(t); p > r.oldest() && n < reach; ++n) {
      const SchedRecord& x = r.at(--p);
      if (x.ts <= best_ts) break;
      const int cpu = static_cast<int>(c);
      TaskPlace s;
      bool found = true;
      if ((x.type == SchedRecord::switched || x.type == SchedRecord::implicit) &&
          x.other_pid == pid) {
        s = {TaskPlace::running, cpu, 0};
      } else if (x.type == SchedRecord::switched && x.pid == pid) {
        s = x.prev_class == SchedRecord::preempted ? TaskPlace{TaskPlace::runnable, cpu, 0}
            : is_sleep(x.prev_class)
                ? TaskPlace{TaskPlace::blocked, -1, x.ts, x.prev_class == SchedRecord::slept_io}
                : TaskPlace{};
      } else if ((x.type == SchedRecord::woken || x.type == SchedRecord::migrated) &&
                 x.pid == pid) {
        s = {TaskPlace::runnable, x.target_cpu >= 0 ? x.target_cpu : cpu, 0};
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
  if (best.state == TaskPlace::blocked) best.since = t;
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
  SchedRecordWalk walk(rings, from, to);
  TimeByPart sums;
  walk.follow(waker, state_at(rings, waker, from), sums,
              [&sums](Timestamp t, Timestamp since, Pid, int, WakeFrom, bool) {
                sums.add(PartState::blocked, -1, -1, 0, since, t);
              });
  std::map<Pid, std::pair<std::int64_t, int>> behind;
  sums.each([&](PartState s, int, Pid pid, int prio, std::int64_t ns, int, std::size_t) {
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
      case PartState::timer_delay:
      case PartState::timer_slack:
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

// An interrupt as a part names it.
inline InterruptRef interrupt_ref(const ContextNames& names, bool softirq, int number,
                                  bool after = false) {
  InterruptRef i;
  i.softirq = softirq;
  i.number = number;
  i.name = softirq ? std::string(softirq_name(number)) : std::string(names.irq_name(number));
  i.after = after;
  return i;
}

inline constexpr std::size_t no_part = SIZE_MAX;

// The parts a walk's sums hold, blocked tails aside, appended to b; returns the part of each of
// the sums' entries (no_part for the blocked ones).
inline std::vector<std::size_t> add_parts(const TimeByPart& sums, const TaskStore& tasks,
                                          const ContextNames& names, Breakdown& b) {
  std::vector<std::size_t> part_of;
  sums.each(
      [&](PartState s, int cpu, Pid p, int prio, std::int64_t ns, int detail, std::size_t entry) {
        if (part_of.size() <= entry) part_of.resize(entry + 1, no_part);
        if (s == PartState::blocked) return;  // the unwoken tail: added apart, with no waker
        BreakdownPart part;
        part.state = s;
        part.ns = ns;
        part.cpu = cpu;
        if ((s == PartState::runnable || s == PartState::timer_delay) && p > 0)
          part.task = task_ref(tasks, p, prio);
        if ((s == PartState::irq || s == PartState::softirq) && detail >= 0)
          part.interrupt = interrupt_ref(names, s == PartState::softirq, detail);
        if ((s == PartState::idle || s == PartState::timer_delay) && p <= 0 && detail >= 0)
          part.idle_state = static_cast<std::uint32_t>(detail);
        if (s == PartState::timer_delay && p > 0) {
          part.irqs_on = detail == 0;
          if (detail > 0) part.irqs_off_caller = std::string(names.caller_name(detail));
        }
        part_of[entry] = b.parts.size();
        b.parts.push_back(std::move(part));
      });
  return part_of;
}

// The stretches of a walk's sums, on the parts add_parts made of them (`tail`: the unwoken
// blocked part), appended to b's spans.
inline void add_spans(const TimeByPart& sums, const std::vector<std::size_t>& part_of,
                      std::size_t tail, Breakdown& b) {
  for (const TimeByPart::Span& sp : sums.spans()) {
    const std::size_t part = sums.blocked(sp.entry) ? tail : part_of[sp.entry];
    if (part != no_part) b.spans.push_back({sp.from, sp.to, part});
  }
}

// What the CPUs did along the walk, per CPU in time order, as b's cpu_runs.
inline void add_lanes(const std::vector<LaneRun>& lanes, const TaskStore& tasks,
                      const ContextNames& names, Breakdown& b) {
  for (const LaneRun& l : lanes) {
    CpuRun run;
    run.cpu = l.cpu;
    run.from_ns = l.from;
    run.to_ns = l.to;
    run.state = l.state;
    if (l.state == PartState::running) run.task = task_ref(tasks, l.pid, l.prio);
    if ((l.state == PartState::irq || l.state == PartState::softirq) && l.detail >= 0)
      run.interrupt = interrupt_ref(names, l.state == PartState::softirq, l.detail);
    if (l.state == PartState::idle && l.detail >= 0)
      run.idle_state = static_cast<std::uint32_t>(l.detail);
    b.cpu_runs.push_back(std::move(run));
  }
  std::stable_sort(b.cpu_runs.begin(), b.cpu_runs.end(), [](const CpuRun& x, const CpuRun& y) {
    return std::tie(x.cpu, x.from_ns) < std::tie(y.cpu, y.from_ns);
  });
}

// A blocked stretch of the followed task, ended by a wakeup.
struct Block {
  Timestamp from, to;
  Pid waker;
  int cpu;
  WakeFrom source;
  bool io;
};

// The blocks, grouped by who woke the task (a task, with what it did meanwhile, or an
// interrupt), appended to b.
inline void add_blocks(const std::vector<SchedRing>& rings, const TaskStore& tasks,
                       const ContextNames& names, const std::vector<Block>& blocks, bool timeline,
                       Breakdown& b) {
  std::map<std::tuple<Pid, int, int, int, bool>, std::size_t> by_waker;
  for (const Block& k : blocks) {
    const std::int64_t ns = k.to - k.from;
    const bool from_irq = k.source.kind != WakeFrom::task;
    // An interrupt's wakeup is the interrupt's, whoever it interrupted.
    const Pid waker = from_irq ? -1 : k.waker;
    const auto key =
        std::make_tuple(waker, k.cpu, static_cast<int>(k.source.kind), k.source.number, k.io);
    auto it = by_waker.find(key);
    if (it == by_waker.end()) {
      BreakdownPart part;
      part.state = PartState::blocked;
      part.cpu = k.cpu;
      part.uninterruptible = k.io;
      if (from_irq) {
        part.interrupt = interrupt_ref(names, k.source.kind == WakeFrom::softirq, k.source.number,
                                       k.source.after);
      } else {
        if (waker > 0) {
          const Task* w = tasks.find(waker);
          part.task = task_ref(tasks, waker, w != nullptr ? w->prio : 120);
        }
        part.waker = WakerActivity{};
      }
      it = by_waker.emplace(key, b.parts.size()).first;
      b.parts.push_back(std::move(part));
    }
    if (timeline) b.spans.push_back({k.from, k.to, it->second});
    BreakdownPart& part = b.parts[it->second];
    part.ns += ns;
    if (from_irq) continue;
    const WakerActivity a = waker_activity(rings, tasks, waker, k.from, k.to);
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
}

// Orders b's parts largest first (its spans follow them) and its spans by time, and sets what
// the parts covered.
inline void finish(Breakdown& b) {
  std::vector<std::size_t> order(b.parts.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&b](std::size_t x, std::size_t y) { return b.parts[x].ns > b.parts[y].ns; });
  std::vector<BreakdownPart> parts;
  parts.reserve(order.size());
  std::vector<std::size_t> moved_to(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    moved_to[order[i]] = i;
    parts.push_back(std::move(b.parts[order[i]]));
  }
  b.parts = std::move(parts);
  for (BreakdownSpan& sp : b.spans) sp.part = moved_to[sp.part];
  std::stable_sort(
      b.spans.begin(), b.spans.end(),
      [](const BreakdownSpan& x, const BreakdownSpan& y) { return x.from_ns < y.from_ns; });
  std::int64_t unknown = 0;
  for (const BreakdownPart& p : b.parts)
    if (p.state == PartState::unknown) unknown += p.ns;
  b.covered_ns = b.total_ns - unknown;
}

// Follows `pid` in `walk` from state `start` to `to`, adding its parts and blocks to b, and
// with `timeline` their stretches.
inline void follow_into(SchedRecordWalk& walk, const std::vector<SchedRing>& rings,
                        const TaskStore& tasks, const ContextNames& names, Pid pid, TaskPlace start,
                        Timestamp to, bool timeline, Breakdown& b) {
  TimeByPart sums(timeline);
  std::vector<Block> blocks;
  walk.follow_until(
      pid, start, sums,
      [&](Timestamp t, Timestamp since, Pid waker, int cpu, WakeFrom src, bool io) {
        blocks.push_back({since, t, waker, cpu, src, io});
      },
      to);
  const std::vector<std::size_t> part_of = add_parts(sums, tasks, names, b);
  std::size_t tail = no_part;
  if (const std::int64_t ns = sums.total(PartState::blocked); ns > 0) {
    BreakdownPart part;
    part.state = PartState::blocked;
    part.ns = ns;
    tail = b.parts.size();
    b.parts.push_back(part);
  }
  add_spans(sums, part_of, tail, b);
  add_blocks(rings, tasks, names, blocks, timeline, b);
}

// The breakdown of `pid`'s interval [from, to] that started in state `start`; with `timeline`
// (Config::timeline) its stretches and CPU runs too.
inline Breakdown breakdown(const std::vector<SchedRing>& rings, const TaskStore& tasks,
                           const ContextNames& names, Pid pid, TaskPlace start, Timestamp from,
                           Timestamp to, bool timeline) {
  Breakdown b;
  b.total_ns = to > from ? to - from : 0;
  SchedRecordWalk walk(rings, from, to, names.softirqs_seen);
  std::vector<LaneRun> lanes;
  if (timeline) walk.keep_lanes(&lanes);
  follow_into(walk, rings, tasks, names, pid, start, to, timeline, b);
  b.history_too_short = walk.history_too_short();
  add_lanes(lanes, tasks, names, b);
  finish(b);
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
      cur = x.other_pid;
      prio = x.other_prio;
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
    cur = x.type == SchedRecord::lost ? -1 : x.other_pid;
    prio = x.other_prio;
  }
  span(to);
  return {rt, covered};
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
