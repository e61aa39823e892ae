// `rtlat bench TRACE`: how fast rtlat decodes and analyses the user's own trace on this machine,
// and the memory each takes, without the source tree or Google Benchmark.
//
// Decode is timed from rtlat::open() to the end of the read into a sink that does nothing, as
// `rtlat report` reads (a text trace parsed on a second thread, a trace.dat on its decode
// workers). The engine is timed on the events replayed from memory (rtlat::ReplayBuffer) into a
// fresh Analyzer per run, so decoding is not in its figure. Memory is the growth of the resident
// set's high-water mark during a first, untimed run of each phase: Linux lets a process reset it
// (/proc/self/clear_refs), which isolates one phase from the peaks of the ones before it. The
// engine has no allocation accounting of its own, so its RSS growth is what is reported; the replay
// buffer's size is exact.
#pragma once

#include <fcntl.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "options.hpp"
#include "output.hpp"
#include "rtlat/analyze.hpp"
#include "rtlat/replay.hpp"
#include "rtlat/report/json.hpp"

namespace rtlat_cli {

inline constexpr std::string_view bench_help = R"(usage: rtlat bench [options] TRACE

How fast rtlat is on TRACE on this machine: decode and engine throughput, and their memory.

TRACE: a trace.dat or a text trace (a file, not stdin: it is read once per run)

  decode   rtlat::open and a read into a sink that does nothing, as 'rtlat report' reads
  engine   the events replayed from memory into a fresh Analyzer (default settings), so
           decoding is not counted
  rates    from the median wall time; the median CPU time (all threads) is shown beside it
  MB/s     bytes of TRACE per second, for both
  memory   growth of the peak resident set during each phase (VmHWM, reset per phase), and
           the size of the in-memory copy of the events the engine runs replay

options:
      --runs N                 timed runs of each phase, after an untimed one that
                               measures its memory; medians are reported (default 5)
      --format text|json       output format (default text)
      --buffer NAME            trace.dat: read the instance buffer NAME instead of the top one
      --arch ARCH              text input: syscall numbering of ARCH (default: this machine's)

exit status: 0 ok, 2 usage or input error
)";

struct BenchOptions {
  std::string trace;
  Format format = Format::text;
  int runs = 5;
  rtlat::OpenOptions open;
};

namespace bench_detail {

struct HelpAsked {};

// A value of /proc/self/status in bytes ("VmRSS", "VmHWM"); nullopt when unreadable.
inline std::optional<std::uint64_t> status_bytes(std::string_view key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.compare(0, key.size(), key) != 0 || line.size() <= key.size() ||
        line[key.size()] != ':')
      continue;
    return std::strtoull(line.c_str() + key.size() + 1, nullptr, 10) * 1024;
  }
  return std::nullopt;
}

inline std::uint64_t max_rss_bytes() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;
}

// The peak RSS growth of what runs between start() and stop().
class PeakMeter {
 public:
  void start() {
    // Memory freed by earlier phases would otherwise be reused without showing in the RSS.
    ::malloc_trim(0);
    base_ = status_bytes("VmRSS").value_or(0);
    const int fd = ::open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    resettable_ = fd >= 0 && ::write(fd, "5", 1) == 1;
    if (fd >= 0) ::close(fd);
    if (!resettable_) base_ = std::max(base_, max_rss_bytes());
  }
  std::uint64_t stop() const {
    const std::uint64_t peak = resettable_ ? status_bytes("VmHWM").value_or(0) : max_rss_bytes();
    return peak > base_ ? peak - base_ : 0;
  }
  // With the fallback, only growth above every earlier peak shows.
  bool resettable() const { return resettable_; }

 private:
  std::uint64_t base_ = 0;
  bool resettable_ = false;
};

struct NullSink {
  std::uint64_t n = 0;
  void feed(const rtlat::Event&) { ++n; }
};

inline std::int64_t median_of(std::vector<std::int64_t> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}

struct Phase {
  std::vector<std::int64_t> ns;      // wall time per run
  std::vector<std::int64_t> cpu_ns;  // CPU time of every thread per run
  std::uint64_t peak_rss = 0;        // growth during the untimed first run
  std::int64_t median() const { return median_of(ns); }
  std::int64_t cpu_median() const { return median_of(cpu_ns); }
  std::int64_t min() const { return *std::min_element(ns.begin(), ns.end()); }
};

