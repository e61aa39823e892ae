// Case 5, RT throttling: rt-hog spins at FIFO 1 for the whole run while rt-periodic (FIFO 50,
// 10 ms period, 0.1 ms of work) shares its CPU. Priorities alone would keep rt-periodic on time,
// but the kernel lets RT tasks use only kernel.sched_rt_runtime_us of every sched_rt_period_us
// (default 950000 of 1000000): once a second the whole RT class on that CPU is set aside for
// ~50 ms and rt-periodic stalls with it, although the CPU runs nothing of higher priority.
#include <cstdio>
#include <fstream>
#include <thread>

#include "workload.hpp"

using namespace workload;

int main(int argc, char** argv) {
  const Options opt = parse_options(argc, argv, 2.5);
  long runtime = 0;
  if (std::ifstream f("/proc/sys/kernel/sched_rt_runtime_us"); !(f >> runtime) || runtime < 0) {
    // Without throttling the hog would own the CPU for the whole run: refuse.
    std::fprintf(stderr, "wl_throttle: kernel.sched_rt_runtime_us must be >= 0 (RT throttling)\n");
    return 1;
  }
  const Run run(opt);

  Lateness periodic_late;
  std::thread hog([&] {
    become_rt("rt-hog", 1, run.opt.cpu);
    spin_until(run.end);
  });
  std::thread periodic(
      [&] { workload::periodic(run, "rt-periodic", 50, 0, 10 * ms, 100 * us, periodic_late); });
  hog.join();
  periodic.join();
  std::printf("wl_throttle: cpu %d, sched_rt_runtime_us=%ld; %s\n", run.opt.cpu, runtime,
              periodic_late.summary("rt-periodic").c_str());
}
