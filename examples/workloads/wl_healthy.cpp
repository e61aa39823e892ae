// Case 6, the healthy reference: one 1 ms periodic task at FIFO 80 with ~0.1 ms of work and
// nothing in its way. Latency, response and relief are all small and steady.
#include <cstdio>
#include <thread>

#include "workload.hpp"

using namespace workload;

int main(int argc, char** argv) {
  const Run run(parse_options(argc, argv, 2.0));

  Lateness late;
  std::thread loop([&] { periodic(run, "rt-healthy", 80, 0, 1 * ms, 100 * us, late); });
  loop.join();
  std::printf("wl_healthy: cpu %d, %s\n", run.opt.cpu, late.summary("rt-healthy").c_str());
}
