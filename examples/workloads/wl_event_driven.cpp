// Case 3, event-driven task with blocking: ev-handler (FIFO 80) never sleeps on a timer. It is
// woken through a semaphore by ev-source (FIFO 70, every 5 ms), works ~1 ms and blocks again. It
// has latency and response samples but no relief: relief is defined by timer sleeps.
#include <semaphore.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "workload.hpp"

using namespace workload;

int main(int argc, char** argv) {
  const Run run(parse_options(argc, argv, 2.0));

  sem_t event;
  sem_init(&event, 0, 0);
  std::atomic<ns_t> posted{0};
  std::atomic<bool> done{false};
  Lateness handler_late, source_late;

  std::thread handler([&] {
    become_rt("ev-handler", 80, run.opt.cpu);
    for (;;) {
      while (sem_wait(&event) != 0) {
      }
      if (done) break;
      handler_late.add(now_ns() - posted.load());  // lateness from the moment the event came
      run.work.run(1 * ms);
    }
  });
  std::thread source([&] {
    become_rt("ev-source", 70, run.opt.cpu);
    Period p(run.t0, 5 * ms);
    while (p.wait(run.end, source_late)) {
      run.work.run(20 * us);
      posted = now_ns();
      sem_post(&event);
      p.skip_missed(source_late);
    }
    done = true;
    sem_post(&event);
  });
  source.join();
  handler.join();
  std::printf("wl_event_driven: cpu %d, %s; %s\n", run.opt.cpu,
              handler_late.summary("ev-handler").c_str(), source_late.summary("ev-source").c_str());
}
