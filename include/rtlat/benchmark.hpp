/// @file
/// Google Benchmark helpers: benchmark a metric engine (rtlat::Analyzer, or any sink of your
/// own, see sink.hpp) on a recording of your own, replayed from memory so that decoding is not
/// measured. Target rtlat::benchmark (rtlat::tracedat and Google Benchmark's
/// benchmark::benchmark).
///
///     struct Switches {  // a tiny engine
///       std::uint64_t n = 0;
///       void feed(const rtlat::Event& e) { n += e.kind == rtlat::EventKind::sched_switch; }
///     };
///     const auto* a = rtlat::bench::register_sink<rtlat::Analyzer>("analyzer");
///     const auto* b = rtlat::bench::register_sink<Switches>("switches");
///     int main(int argc, char** argv) { return rtlat::bench::main(argc, argv); }
///
/// Run it as `prog TRACE [--benchmark_...]` (or with RTLAT_BENCH_TRACE=TRACE in the
/// environment). Each benchmark reports events as items per second, and the trace file's bytes
/// per second, so its figures compare with a decoder's. With BENCHMARK_F, derive from
/// rtlat::bench::TraceFixture instead.
#pragma once

#include <benchmark/benchmark.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>

#include "rtlat/analyze.hpp"
#include "rtlat/replay.hpp"

