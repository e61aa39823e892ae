// Bounded memory over a long run: the soak test's stream (tests/fold_test.cpp, 10 events per
// short-lived task, pids reused) through an engine with Config::max_finished_tasks, reporting
// the process's RSS and the engine's own accounting as the stream goes. Without the bound
// (`/unbounded`) both grow with the tasks seen.
//
//   fold_soak_bench --benchmark_filter=bounded     counters: rss_kb_1m, rss_kb_end, ...
//   RTLAT_SOAK_SERIES=1 fold_soak_bench            also the series (every 1 M events) on stderr
#include <benchmark/benchmark.h>

#include <rtlat/rtlat.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include "../tests/support/fork_stream.hpp"  // the soak test's stream

namespace {

// VmRSS of this process in KiB (0 where /proc is not there).
std::uint64_t rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  return 0;
}

void soak(benchmark::State& state, std::optional<std::size_t> bound) {
  const auto tasks = static_cast<std::uint64_t>(state.range(0));
  const bool series = std::getenv("RTLAT_SOAK_SERIES") != nullptr;
  std::uint64_t rss_1m = 0, rss_end = 0, bytes_1m = 0, bytes_end = 0;
  for (auto _ : state) {
    rtlat::Config cfg;
    cfg.slo(rtlat::Metric::latency) = std::chrono::nanoseconds(rtlat::soak::slo_latency_ns);
    cfg.max_finished_tasks = bound;
    rtlat::Analyzer a(cfg);
    rtlat::soak::StreamTruth truth;
    rtlat::soak::ForkStream s(tasks, tasks / 2);
    std::uint64_t events = 0;
    if (series) std::fprintf(stderr, "events,rss_kb,engine_bytes,entries,folded_tasks\n");
    s.run([&](const rtlat::Event& e) { a.feed(e); },
          [&] {
            if (++events % 1'000'000 != 0) return;
            const rtlat::EngineMemory m = a.memory();
            const std::uint64_t rss = rss_kb();
            if (events == 1'000'000) {
              rss_1m = rss;
              bytes_1m = m.bytes;
            }
            if (series)
              std::fprintf(stderr, "%llu,%llu,%zu,%zu,%llu\n",
                           static_cast<unsigned long long>(events),
                           static_cast<unsigned long long>(rss), m.bytes, m.entries,
                           static_cast<unsigned long long>(m.folded_tasks));
          },
          truth);
    rss_end = rss_kb();
    bytes_end = a.memory().bytes;
    benchmark::DoNotOptimize(a.results().folded.size());
    state.SetItemsProcessed(state.items_processed() + static_cast<std::int64_t>(events));
  }
  state.counters["rss_kb_1m"] = static_cast<double>(rss_1m);
  state.counters["rss_kb_end"] = static_cast<double>(rss_end);
  state.counters["engine_bytes_1m"] = static_cast<double>(bytes_1m);
  state.counters["engine_bytes_end"] = static_cast<double>(bytes_end);
}

void bounded(benchmark::State& state) {
  soak(state, 1024);
}
void unbounded(benchmark::State& state) {
  soak(state, std::nullopt);
}

// 2 M tasks = 20 M events; unbounded, a tenth of it (its memory grows by some GB over the full
// stream). One iteration: the figure of interest is memory, not time.
BENCHMARK(bounded)->Arg(2'000'000)->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK(unbounded)->Arg(200'000)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
