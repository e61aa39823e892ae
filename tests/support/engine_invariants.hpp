// The engine's invariants, checked on event sequences built from arbitrary bytes: shared by the
// libFuzzer target (tests/fuzz/fuzz_engine.cpp) and the seeded property test
// (tests/engine_property_test.cpp).
//
// Whatever the events, the engine must never report a negative or inverted duration; its
// counts, minima, maxima and violations must be those of the samples it handed to callbacks;
// percentiles must be ordered within [min, max]; worst windows must be in time order, within
// the window limit, and span the worst sample; and the data-quality totals must add up.
#pragma once

#include <rtlat/rtlat.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rtlat::test {

// Reads the input a byte at a time; past the end every read is 0.
class ByteReader {
 public:
  ByteReader(const std::uint8_t* data, std::size_t size) : p_(data), n_(size) {}
  bool empty() const noexcept { return i_ >= n_; }
  std::uint8_t u8() noexcept { return i_ < n_ ? p_[i_++] : 0; }
  std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
  std::size_t i_ = 0;
};

// A configuration and an event sequence decoded from bytes. Few CPUs and pids, so that tasks
// collide, migrate, get reused and lose events often; timestamps mostly move forward, sometimes
// jump back across CPUs (out of order) and rarely on one CPU (an input error).
struct Scenario {
  Config config;
  SourceInfo source;  // what the source recorded
  std::vector<Event> events;
};

inline Scenario make_scenario(const std::uint8_t* data, std::size_t size) {
  ByteReader in(data, size);
  Scenario sc;
  Config& c = sc.config;
  const std::uint8_t flags = in.u8();
  c.wakeup_event = (flags & 1) != 0 ? WakeupEvent::waking : WakeupEvent::wakeup;
  if ((flags & 2) != 0) sc.source.syscall_events_recorded = (flags & 4) != 0;
  if ((flags & 8) != 0) sc.source.irq_thread_events_recorded = (flags & 16) != 0;
  if ((flags & 32) != 0) c.selection.pids = {1, 3};
  c.window = 2 + in.u8() % 24;
  c.history = 16 + in.u8() % 64;
  // A short scheduler history: breakdowns then also meet its end, and a sequence with a new
  // worst sample at every step stays cheap to explain.
  const std::uint8_t explain = in.u8();
  c.sched_history = 8 + explain % 120;
  c.explain = explain >= 192 ? Config::Explain::all : Config::Explain::worst;
  for (Metric m : all_metrics) {
    const std::uint8_t b = in.u8();
    if ((b & 1) != 0) c.slo(m) = std::chrono::nanoseconds((b >> 1) * 16);
  }
  if ((flags & 64) != 0) c.slo(2, Metric::latency) = std::chrono::nanoseconds(40);

  static const char* const comms[] = {"ctl", "irq/9-eth0", "hog", "irq/5-x", "w"};
  constexpr int cpus = 4;
  constexpr int pids = 8;
  Timestamp clock = 1000;
  std::vector<Timestamp> cpu_last(cpus, 0);
  std::vector<Pid> current(cpus, 0);  // who the generator last switched in: mostly coherent
  Pid sleeper = 1;                    // the last task that went to sleep: wakeups favour it
  Pid woken = 1;                      // the last task woken: switch-ins favour it
  while (!in.empty() && sc.events.size() < 4096) {
    const std::uint8_t op = in.u8();
    const std::uint8_t a = in.u8();
    const std::uint8_t b = in.u8();
    const std::uint8_t t = in.u8();
    const auto cpu = static_cast<std::uint16_t>(a % cpus);
    const Pid pid = (a & 0xe0) == 0xe0 ? (a >> 2) % pids : current[cpu];
    const Pid other = b % pids;
    const char* comm = comms[(b >> 3) % 5];
    clock += t % 64;
    Timestamp ts = clock;
    if (t >= 0xfc) ts = clock - (b % 200);  // behind another CPU: out of order
    if (ts < cpu_last[cpu] && (t != 0xff || op != 0xff)) ts = cpu_last[cpu];  // rarely backwards
    cpu_last[cpu] = std::max(cpu_last[cpu], ts);
    const int prio = 1 + b % 139;
    switch (op % 12) {
      case 0:
      case 1: {
        static const PrevState states[] = {
            PrevState::sleeping, PrevState::sleeping, PrevState::sleeping, PrevState::preempted,
            PrevState::runnable, PrevState::blocked,  PrevState::stopped,  PrevState::dead};
        const PrevState st = states[b >> 5];
        const Pid next = (b & 2) != 0 ? woken : other;
        sc.events.push_back(
            Event::make_switch(ts, cpu, pid, pid, comm, prio, st, 1, next, comm, prio));
        if (st == PrevState::sleeping) sleeper = pid;
        current[cpu] = next;
        break;
      }
      case 2:
      case 3:
        woken = (b & 1) != 0 ? sleeper : other;
        sc.events.push_back(Event::make_wakeup(EventKind::sched_wakeup, ts, cpu, pid, woken, comm,
                                               prio, (b & 0x80) != 0 ? -1 : b % cpus));
        break;
      case 4:
        sc.events.push_back(
            Event::make_wakeup((b & 1) != 0 ? EventKind::sched_waking : EventKind::sched_wakeup_new,
                               ts, cpu, pid, other, comm, prio, b % cpus));
        break;
      case 5:
        sc.events.push_back(Event::make_timer_sleep(
            ts, cpu, pid, (b & 1) != 0 ? TimerSleepSource::syscall : TimerSleepSource::hrtimer,
            230));
        break;
      case 6:
        sc.events.push_back(Event::make_syscall(ts, cpu, pid, b));
        break;
      case 7:
        sc.events.push_back(
            Event::make_irq((b & 1) != 0 ? EventKind::irq_thread_entry : EventKind::irq_thread_exit,
                            ts, cpu, pid, 9, "eth0"));
        break;
      case 8:
        sc.events.push_back(Event::make_irq(
            (b & 1) != 0 ? EventKind::irq_entry : EventKind::irq_exit, ts, cpu, pid, 5, "x"));
        break;
      case 9:
        if ((b & 15) == 0) {
          sc.events.push_back(Event::make_lost(ts, cpu, b >> 2));
        } else if ((b & 1) == 1) {
          sc.events.push_back(Event::make_exit(ts, cpu, pid, other, comm, prio));
        } else {
          sc.events.push_back(Event::make_fork(ts, cpu, pid, pid, other, comm));
        }
        break;
      default:
        sc.events.push_back(Event::make_other(ts, cpu, pid, "x"));
        break;
    }
  }
  return sc;
}

