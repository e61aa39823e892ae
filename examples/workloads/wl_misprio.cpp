// Case 1, misconfigured priorities: a 2 ms control loop at FIFO 80 (~0.2 ms of work) shares its
// CPU with a background task someone gave FIFO 90, which runs ~3 ms every 20 ms. Each time the
// background task runs across a period boundary, the loop's wakeup waits behind it: its latency
// reaches milliseconds while its own work stays tiny.
#include <cstdio>
#include <thread>

#include "workload.hpp"

using namespace workload;

int main(int argc, char** argv) {
  const Run run(parse_options(argc, argv, 2.0));

  Lateness loop_late, hog_late;
  std::thread loop([&] {
    become_rt("ctl-loop", 80, run.opt.cpu);
    Period p(run.t0, 2 * ms);
    while (p.wait(run.end, loop_late)) {
      run.work.run(200 * us);
      p.skip_missed(loop_late);
    }
  });
  // Phase 1.1 ms: each burst covers the loop's wakeup at +2 ms, so it waits ~2.1 ms.
  std::thread hog([&] { periodic(run, "bg-hog", 90, 1100 * us, 20 * ms, 3 * ms, hog_late); });
  loop.join();
  hog.join();
  std::printf("wl_misprio: cpu %d, %s; %s\n", run.opt.cpu, loop_late.summary("ctl-loop").c_str(),
              hog_late.summary("bg-hog").c_str());
}