namespace rtlat {
inline namespace v1 {
/// Google Benchmark helpers (<rtlat/benchmark.hpp>, target rtlat::benchmark).
namespace bench {

/// A trace loaded into memory once per process: its events and the size of its file.
struct Trace {
  std::string path;              ///< as given to load()
  std::uint64_t file_bytes = 0;  ///< the file's size, for bytes per second
  ReplayBuffer events;           ///< every event and task info, with the SourceInfo
};

namespace detail {
struct Registry {
  std::mutex mutex;
  std::string path;  // set_trace()
  std::map<std::string, std::unique_ptr<Trace>> loaded;
};
inline Registry& registry() {
  static Registry r;
  return r;
}
template <class S, class = void>
struct has_set_source : std::false_type {};
template <class S>
struct has_set_source<
    S, std::void_t<decltype(std::declval<S&>().set_source(std::declval<const SourceInfo&>()))>>
    : std::true_type {};
}  // namespace detail

/// Effects: makes `path` the trace that TraceFixture, register_sink() and main() load, in place
/// of the RTLAT_BENCH_TRACE environment variable. Throws: std::bad_alloc only. Thread safety:
/// any thread.
inline void set_trace(std::string path) {
  detail::Registry& r = detail::registry();
  const std::lock_guard<std::mutex> lock(r.mutex);
  r.path = std::move(path);
}

/// The trace benchmarks load: set_trace()'s, else RTLAT_BENCH_TRACE's, else empty.
/// Throws: std::bad_alloc only. Thread safety: any thread.
inline std::string trace_path() {
  detail::Registry& r = detail::registry();
  const std::lock_guard<std::mutex> lock(r.mutex);
  if (!r.path.empty()) return r.path;
  const char* env = std::getenv("RTLAT_BENCH_TRACE");
  return env != nullptr ? env : "";
}

/// Effects: `path` opened with rtlat::open() and read once into memory; later calls with the
/// same path return the same Trace, which lives until the process ends. Complexity: one read of
/// the file the first time, O(1) after. Memory: 64 bytes per event. Throws: InputError naming
/// the file (cannot open, corrupt, no event), std::bad_alloc; a failed load is retried on the
/// next call. Thread safety: any thread; the Trace returned is only read.
inline const Trace& load(const std::string& path, const OpenOptions& opts = {}) {
  detail::Registry& r = detail::registry();
  const std::lock_guard<std::mutex> lock(r.mutex);
  std::unique_ptr<Trace>& slot = r.loaded[path];
  if (!slot) {
    auto t = std::make_unique<Trace>();
    t->path = path;
    FileSource src = open(path, opts);
    t->events = ReplayBuffer::load(src);
    if (t->events.empty()) throw InputError(path, "", "no trace events in the input");
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) t->file_bytes = static_cast<std::uint64_t>(st.st_size);
    slot = std::move(t);
  }
  return *slot;
}

/// Effects: the benchmark loop: per iteration, a sink made by `make_sink()` (its construction
/// is timed, so an engine's set-up cost counts), given `set_source(trace.events.info())` when it
/// has that member, then every event of `trace` (ReplayBuffer::replay()). Reports events as
/// items, the file's bytes as bytes, and the counter `events` (per iteration). Complexity:
/// O(events) per iteration. Throws: whatever the sink throws. Thread safety: `trace` is only
/// read, so threaded benchmarks may share it.
template <class MakeSink>
void replay(::benchmark::State& state, const Trace& trace, MakeSink make_sink) {
  for (auto _ : state) {
    auto sink = make_sink();
    if constexpr (detail::has_set_source<decltype(sink)>::value)
      sink.set_source(trace.events.info());
    trace.events.replay(sink);
    ::benchmark::DoNotOptimize(&sink);
    ::benchmark::ClobberMemory();
  }
  const auto iterations = static_cast<std::int64_t>(state.iterations());
  state.SetItemsProcessed(iterations * static_cast<std::int64_t>(trace.events.size()));
  state.SetBytesProcessed(iterations * static_cast<std::int64_t>(trace.file_bytes));
  state.counters["events"] = static_cast<double>(trace.events.size());
  state.SetLabel(trace.events.info().format);
}

/// A Google Benchmark fixture holding the trace_path() trace, loaded once per process:
///
///     using rtlat::bench::TraceFixture;
///     BENCHMARK_DEFINE_F(TraceFixture, Engine)(benchmark::State& s) { run<MyEngine>(s); }
///     BENCHMARK_REGISTER_F(TraceFixture, Engine);
///
/// Thread safety: as Google Benchmark uses fixtures; the trace is only read.
class TraceFixture : public ::benchmark::Fixture {
 public:
  /// Effects: loads the trace (load(trace_path())); a failure is kept for run() to report.
  void SetUp(const ::benchmark::State&) override {
    trace_ = nullptr;
    error_.clear();
    const std::string path = trace_path();
    if (path.empty()) {
      error_ = "no trace: pass TRACE, call rtlat::bench::set_trace() or set RTLAT_BENCH_TRACE";
      return;
    }
    try {
      trace_ = &load(path);
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  }
  /// Effects: nothing (the trace stays loaded for the next benchmark).
  void TearDown(const ::benchmark::State&) override {}

  /// Effects: replay() into a default-constructed `Sink` per iteration, or, when the trace
  /// could not be loaded, State::SkipWithError() with the reason. Throws: as replay().
  template <class Sink>
  void run(::benchmark::State& state) {
    run(state, [] { return Sink(); });
  }
  /// Effects: as run<Sink>(), with sinks made by `make_sink()` (an engine with a Config).
  template <class MakeSink>
  void run(::benchmark::State& state, MakeSink make_sink) {
    if (trace_ == nullptr) {
      state.SkipWithError(error_.c_str());
      return;
    }
    replay(state, *trace_, make_sink);
  }
  /// The loaded trace; nullptr when SetUp() could not load it.
  const Trace* trace() const noexcept { return trace_; }

 private:
  const Trace* trace_ = nullptr;
  std::string error_;
};

/// Effects: registers a benchmark `name` that replays the trace_path() trace (resolved when it
/// runs, so main()'s TRACE argument applies) into a fresh sink per iteration, made by
/// `make_sink()`. Returns Google Benchmark's handle, for ->Unit(),
/// ->Threads() and the like; call it before main() runs the benchmarks (a namespace-scope
/// initialiser is the usual place). Throws: std::bad_alloc only.
template <class MakeSink>
::benchmark::internal::Benchmark* register_sink(const std::string& name, MakeSink make_sink) {
  return ::benchmark::RegisterBenchmark(
             name.c_str(),
             [make_sink](::benchmark::State& state) {
               const std::string path = trace_path();
               if (path.empty()) {
                 state.SkipWithError("no trace: pass TRACE or set RTLAT_BENCH_TRACE");
                 return;
               }
               const Trace* t = nullptr;
               try {
                 t = &load(path);
               } catch (const std::exception& e) {
                 state.SkipWithError(e.what());
                 return;
               }
               replay(state, *t, make_sink);
             })
      ->Unit(::benchmark::kMillisecond);
}
/// Effects: as register_sink(name, make_sink) with `Sink()` per iteration.
template <class Sink>
::benchmark::internal::Benchmark* register_sink(const std::string& name) {
  return register_sink(name, [] { return Sink(); });
}

/// Effects: a benchmark program's main(): Google Benchmark's options (--benchmark_...), then an
/// optional TRACE argument (set_trace()), then every registered benchmark. Returns 0, or 2 on
/// an unknown argument (printed). Throws: what a benchmark throws.
inline int main(int argc, char** argv) {
  ::benchmark::Initialize(&argc, argv);
  if (argc >= 2 && argv[1][0] != '-') {
    set_trace(argv[1]);
    for (int i = 1; i + 1 < argc; ++i) argv[i] = argv[i + 1];
    --argc;
  }
  if (::benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  ::benchmark::RunSpecifiedBenchmarks();
  ::benchmark::Shutdown();
  return 0;
}

}  // namespace bench
}  // namespace v1
}  // namespace rtlat