// What an invariant check found wrong; empty when everything holds.
using Violations = std::vector<std::string>;

namespace detail {
struct Seen {
  std::uint64_t count = 0;
  std::int64_t min = std::numeric_limits<std::int64_t>::max();
  std::int64_t max = std::numeric_limits<std::int64_t>::min();
  std::uint64_t violations = 0;
};
}  // namespace detail

// Feeds the scenario and checks every invariant; returns what failed.
inline Violations check_engine(const Scenario& sc) {
  Violations bad;
  auto fail = [&](std::string what) { bad.push_back(std::move(what)); };
  Analyzer a(sc.config);
  a.set_source(sc.source);
  // Per pid and metric (pids are reused, so several entries may share one): what callbacks saw.
  std::map<std::pair<Pid, Metric>, detail::Seen> seen;
  a.on_sample([&](const Sample& s) {
    if (s.value_ns < 0) fail("negative sample " + std::to_string(s.value_ns));
    if (s.end_ns < s.start_ns) fail("sample ends before it starts");
    if (!s.derived && s.value_ns != s.end_ns - s.start_ns) fail("sample value is not end - start");
    if (s.derived && s.value_ns > s.end_ns - s.start_ns)
      fail("derived irq longer than its activation");
    if (s.violation != (s.slo_ns && s.value_ns > *s.slo_ns)) fail("violation flag wrong");
    if (s.metric == Metric::irq) return;  // real and derived irq may both be reported
    detail::Seen& k = seen[{s.pid, s.metric}];
    ++k.count;
    k.min = std::min(k.min, s.value_ns);
    k.max = std::max(k.max, s.value_ns);
    k.violations += s.violation ? 1 : 0;
  });
  std::uint64_t fed = 0;
  try {
    for (const Event& e : sc.events) {
      a.feed(e);
      ++fed;
    }
  } catch (const InputError&) {
    // Time went backwards on one CPU: corrupt input. What was measured before must hold.
  }
  const Results r = a.results();
  const TraceStats& t = r.trace;
  if (t.events + t.out_of_order != fed) fail("events + out_of_order != events fed");
  if (t.start_ns > t.end_ns && t.events != 0) fail("trace ends before it starts");
  const std::uint64_t cap = 5 * (fed + 1);
  for (std::uint64_t u : {t.unobserved_latency, t.unobserved_response, t.unobserved_relief,
                          t.unobserved_irq, t.implicit_switches, t.out_of_order}) {
    if (u > cap) fail("a data-quality count wrapped or exceeds the events: " + std::to_string(u));
  }

  std::map<std::pair<Pid, Metric>, detail::Seen> reported;
  for (const TaskResult& task : r.tasks) {
    for (Metric m : all_metrics) {
      const MetricResult& mr = task[m];
      const std::string where = std::to_string(task.pid) + " " + std::string(metric_name(m));
      if (mr.count == 0) {
        if (mr.min_ns || mr.max_ns || mr.worst || mr.violations != 0)
          fail(where + ": values without samples");
        continue;
      }
      if (!mr.min_ns || !mr.max_ns || !mr.mean_ns || !mr.p50_ns || !mr.p90_ns || !mr.p99_ns ||
          !mr.p999_ns) {
        fail(where + ": missing values");
        continue;
      }
      const std::int64_t mn = *mr.min_ns, mx = *mr.max_ns;
      if (mn < 0) fail(where + ": negative min");
      if (!(mn <= *mr.p50_ns && *mr.p50_ns <= *mr.p90_ns && *mr.p90_ns <= *mr.p99_ns &&
            *mr.p99_ns <= *mr.p999_ns && *mr.p999_ns <= mx))
        fail(where + ": percentiles not ordered within [min, max]");
      if (*mr.mean_ns < static_cast<double>(mn) || *mr.mean_ns > static_cast<double>(mx))
        fail(where + ": mean outside [min, max]");
      if (mr.count == 1 && (mn != mx || *mr.p50_ns != mn)) fail(where + ": one sample, two values");
      if (mr.violations > mr.count) fail(where + ": more violations than samples");
      std::uint64_t explained = 0;
      for (const VerdictCount& v : mr.verdicts) explained += v.count;
      if (explained > mr.violations) fail(where + ": more verdicts counted than violations");
      if (!mr.worst) {
        fail(where + ": no worst window");
      } else {
        const WorstWindow& w = *mr.worst;
        if (w.end_ns < w.start_ns) fail(where + ": worst window inverted");
        if (!mr.derived && w.end_ns - w.start_ns != mx) fail(where + ": worst window is not max");
        if (w.events.empty() || w.events.size() > std::max<std::size_t>(2, sc.config.window))
          fail(where + ": worst window size " + std::to_string(w.events.size()));
        for (std::size_t i = 1; i < w.events.size(); ++i)
          if (w.events[i].ts < w.events[i - 1].ts) fail(where + ": worst window not in order");
        // A timer sample starts at the requested expiry, where no event was recorded: its
        // window's events lie within the sample and end with it.
        const bool starts_at_event = m != Metric::timer;
        if (!w.events.empty() && ((starts_at_event ? w.events.front().ts != w.start_ns
                                                   : w.events.front().ts < w.start_ns) ||
                                  w.events.back().ts != w.end_ns))
          fail(where + ": worst window does not span the sample");
        if (w.breakdown) {
          const Breakdown& b = *w.breakdown;
          std::int64_t sum = 0;
          for (const BreakdownPart& p : b.parts) {
            if (p.ns < 0) fail(where + ": negative breakdown part");
            sum += p.ns;
          }
          if (b.total_ns != w.end_ns - w.start_ns)
            fail(where + ": breakdown total is not the window");
          if (sum != b.total_ns) fail(where + ": breakdown parts do not add up to the interval");
          if (b.covered_ns < 0 || b.covered_ns > b.total_ns) fail(where + ": covered out of range");
        }
        if (w.verdict && !(w.verdict->share >= 0.0 && w.verdict->share <= 1.0))
          fail(where + ": verdict share outside [0, 1]");
      }
      if (m == Metric::irq) continue;
      detail::Seen& k = reported[{task.pid, m}];
      k.count += mr.count;
      k.min = std::min(k.min, mn);
      k.max = std::max(k.max, mx);
      k.violations += mr.violations;
    }
  }
  for (const auto& [key, k] : reported) {
    const auto it = seen.find(key);
    const std::string where =
        std::to_string(key.first) + " " + std::string(metric_name(key.second));
    if (it == seen.end()) {
      fail(where + ": reported without any callback");
      continue;
    }
    const detail::Seen& s = it->second;
    if (s.count != k.count || s.min != k.min || s.max != k.max || s.violations != k.violations)
      fail(where + ": results differ from the samples handed to callbacks");
  }
  for (const auto& [key, s] : seen) {
    if (reported.find(key) == reported.end())
      fail(std::to_string(key.first) + " " + std::string(metric_name(key.second)) +
           ": samples handed to callbacks but not reported (" + std::to_string(s.count) + ")");
  }
  return bad;
}

}  // namespace rtlat::test
