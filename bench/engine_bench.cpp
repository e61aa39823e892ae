// Engine throughput on a synthetic stream with a realistic event mix: per CPU, tasks wake, wait,
// run, get preempted, take IRQs, make syscalls and sleep on timers or locks.
#include <benchmark/benchmark.h>

#include <rtlat/rtlat.hpp>
#include <rtlat/source/text.hpp>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace {

// zipf_s == 0: every task equally busy (a stress case: every task's histograms and windows are
// hot). zipf_s ~ 1.1: a few tasks do most of the work, as in real recordings (cyclictest threads,
// RT loops, a long tail of mostly sleeping kernel threads).
std::vector<rtlat::Event> make_stream(std::size_t n, int cpus, int tasks, double zipf_s) {
  using namespace rtlat;
  std::mt19937_64 rng(7);
  std::vector<Event> out;
  out.reserve(n);
  struct TaskSim {
    Pid pid;
    char comm[16];
    bool sleeping = true;
    bool queued = false;
  };
  std::vector<TaskSim> ts(static_cast<std::size_t>(tasks));
  for (int i = 0; i < tasks; ++i) {
    ts[i].pid = 1000 + i;
    std::snprintf(ts[i].comm, sizeof ts[i].comm, "%s-%d", i % 10 == 0 ? "irq/9" : "task", i);
  }
  std::vector<double> weight(static_cast<std::size_t>(tasks));
  for (int i = 0; i < tasks; ++i) weight[i] = 1.0 / std::pow(i + 1.0, zipf_s);
  std::discrete_distribution<int> popular(weight.begin(), weight.end());
  std::vector<int> current(static_cast<std::size_t>(cpus), -1);  // index into ts, -1 idle
  std::vector<std::vector<int>> runq(static_cast<std::size_t>(cpus));
  Timestamp now = 1'000'000'000;
  auto pick = [&](int k) { return static_cast<int>(rng() % static_cast<unsigned>(k)); };
  while (out.size() < n) {
    now += 50 + pick(400);
    const int cpu = pick(cpus);
    const auto c16 = static_cast<std::uint16_t>(cpu);
    const int cur = current[cpu];
    const Pid cur_pid = cur < 0 ? 0 : ts[cur].pid;
    const int what = pick(100);
    // Proportions from a cyclictest recording on this machine: ~25% sched_switch, ~32%
    // sched_waking + sched_wakeup, ~20% sys_enter, ~20% hrtimer_start, a few IRQs.
    if (what < 25) {  // context switch
      int next = -1;
      if (!runq[cpu].empty()) {
        next = runq[cpu].front();
        runq[cpu].erase(runq[cpu].begin());
      }
      if (cur < 0 && next < 0) continue;
      PrevState st = PrevState::runnable;
      if (cur >= 0) {
        const bool sleep = next < 0 || pick(100) < 70;
        if (sleep && pick(2) == 0) {
          out.push_back(
              Event::make_timer_sleep(now++, c16, cur_pid, TimerSleepSource::syscall, 230));
        }
        st = sleep ? PrevState::sleeping : PrevState::preempted;
        ts[cur].sleeping = sleep;
        if (!sleep) runq[cpu].push_back(cur);
      }
      out.push_back(Event::make_switch(
          now, c16, cur_pid, cur_pid, cur < 0 ? "swapper" : ts[cur].comm, 120, st, 0,
          next < 0 ? 0 : ts[next].pid, next < 0 ? "swapper" : ts[next].comm, 120));
      if (next >= 0) ts[next].queued = false;
      current[cpu] = next;
    } else if (what < 41) {  // wake a sleeping task onto some CPU
      const int t = popular(rng);
      if (!ts[t].sleeping || ts[t].queued) {
        out.push_back(Event::make_other(now, c16, cur_pid, "sys_exit"));
        continue;
      }
      const int target = pick(cpus);
      out.push_back(Event::make_wakeup(EventKind::sched_waking, now, c16, cur_pid, ts[t].pid,
                                       ts[t].comm, 120, target));
      out.push_back(Event::make_wakeup(EventKind::sched_wakeup, now + 1, c16, cur_pid, ts[t].pid,
                                       ts[t].comm, 120, target));
      ts[t].sleeping = false;
      ts[t].queued = true;
      runq[target].push_back(t);
    } else if (what < 44) {  // hard IRQ
      out.push_back(Event::make_irq(EventKind::irq_entry, now, c16, cur_pid, 9, "acpi"));
      out.push_back(Event::make_irq(EventKind::irq_exit, now + 2, c16, cur_pid, 9));
    } else if (what < 64) {  // syscalls
      out.push_back(Event::make_syscall(now, c16, cur_pid, 1));
    } else {  // hrtimer_start of other timers, and everything else
      out.push_back(Event::make_other(now, c16, cur_pid, "hrtimer_start"));
    }
  }
  out.resize(n);
  return out;
}

