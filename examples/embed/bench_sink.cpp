// A tiny engine of your own benchmarked against rtlat::Analyzer on the same recording, replayed
// from memory (decoding is not measured): `bench_sink TRACE [--benchmark_...]`.
// Target rtlat::benchmark (Google Benchmark).
#include <rtlat/benchmark.hpp>

#include <cstdint>
#include <unordered_map>

namespace {

// The longest wakeup-to-switch-in per pid, and nothing else rtlat does.
struct MaxLatency {
  std::unordered_map<rtlat::Pid, rtlat::Timestamp> woken;
  rtlat::Timestamp worst = 0;
  void feed(const rtlat::Event& e) {
    if (e.kind == rtlat::EventKind::sched_wakeup) {
      woken.emplace(e.wakeup.pid, e.ts);
    } else if (e.kind == rtlat::EventKind::sched_switch) {
      const auto it = woken.find(e.sw.next_pid);
      if (it == woken.end()) return;
      if (e.ts - it->second > worst) worst = e.ts - it->second;
      woken.erase(it);
    }
  }
};

[[maybe_unused]] const auto* analyzer =
    rtlat::bench::register_sink<rtlat::Analyzer>("rtlat::Analyzer");
[[maybe_unused]] const auto* custom = rtlat::bench::register_sink<MaxLatency>("MaxLatency");

}  // namespace

int main(int argc, char** argv) {
  return rtlat::bench::main(argc, argv);
}
