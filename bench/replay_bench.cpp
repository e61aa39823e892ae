// The engine on a real recording replayed from memory through <rtlat/benchmark.hpp>'s fixture:
// the figure `rtlat bench` gives as engine throughput, here from Google Benchmark.
//
//   replay_bench [TRACE] [--benchmark_...]     (default: data/cyclictest.dat)
#include <benchmark/benchmark.h>

#include <rtlat/benchmark.hpp>

namespace {

using rtlat::bench::TraceFixture;

BENCHMARK_DEFINE_F(TraceFixture, Analyzer)(benchmark::State& state) {
  run<rtlat::Analyzer>(state);
}
BENCHMARK_REGISTER_F(TraceFixture, Analyzer)->Unit(benchmark::kMillisecond);

// Without breakdowns and verdicts (Config::Explain::none): what explaining worst cases costs.
BENCHMARK_DEFINE_F(TraceFixture, AnalyzerExplainNone)(benchmark::State& state) {
  run(state, [] {
    rtlat::Config c;
    c.explain = rtlat::Config::Explain::none;
    return rtlat::Analyzer(c);
  });
}
BENCHMARK_REGISTER_F(TraceFixture, AnalyzerExplainNone)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  if (rtlat::bench::trace_path().empty())
    rtlat::bench::set_trace(RTLAT_SOURCE_DIR "/data/cyclictest.dat");
  return rtlat::bench::main(argc, argv);
}
