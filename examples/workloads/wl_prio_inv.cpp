// Case 4, priority inversion: inv-high (FIFO 90, 5 ms period) and inv-low (FIFO 30) share a
// mutex; inv-mid (FIFO 60) runs ~3.5 ms every 10 ms. The phases are set so that every 10 ms
// inv-low takes the mutex, inv-high blocks on it 0.3 ms later and inv-mid wakes 0.2 ms after
// that. With a plain mutex inv-mid preempts inv-low, so inv-high waits out inv-mid's whole run
// (relief ~4.5 ms); with --pi (PTHREAD_PRIO_INHERIT) inv-low runs at FIFO 90 until it unlocks and
// inv-high waits only for the rest of the critical section (~0.7 ms).
#include <pthread.h>

#include <cstdio>
#include <thread>

#include "workload.hpp"

using namespace workload;

int main(int argc, char** argv) {
  const Run run(parse_options(argc, argv, 2.0, /*allow_pi=*/true));

  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  if (run.opt.pi) {
    if (int rc = pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT); rc != 0)
      die("pthread_mutexattr_setprotocol", rc);
  }
  pthread_mutex_t mutex;
  pthread_mutex_init(&mutex, &ma);
  Lateness high_late, mid_late, low_late;
  ns_t worst_high_cycle = 0;

  std::thread low([&] {
    become_rt("inv-low", 30, run.opt.cpu);
    Period p(run.t0, 10 * ms);
    while (p.wait(run.end, low_late)) {
      pthread_mutex_lock(&mutex);
      run.work.run(1 * ms);
      pthread_mutex_unlock(&mutex);
      p.skip_missed(low_late);
    }
  });
  std::thread high([&] {
    become_rt("inv-high", 90, run.opt.cpu);
    Period p(run.t0 + 300 * us, 5 * ms);
    while (p.wait(run.end, high_late)) {
      pthread_mutex_lock(&mutex);
      run.work.run(100 * us);
      pthread_mutex_unlock(&mutex);
      worst_high_cycle = std::max(worst_high_cycle, now_ns() - p.due());
      p.skip_missed(high_late);
    }
  });
  std::thread mid([&] { periodic(run, "inv-mid", 60, 500 * us, 10 * ms, 3500 * us, mid_late); });
  low.join();
  high.join();
  mid.join();
  std::printf("wl_prio_inv: cpu %d, %s mutex; %s, worst cycle %.1fus; %s; %s\n", run.opt.cpu,
              run.opt.pi ? "PI" : "plain", high_late.summary("inv-high").c_str(),
              static_cast<double>(worst_high_cycle) / 1e3, mid_late.summary("inv-mid").c_str(),
              low_late.summary("inv-low").c_str());
}