struct Figures {
  rtlat::SourceInfo info;
  std::uint64_t file_bytes = 0;
  std::uint64_t events = 0;
  int runs = 0;
  Phase decode, engine;
  std::uint64_t replay_bytes = 0;
  bool hwm_reset = false;
};

inline std::int64_t process_cpu_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Wall time is what a user waits; CPU time is what a loaded machine does not inflate (and what
// Google Benchmark's rates are based on unless a benchmark asks for real time).
template <class F>
void timed(Phase& p, F&& f) {
  const std::int64_t c0 = process_cpu_ns();
  const auto t0 = std::chrono::steady_clock::now();
  f();
  const auto t1 = std::chrono::steady_clock::now();
  const std::int64_t c1 = process_cpu_ns();
  const std::int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
  p.ns.push_back(ns > 0 ? ns : 1);
  p.cpu_ns.push_back(c1 - c0 > 0 ? c1 - c0 : 1);
}

inline double per_second(std::uint64_t n, std::int64_t ns) {
  return static_cast<double>(n) * 1e9 / static_cast<double>(ns);
}

inline Figures measure(const BenchOptions& o) {
  Figures fig;
  fig.runs = o.runs;
  struct stat st {};
  if (::stat(o.trace.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    throw UsageError{"bench: '" + o.trace + "' is not a regular file (TRACE is read once per run)"};
  fig.file_bytes = static_cast<std::uint64_t>(st.st_size);
  PeakMeter meter;

  // Run 0 of each phase measures memory, untimed: it starts from a trimmed heap, whose page
  // faults the timed runs after it do not pay (nor do Google Benchmark's iterations in bench/).
  for (int run = 0; run <= o.runs; ++run) {
    if (run == 0) meter.start();
    NullSink sink;
    const auto decode = [&] {
      rtlat::FileSource src = rtlat::open(o.trace, o.open);
      src.read_parallel(sink);
      fig.info = src.info();
    };
    if (run == 0) {
      decode();
      fig.decode.peak_rss = meter.stop();
      fig.hwm_reset = meter.resettable();
    } else {
      timed(fig.decode, decode);
    }
    fig.events = sink.n;
    if (sink.n == 0) throw rtlat::InputError(o.trace, "", "no trace events in the input");
  }

  rtlat::FileSource src = rtlat::open(o.trace, o.open);
  const rtlat::ReplayBuffer buf = rtlat::ReplayBuffer::load(src);
  fig.replay_bytes = buf.bytes();
  for (int run = 0; run <= o.runs; ++run) {
    if (run == 0) meter.start();
    std::uint64_t seen = 0;
    const auto engine_run = [&] {
      rtlat::Analyzer engine;
      engine.set_source(buf.info());
      buf.replay(engine);
      seen = engine.stats().events;
    };
    if (run == 0) {
      engine_run();
      fig.engine.peak_rss = meter.stop();
    } else {
      timed(fig.engine, engine_run);
    }
    if (seen != buf.size())
      throw rtlat::InputError(o.trace, "", "the engine saw another number of events");
  }
  return fig;
}

inline std::string fixed(double v, int decimals) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

inline std::string mib(std::uint64_t bytes) {
  return fixed(static_cast<double>(bytes) / (1024.0 * 1024.0), 1) + " MiB";
}

inline void write_text(std::ostream& os, const Figures& f) {
  os << "rtlat bench: " << f.info.name << '\n'
     << "  " << f.info.format << ", " << f.events << " events, " << f.info.cpus << " cpus, "
     << fixed(static_cast<double>(f.file_bytes) / 1e6, 2) << " MB\n  median of " << f.runs
     << (f.runs == 1 ? " run" : " runs") << ", after one that measures memory\n";
  const auto row = [&](const char* name, const Phase& p) {
    char b[200];
    std::snprintf(b, sizeof b,
                  "  %-7s %9.3f M events/s %9.1f MB/s %10.3f ms (cpu %.3f ms)   peak RSS +%s\n",
                  name, per_second(f.events, p.median()) / 1e6,
                  per_second(f.file_bytes, p.median()) / 1e6, static_cast<double>(p.median()) / 1e6,
                  static_cast<double>(p.cpu_median()) / 1e6, mib(p.peak_rss).c_str());
    os << b;
  };
  row("decode", f.decode);
  row("engine", f.engine);
  os << "  replay buffer " << mib(f.replay_bytes) << " (" << f.events << " events x "
     << sizeof(rtlat::Event) << " bytes)\n"
     << "  decode: rtlat::open + read into a null sink; engine: replayed from memory into a\n"
     << "  fresh Analyzer; rates from wall time; cpu: all threads; MB/s: bytes of the trace\n"
     << "  file; peak RSS: "
     << (f.hwm_reset ? "VmHWM growth, reset per phase\n"
                     : "ru_maxrss growth above earlier peaks (VmHWM could not be reset)\n");
}

inline void write_json(std::ostream& os, const Figures& f) {
  const auto phase = [&](const Phase& p) {
    os << "\"median_ns\": " << p.median() << ", \"min_ns\": " << p.min()
       << ", \"cpu_median_ns\": " << p.cpu_median()
       << ", \"events_per_s\": " << fixed(per_second(f.events, p.median()), 0)
       << ", \"mb_per_s\": " << fixed(per_second(f.file_bytes, p.median()) / 1e6, 3)
       << ", \"peak_rss_bytes\": " << p.peak_rss;
  };
  os << "{\"trace\": {\"source\": ";
  rtlat::write_json_string(os, f.info.name);
  os << ", \"format\": ";
  rtlat::write_json_string(os, f.info.format);
  os << ", \"bytes\": " << f.file_bytes << ", \"events\": " << f.events
     << ", \"cpus\": " << f.info.cpus << "},\n \"runs\": " << f.runs << ",\n \"decode\": {";
  phase(f.decode);
  os << "},\n \"engine\": {";
  phase(f.engine);
  os << ", \"replay_buffer_bytes\": " << f.replay_bytes << "},\n \"memory_method\": \""
     << (f.hwm_reset ? "vmhwm" : "ru_maxrss") << "\"}\n";
}

}  // namespace bench_detail

// Parses `rtlat bench` arguments; false when --help was asked for.
inline bool parse_bench_args(const std::vector<std::string>& all, BenchOptions& o) {
  // After "--", everything is a TRACE.
  const auto dashes = std::find(all.begin(), all.end(), "--");
  std::vector<std::string> args(all.begin(), dashes);
  CLI::App app("rtlat bench");
  app.set_help_flag();
  app.allow_extras();
  app.add_flag("-h,--help", [](std::int64_t) { throw bench_detail::HelpAsked{}; })
      ->trigger_on_parse();
  OptionTable table(app);
  table.value({"--runs"}, "--runs", true, [&o](const std::string& sp, const std::string& v) {
    o.runs = parse_int<int>(sp, v, 1);
  });
  table.value({"--format"}, "--format", true, [&o](const std::string&, const std::string& v) {
    if (v == "text")
      o.format = Format::text;
    else if (v == "json")
      o.format = Format::json;
    else
      throw UsageError{"--format: '" + v + "' (text|json)"};
  });
  table.value({"--buffer"}, "--buffer", true,
              [&o](const std::string&, const std::string& v) { o.open.buffer = v; });
  add_arch(table, o.open.arch);
  std::vector<std::string> traces;
  app.add_option("TRACE", traces)->expected(0, -1);
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  try {
    app.parse(args);
  } catch (const bench_detail::HelpAsked&) {
    return false;
  } catch (const CLI::ParseError& e) {
    throw usage_error_of(e, "bench");
  }
  for (const std::string& x : app.remaining())
    throw UsageError{"unknown option '" + x + "' (see 'rtlat bench --help')"};
  if (dashes != all.end()) traces.insert(traces.end(), dashes + 1, all.end());
  if (traces.empty()) throw UsageError{"no TRACE given (see 'rtlat bench --help')"};
  if (traces.size() > 1) throw UsageError{"more than one TRACE given ('" + traces[1] + "')"};
  o.trace = traces.front();
  if (o.trace == "-") throw UsageError{"bench: TRACE must be a file, not stdin"};
  return true;
}

// `rtlat bench`: exit status as main() maps it.
inline int bench(const std::vector<std::string>& args) {
  BenchOptions o;
  if (!parse_bench_args(args, o)) {
    write_stdout(bench_help);
    return 0;
  }
  const bench_detail::Figures f = bench_detail::measure(o);
  std::ostringstream out;
  if (o.format == Format::json)
    bench_detail::write_json(out, f);
  else
    bench_detail::write_text(out, f);
  write_stdout(out.str());
  return 0;
}

}  // namespace rtlat_cli
