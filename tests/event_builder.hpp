// Terse event construction for engine tests: times in microseconds, as in hand-worked traces.
#pragma once

#include <rtlat/rtlat.hpp>

#include <string>
#include <vector>

namespace rtlat::test {

constexpr Timestamp us(double v) {
  return static_cast<Timestamp>(v * 1000.0 + 0.5);
}

struct Feed {
  Analyzer& a;
  std::vector<Sample> samples;

  explicit Feed(Analyzer& an) : a(an) {
    a.on_sample([this](const Sample& s) { samples.push_back(s); });
  }

  // prev (pid, comm) leaves cpu with `state`; next (pid, comm) comes in.
  void sw(double t, int cpu, Pid prev, const char* prev_comm, PrevState state, Pid next,
          const char* next_comm, std::uint32_t raw = 0) {
    a.feed(Event::make_switch(us(t), static_cast<std::uint16_t>(cpu), prev, prev, prev_comm, 120,
                              state, raw, next, next_comm, 120));
  }
  void wake(double t, int cpu, Pid waker, Pid pid, const char* comm, int target,
            EventKind kind = EventKind::sched_wakeup) {
    a.feed(Event::make_wakeup(kind, us(t), static_cast<std::uint16_t>(cpu), waker, pid, comm, 120,
                              target));
  }
  void run(double t, int cpu, Pid pid) {  // any event issued by pid on cpu
    a.feed(Event::make_other(us(t), static_cast<std::uint16_t>(cpu), pid, "sys_exit"));
  }
  void nanosleep(double t, int cpu, Pid pid) {
    a.feed(Event::make_timer_sleep(us(t), static_cast<std::uint16_t>(cpu), pid,
                                   TimerSleepSource::syscall, 230));
  }
  void hrtimer(double t, int cpu, Pid pid) {
    a.feed(Event::make_timer_sleep(us(t), static_cast<std::uint16_t>(cpu), pid,
                                   TimerSleepSource::hrtimer));
  }
  void lost(double t, int cpu, std::uint64_t n) {
    a.feed(Event::make_lost(us(t), static_cast<std::uint16_t>(cpu), n));
  }
};

inline const TaskResult* find_task(const Results& r, Pid pid, int nth = 0) {
  for (const TaskResult& t : r.tasks) {
    if (t.pid == pid && nth-- == 0) return &t;
  }
  return nullptr;
}

}  // namespace rtlat::test
