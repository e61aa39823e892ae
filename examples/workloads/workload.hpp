// Shared plumbing of the failure-mode workloads: RT setup in the safe order, calibrated busy work,
// absolute periodic sleeps and the lateness each thread measures of itself.
//
// Every thread becomes SCHED_FIFO *before* pinning itself: pinning first would put a SCHED_OTHER
// thread on a CPU where a busy FIFO task may already run, and it would never get to raise itself.
#pragma once

#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

namespace workload {

using ns_t = std::int64_t;
inline constexpr ns_t us = 1000;
inline constexpr ns_t ms = 1000 * us;

[[noreturn]] inline void die(const char* what, int err) {
  std::fprintf(stderr, "workload: %s: %s\n", what, std::strerror(err));
  std::exit(1);
}

inline ns_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ns_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// Absolute sleep, so a period never drifts by the time spent working or waiting to run.
inline void sleep_until(ns_t t) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(t / 1000000000);
  ts.tv_nsec = static_cast<long>(t % 1000000000);
  int rc;
  while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr)) == EINTR) {
  }
  if (rc != 0) die("clock_nanosleep", rc);
}

// Name, then FIFO priority, then CPU: see the comment at the top.
inline void become_rt(const char* name, int prio, int cpu) {
  if (int rc = pthread_setname_np(pthread_self(), name); rc != 0) die("pthread_setname_np", rc);
  sched_param sp{};
  sp.sched_priority = prio;
  if (int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp); rc != 0)
    die("pthread_setschedparam(SCHED_FIFO) (run as root)", rc);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set); rc != 0)
    die("pthread_setaffinity_np", rc);
}

// Locks memory and moves the main thread off the workload CPU. The main thread stays
// SCHED_OTHER: left on that CPU, a FIFO busy loop started by the first thread could starve it
// (until RT throttling) before it has created the others.
inline void prepare_main(int workload_cpu) {
  if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) die("mlockall", errno);
  cpu_set_t set;
  if (int rc = pthread_getaffinity_np(pthread_self(), sizeof set, &set); rc != 0)
    die("pthread_getaffinity_np", rc);
  CPU_CLR(workload_cpu, &set);
  if (CPU_COUNT(&set) == 0) return;  // a one-CPU machine: nowhere else to go
  if (int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set); rc != 0)
    die("pthread_setaffinity_np", rc);
}

// Busy work as a fixed number of loop iterations, calibrated once against CLOCK_MONOTONIC: the
// work keeps its length when the thread is preempted in the middle of it (a spin to a wall-clock
// deadline would shrink instead, hiding exactly the delays the workloads are built to show).
class Work {
 public:
  // The fastest of many short batches: a batch that was preempted only looks slower.
  void calibrate() {
    constexpr std::uint64_t batch = 20000;
    double best = 1e300;
    for (int i = 0; i < 50; ++i) {
      const ns_t t0 = now_ns();
      spin_iterations(batch);
      const ns_t dt = now_ns() - t0;
      best = std::min(best, static_cast<double>(dt) / static_cast<double>(batch));
    }
    ns_per_iter_ = best > 0 ? best : 1.0;
  }
  void run(ns_t ns) const {
    spin_iterations(static_cast<std::uint64_t>(static_cast<double>(ns) / ns_per_iter_));
  }
  double ns_per_iteration() const { return ns_per_iter_; }

 private:
  static void spin_iterations(std::uint64_t n) {
    std::uint64_t x = 1;
    for (std::uint64_t i = 0; i < n; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      asm volatile("" : "+r"(x));  // keep the loop: its result is otherwise unused
    }
  }
  double ns_per_iter_ = 1.0;
};

// A busy loop that ends at a wall-clock time (the RT hog of the throttling case).
inline void spin_until(ns_t t) {
  while (now_ns() < t) {
  }
}

// How late a thread ran after the moment it should have woken.
struct Lateness {
  std::uint64_t count = 0;
  ns_t max = 0;
  double sum = 0;
  std::uint64_t overruns = 0;  // periods skipped because the previous one ran past them

  void add(ns_t late) {
    ++count;
    max = std::max(max, late);
    sum += static_cast<double>(late);
  }
  std::string summary(const char* thread) const {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s: n=%llu worst=%.1fus mean=%.1fus", thread,
                  static_cast<unsigned long long>(count), static_cast<double>(max) / 1e3,
                  count ? sum / static_cast<double>(count) / 1e3 : 0.0);
    std::string s = buf;
    if (overruns) s += " overruns=" + std::to_string(overruns);
    return s;
  }
};

