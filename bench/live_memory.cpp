// The engine's own memory in a live run, beside the process's RSS: bench/live-soak measures
// `rtlat live` from outside, which also counts the live source's buffers; this embeds the live
// source and prints Analyzer::memory() next to VmRSS every interval, so the two can be told
// apart. Root and tracefs.
//
//   live_memory [SECONDS [MAX_FINISHED_TASKS]]     (default 120 s, 1024)
#include <rtlat/rtlat.hpp>
#include <rtlat/source/live.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

namespace {

unsigned long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  rtlat::Config cfg;
  cfg.max_finished_tasks = argc > 2 ? std::stoul(argv[2]) : 1024;
  rtlat::Analyzer a(cfg);
  rtlat::LiveOptions opt;
  opt.duration = std::chrono::seconds(argc > 1 ? std::stoi(argv[1]) : 120);
  opt.interval = std::chrono::seconds(10);
  int t = 0;
  std::printf("t_s,rss_kb,engine_bytes,entries,finished,free,groups,folded_tasks\n");
  opt.on_interval = [&](const rtlat::LiveProgress&) {
    const rtlat::EngineMemory m = a.memory();
    t += 10;
    std::printf("%d,%lu,%zu,%zu,%zu,%zu,%zu,%llu\n", t, rss_kb(), m.bytes, m.entries, m.finished,
                m.free, m.folded_groups, static_cast<unsigned long long>(m.folded_tasks));
    std::fflush(stdout);
  };
  try {
    rtlat::LiveSource src(opt);
    a.set_source(src.info());
    src.read(a);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "live_memory: %s\n", e.what());
    return 2;
  }
  return 0;
}
