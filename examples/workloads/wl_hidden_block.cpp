// Case 2, hidden blocking: a 5 ms control loop (FIFO 80, ~1 ms of work) then waits for a result
// that a second thread, io-worker, hands over only after ~3 ms of (simulated) I/O. The loop wakes
// on time and each stretch on the CPU is short, so latency and response look healthy; only the
// time from its timer wakeup to its next timer sleep (relief) shows the ~4 ms it really takes.
#include <semaphore.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "workload.hpp"

using namespace workload;

int main(int argc, char** argv) {
  const Run run(parse_options(argc, argv, 2.0));

  sem_t request, reply;
  sem_init(&request, 0, 0);
  sem_init(&reply, 0, 0);
  std::atomic<bool> done{false};
  Lateness loop_late;
  ns_t worst_block = 0;

  std::thread loop([&] {
    become_rt("ctl-loop", 80, run.opt.cpu);
    Period p(run.t0, 5 * ms);
    while (p.wait(run.end, loop_late)) {
      run.work.run(1 * ms);
      const ns_t t = now_ns();
      sem_post(&request);
      while (sem_wait(&reply) != 0) {
      }
      worst_block = std::max(worst_block, now_ns() - t);
      run.work.run(50 * us);
      p.skip_missed(loop_late);
    }
    done = true;
    sem_post(&request);
  });
  std::thread worker([&] {
    become_rt("io-worker", 70, run.opt.cpu);
    for (;;) {
      while (sem_wait(&request) != 0) {
      }
      if (done) break;
      sleep_until(now_ns() + 3 * ms);  // the "I/O" the loop does not know it waits for
      sem_post(&reply);
    }
  });
  loop.join();
  worker.join();
  std::printf("wl_hidden_block: cpu %d, %s; worst wait for io-worker %.1fus\n", run.opt.cpu,
              loop_late.summary("ctl-loop").c_str(), static_cast<double>(worst_block) / 1e3);
}
