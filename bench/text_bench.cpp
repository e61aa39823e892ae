// Text trace parsing throughput: 1M generated lines in each text format into a counting sink.
// Lines follow real captures (tests/traces/real/) in a cyclictest-like mix.
#include <benchmark/benchmark.h>
#include <rtlat/source/text.hpp>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

namespace {

struct CountingSink {
  std::uint64_t events = 0;
  std::uint64_t tasks = 0;
  void feed(const rtlat::Event& e) { events += e.kind != rtlat::EventKind::lost_events; }
  void task_info(const rtlat::TaskInfo&) { ++tasks; }
};

enum class Form { report, report_raw, tracefs_tgid };

constexpr std::size_t line_count = 1000000;

std::string timestamp(std::uint64_t us, bool ns) {
  char buf[32];
  if (ns)
    std::snprintf(buf, sizeof buf, "%llu.%09llu", static_cast<unsigned long long>(us / 1000000),
                  static_cast<unsigned long long>(us % 1000000 * 1000 + 317));
  else
    std::snprintf(buf, sizeof buf, "%llu.%06llu", static_cast<unsigned long long>(us / 1000000),
                  static_cast<unsigned long long>(us % 1000000));
  return buf;
}

std::string generate(Form form, bool ns_timestamps) {
  std::string out = form == Form::tracefs_tgid ? "# tracer: nop\n#\n" : "cpus=2\n";
  out.reserve(line_count * 150);
  std::uint64_t us = 57000000;
  for (std::size_t i = 0; i < line_count; ++i) {
    const int cpu = static_cast<int>(i & 1);
    const int pid = 2166 + cpu;
    const std::string task = "      cyclictest-" + std::to_string(pid);
    std::string head;
    if (form == Form::tracefs_tgid)
      head = task + "    (   2165) [00" + std::to_string(cpu) + "] d..2. " +
             timestamp(us, ns_timestamps) + ": ";
    else
      head = task + "  [00" + std::to_string(cpu) + "]   " + timestamp(us, ns_timestamps) + ": ";
    const bool raw = form == Form::report_raw;
    switch (i % 6) {
      case 0:
        out += head + (raw ? "sys_enter:             id=230 args=ARRAY[00, 00, 00, 00]"
                           : "sys_enter:            NR 230 (1, 1, 7fc5b5c808d0, 0, 0, 0)");
        break;
      case 1:
        out += head + (raw ? "hrtimer_start:         hrtimer=0xffffc90002d57cf8 "
                             "function=hrtimer_wakeup expires=236 softexpires=236 mode=0"
                           : "hrtimer_start:        hrtimer=0xffffc90002d57cf8 "
                             "function=hrtimer_wakeup/0x0 expires=236 softexpires=236");
        break;
      case 2:
        out += head + (raw || form == Form::tracefs_tgid
                           ? "sched_switch:          prev_comm=cyclictest prev_pid=2166 "
                             "prev_prio=19 prev_state=1 next_comm=swapper/0 next_pid=0 "
                             "next_prio=120"
                           : "sched_switch:         cyclictest:2166 [19] S ==> swapper/0:0 [120]");
        break;
      case 3:
        out += head + "sched_waking:         comm=cyclictest pid=2167 prio=19 target_cpu=001";
        break;
      case 4:
        out += head + (raw || form == Form::tracefs_tgid
                           ? "sched_wakeup:          comm=cyclictest pid=2167 prio=19 "
                             "target_cpu=001"
                           : "sched_wakeup:         cyclictest:2167 [19] CPU:001");
        break;
      default:
        out += head + "irq_handler_entry:    irq=36 name=virtio1-req.0";
        break;
    }
    out += '\n';
    us += 3;
  }
  return out;
}

void run(benchmark::State& state, const std::string& text) {
  std::uint64_t events = 0;
  for (auto _ : state) {
    state.PauseTiming();  // from_string copies the 100+ MB text: not parsing
    rtlat::TextSource src = rtlat::TextSource::from_string("bench", text);
    state.ResumeTiming();
    CountingSink sink;
    src.read(sink);
    events = sink.events;
    benchmark::DoNotOptimize(sink.tasks);
  }
  if (events != line_count) state.SkipWithError("wrong event count");
  const auto iters = static_cast<double>(state.iterations());
  state.counters["lines/s"] =
      benchmark::Counter(static_cast<double>(line_count) * iters, benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<std::int64_t>(text.size()) * state.iterations());
}

void BM_TraceCmdReport(benchmark::State& state) {
  static const std::string text = generate(Form::report, false);
  run(state, text);
}
void BM_TraceCmdReportNs(benchmark::State& state) {
  static const std::string text = generate(Form::report, true);
  run(state, text);
}
void BM_TraceCmdReportRaw(benchmark::State& state) {
  static const std::string text = generate(Form::report_raw, false);
  run(state, text);
}
void BM_TracefsTgid(benchmark::State& state) {
  static const std::string text = generate(Form::tracefs_tgid, false);
  run(state, text);
}

// The streaming path: the same default-format text read from a file in 1 MiB chunks.
void BM_TraceCmdReportFile(benchmark::State& state) {
  const std::string path = "/tmp/rtlat_text_bench.txt";
  static const std::string text = generate(Form::report, false);
  { std::ofstream(path, std::ios::binary) << text; }
  std::uint64_t events = 0;
  for (auto _ : state) {
    rtlat::TextSource src(path);
    CountingSink sink;
    src.read(sink);
    events = sink.events;
  }
  std::remove(path.c_str());
  if (events != line_count) state.SkipWithError("wrong event count");
  state.counters["lines/s"] =
      benchmark::Counter(static_cast<double>(line_count) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<std::int64_t>(text.size()) * state.iterations());
}

}  // namespace

BENCHMARK(BM_TraceCmdReport)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TraceCmdReportNs)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TraceCmdReportRaw)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TracefsTgid)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TraceCmdReportFile)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