// The engine as `rtlat report --explain none` (0) or the default `--explain worst` (1) runs it:
// 0 measures the metric rules alone, comparable with engines from before breakdowns.
rtlat::Config explain_config(std::int64_t explain) {
  rtlat::Config c;
  c.explain = explain != 0 ? rtlat::Config::Explain::worst : rtlat::Config::Explain::none;
  return c;
}

// The engine fed `events`, out of line so that an instruction count can take just this
// (`valgrind --tool=callgrind --toggle-collect='*feed_once*'`).
[[gnu::noinline]] std::uint64_t feed_once(rtlat::Analyzer& a,
                                          const std::vector<rtlat::Event>& events) {
  for (const rtlat::Event& e : events) a.feed(e);
  return a.stats().events;
}

// Args: CPUs, explain. The realistic mix: 300 tasks, Zipf popularity, fed as copies or handed
// over as views (detail::Views), as the trace.dat reader does with decode workers: the
// vector outlives the engine's use of them, so nothing is retired.
void feed_mix(benchmark::State& state, bool views) {
  const auto events = make_stream(4'000'000, static_cast<int>(state.range(0)), 300, 1.1);
  const rtlat::Config cfg = explain_config(state.range(1));
  for (auto _ : state) {
    rtlat::Analyzer a(cfg);
    if (views) {
      for (const rtlat::Event& e : events) rtlat::detail::Views::feed(a, e);
      rtlat::detail::Views::release(a);
      benchmark::DoNotOptimize(a.stats().events);
    } else {
      benchmark::DoNotOptimize(feed_once(a, events));
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events.size()));
}
void BM_EngineFeed(benchmark::State& state) {
  feed_mix(state, false);
}
BENCHMARK(BM_EngineFeed)
    ->ArgNames({"cpus", "explain"})
    ->Args({2, 0})
    ->Args({2, 1})
    ->Args({8, 0})
    ->Args({8, 1})
    ->Unit(benchmark::kMillisecond);

void BM_EngineFeedViews(benchmark::State& state) {
  feed_mix(state, true);
}
BENCHMARK(BM_EngineFeedViews)
    ->ArgNames({"cpus", "explain"})
    ->Args({2, 0})
    ->Args({8, 0})
    ->Unit(benchmark::kMillisecond);

// Stress: 200 equally busy tasks, so nearly every sample misses cache and many become a new worst.
void BM_EngineFeedUniformTasks(benchmark::State& state) {
  const auto events = make_stream(4'000'000, 2, 200, 0.0);
  for (auto _ : state) {
    rtlat::Analyzer a;
    benchmark::DoNotOptimize(feed_once(a, events));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events.size()));
}
BENCHMARK(BM_EngineFeedUniformTasks)->Unit(benchmark::kMillisecond);

void BM_EngineFeedWithCallbacks(benchmark::State& state) {
  const auto events = make_stream(4'000'000, 4, 300, 1.1);
  for (auto _ : state) {
    rtlat::Config c;
    c.slo(rtlat::Metric::latency) = std::chrono::microseconds(100);
    rtlat::Analyzer a(c);
    std::uint64_t samples = 0;
    a.on_sample([&](const rtlat::Sample&) { ++samples; });
    feed_once(a, events);
    benchmark::DoNotOptimize(samples);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events.size()));
}
BENCHMARK(BM_EngineFeedWithCallbacks)->Unit(benchmark::kMillisecond);

// A real recording (cyclictest on this machine, data/cyclictest.txt) repeated end to end, each copy
// shifted in time, to n events: the event order of a real trace, which a branch predictor meets.
std::vector<rtlat::Event> replay_real(std::size_t n) {
  struct Collect {
    std::vector<rtlat::Event> ev;
    void feed(const rtlat::Event& e) { ev.push_back(e); }
  } c;
  rtlat::TextSource src(RTLAT_SOURCE_DIR "/data/cyclictest.txt");
  src.read(c);
  std::vector<rtlat::Event> out;
  out.reserve(n);
  const rtlat::Timestamp span = c.ev.back().ts - c.ev.front().ts + 1'000'000;
  for (rtlat::Timestamp shift = 0; out.size() < n; shift += span) {
    for (rtlat::Event e : c.ev) {
      e.ts += shift;
      out.push_back(e);
      if (out.size() == n) break;
    }
  }
  return out;
}

// The engine alone, out of line so that an instruction count can take just this
// (`valgrind --tool=callgrind --toggle-collect='*replay_once*'`).
[[gnu::noinline]] std::uint64_t replay_once(const rtlat::Config& cfg,
                                            const std::vector<rtlat::Event>& events) {
  rtlat::Analyzer a(cfg);
  for (const rtlat::Event& e : events) a.feed(e);
  return a.stats().events;
}

// Arg: explain.
void BM_EngineReplayRealTrace(benchmark::State& state) {
  const auto events = replay_real(4'000'000);
  const rtlat::Config cfg = explain_config(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(replay_once(cfg, events));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events.size()));
}
BENCHMARK(BM_EngineReplayRealTrace)
    ->ArgName("explain")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
