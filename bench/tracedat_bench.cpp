// trace.dat decoding: rtlat's reader vs libtracecmd's tracecmd_iterate_events on the same file.
//
//   RTLAT_BENCH_DAT=/tmp/rtlat-big-v6.dat[,/tmp/rtlat-big-v7.dat] tracedat_bench
//
// Without RTLAT_BENCH_DAT it uses data/format/v6.dat and v7-zstd.dat (small; the figures that
// matter come from a big recording: bench/compare makes one). libtracecmd is loaded with dlopen
// so the library stays a test/bench-time dependency only; its benchmark is skipped when absent.
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <sched.h>
#include <sys/resource.h>

#include <rtlat/source/tracedat.hpp>

#include <cstdlib>
#include <string>
#include <vector>

namespace {

struct CountSink {
  std::uint64_t n = 0, sum = 0;
  void feed(const rtlat::Event& e) {
    ++n;
    sum += static_cast<std::uint64_t>(e.common_pid);
  }
};

// libtracecmd through dlopen (its header drags in tracefs.h, which is not valid C++).
struct TraceCmd {
  using open_fn = void* (*)(const char*, int);
  using close_fn = void (*)(void*);
  using iterate_fn = int (*)(void*, cpu_set_t*, int, int (*)(void*, void*, int, void*), void*);
  using loglevel_fn = void (*)(int);
  void* lib = nullptr;
  open_fn open = nullptr;
  close_fn close = nullptr;
  iterate_fn iterate = nullptr;

  TraceCmd() {
    lib = dlopen("libtracecmd.so.1", RTLD_NOW);
    if (lib == nullptr) return;
    open = reinterpret_cast<open_fn>(dlsym(lib, "tracecmd_open"));
    close = reinterpret_cast<close_fn>(dlsym(lib, "tracecmd_close"));
    iterate = reinterpret_cast<iterate_fn>(dlsym(lib, "tracecmd_iterate_events"));
    if (auto ll = reinterpret_cast<loglevel_fn>(dlsym(lib, "tracecmd_set_loglevel"))) ll(0);
    if (open == nullptr || close == nullptr || iterate == nullptr) lib = nullptr;
  }
  bool ok() const { return lib != nullptr; }
};

const TraceCmd& tracecmd() {
  static TraceCmd t;
  return t;
}

std::vector<std::string> files() {
  std::vector<std::string> v;
  if (const char* env = std::getenv("RTLAT_BENCH_DAT")) {
    std::string s = env;
    std::size_t start = 0;
    while (start <= s.size()) {
      const std::size_t comma = s.find(',', start);
      const std::string f =
          s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!f.empty()) v.push_back(f);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  } else {
    std::string root = __FILE__;  // .../bench/tracedat_bench.cpp
    root = root.substr(0, root.find_last_of('/'));
    root = root.substr(0, root.find_last_of('/'));
    v.push_back(root + "/data/format/v6.dat");
    v.push_back(root + "/data/format/v7-zstd.dat");
  }
  return v;
}

double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

void rtlat_decode(benchmark::State& state, const std::string& path, int decode_threads) {
  std::uint64_t events = 0;
  std::string format;
  for (auto _ : state) {
    rtlat::TraceDatOptions o;
    o.decode_threads = decode_threads;
    rtlat::TraceDatSource src(path, o);
    CountSink sink;
    src.read(sink);
    benchmark::DoNotOptimize(sink.sum);
    events = sink.n;
    format = src.info().format;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(events * state.iterations()));
  state.counters["events"] = static_cast<double>(events);
  state.counters["peak_rss_mb"] = peak_rss_mb();
  state.SetLabel(format);
}

int count_record(void*, void*, int, void* data) {
  ++*static_cast<std::uint64_t*>(data);
  return 0;
}

void libtracecmd_iterate(benchmark::State& state, const std::string& path) {
  const TraceCmd& t = tracecmd();
  if (!t.ok()) {
    state.SkipWithError("libtracecmd.so.1 not found");
    return;
  }
  std::uint64_t events = 0;
  for (auto _ : state) {
    void* h = t.open(path.c_str(), 1 /* TRACECMD_FL_LOAD_NO_PLUGINS */);
    if (h == nullptr) {
      state.SkipWithError("libtracecmd cannot open the file");
      return;
    }
    std::uint64_t n = 0;
    t.iterate(h, nullptr, 0, count_record, &n);
    t.close(h);
    events = n;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(events * state.iterations()));
  state.counters["events"] = static_cast<double>(events);
}

// Registered per file: rtlat single-threaded, rtlat auto threads, libtracecmd.
const int registered = [] {
  for (const std::string& f : files()) {
    const std::string base = f.substr(f.find_last_of('/') + 1);
    benchmark::RegisterBenchmark(("rtlat_decode/1thread/" + base).c_str(),
                                 [f](benchmark::State& s) { rtlat_decode(s, f, 0); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("rtlat_decode/auto/" + base).c_str(),
                                 [f](benchmark::State& s) { rtlat_decode(s, f, -1); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("libtracecmd_iterate/" + base).c_str(),
                                 [f](benchmark::State& s) { libtracecmd_iterate(s, f); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