// A periodic activation: sleep to the next absolute deadline, record lateness, skip the periods a
// long overrun has already passed (a real control loop would not run them back to back).
class Period {
 public:
  Period(ns_t start, ns_t period) : next_(start), period_(period) {}
  // Returns false once `end` is reached.
  bool wait(ns_t end, Lateness& late) {
    if (next_ >= end) return false;
    sleep_until(next_);
    due_ = next_;
    late.add(now_ns() - due_);
    next_ += period_;
    return true;
  }
  // The deadline of the current activation.
  ns_t due() const { return due_; }
  void skip_missed(Lateness& late) {
    const ns_t t = now_ns();
    while (next_ <= t) {
      next_ += period_;
      ++late.overruns;
    }
  }

 private:
  ns_t next_;
  ns_t period_;
  ns_t due_ = 0;
};

struct Options {
  int cpu = 1;
  double seconds = 2.0;
  bool pi = false;
  bool filler = false;
};

inline Options parse_options(int argc, char** argv, double default_seconds, bool allow_pi = false) {
  Options o;
  o.seconds = default_seconds;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--cpu" && i + 1 < argc) {
      o.cpu = std::atoi(argv[++i]);
    } else if (a == "--seconds" && i + 1 < argc) {
      o.seconds = std::atof(argv[++i]);
    } else if (allow_pi && a == "--pi") {
      o.pi = true;
    } else if (a == "--filler") {
      o.filler = true;
    } else {
      std::fprintf(stderr, "usage: %s [--cpu N] [--seconds S] [--filler]%s\n", argv[0],
                   allow_pi ? " [--pi]" : "");
      std::exit(2);
    }
  }
  // Bounded on purpose: these programs run FIFO busy loops on a shared machine.
  if (o.seconds <= 0 || o.seconds > 10 || o.cpu < 0 || o.cpu >= CPU_SETSIZE) {
    std::fprintf(stderr, "%s: --seconds must be in (0, 10], --cpu a valid CPU\n", argv[0]);
    std::exit(2);
  }
  return o;
}

// --filler: a nice-19 SCHED_OTHER spinner ("cfs-filler") on the workload CPU for the whole run.
// It keeps the CPU out of idle, because some kernels (6.18 here) omit most sched_switch events out
// of the idle task and a wakeup from idle then has no recorded switch-in. It takes only what the
// RT threads leave, so it changes none of the RT timings.
class Filler {
 public:
  Filler(const Options& o, ns_t end) {
    if (!o.filler) return;
    thread_ = std::thread([cpu = o.cpu, end] {
      pthread_setname_np(pthread_self(), "cfs-filler");
      setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19);
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpu, &set);
      pthread_setaffinity_np(pthread_self(), sizeof set, &set);
      spin_until(end);
    });
  }
  ~Filler() {
    if (thread_.joinable()) thread_.join();
  }
  Filler(const Filler&) = delete;
  Filler& operator=(const Filler&) = delete;

 private:
  std::thread thread_;
};

// Shared start: every thread's phase counts from here, after all of them had time to set up.
inline ns_t start_time() {
  return now_ns() + 50 * ms;
}
inline ns_t duration_ns(const Options& o) {
  return static_cast<ns_t>(o.seconds * 1e9);
}

// What every workload's main starts with: its options, the main thread off the workload CPU,
// the work calibrated, the shared start and end times, and the filler (when asked for) running
// until the end and joined when the Run goes.
struct Run {
  explicit Run(const Options& o)
      : opt(o), work(calibrated(o)), t0(start_time()), end(t0 + duration_ns(o)), filler(o, end) {}

  const Options opt;
  const Work work;
  const ns_t t0;
  const ns_t end;

 private:
  static Work calibrated(const Options& o) {
    prepare_main(o.cpu);
    Work w;
    w.calibrate();
    return w;
  }
  Filler filler;
};

// The loop most threads of the workloads run: become `name` at FIFO `prio` on the workload CPU,
// then from `phase` after the start, once per `period`, work for `busy` until the end; periods
// missed while busy are skipped and counted in `late`.
inline void periodic(const Run& run, const char* name, int prio, ns_t phase, ns_t period, ns_t busy,
                     Lateness& late) {
  become_rt(name, prio, run.opt.cpu);
  Period p(run.t0 + phase, period);
  while (p.wait(run.end, late)) {
    run.work.run(busy);
    p.skip_missed(late);
  }
}

}  // namespace workload
