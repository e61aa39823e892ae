// Hand-made events fed to the engine: pid 100 sleeps on CPU 0, is woken, waits 70us behind pid
// 200, runs 250us and sleeps again. Core only (rtlat::rtlat), C++17.
#include <rtlat/rtlat.hpp>

#include <chrono>
#include <iostream>

int main() {
  using namespace std::chrono_literals;
  using rtlat::Event;
  rtlat::Config cfg;
  cfg.slo(rtlat::Metric::latency) = 50us;        // every task
  cfg.slo(100, rtlat::Metric::response) = 300us;  // pid 100 only
  cfg.on_violation = [](const rtlat::Sample& s) {
    std::cout << "VIOLATION " << s.pid << ' ' << rtlat::metric_name(s.metric) << ' '
              << rtlat::format_duration(s.value_ns) << " > " << rtlat::format_duration(*s.slo_ns)
              << '\n';
  };
  rtlat::Analyzer engine(cfg);
  const rtlat::Timestamp t = 1'000'000'000;
  const auto S = rtlat::PrevState::sleeping;
  engine.feed(Event::make_switch(t, 0, 100, 100, "ctl", 19, S, 0x1, 200, "hog", 9));
  engine.feed(Event::make_wakeup(rtlat::EventKind::sched_wakeup, t + 1'000'000, 0, 200, 100,
                                 "ctl", 19, 0));
  engine.feed(Event::make_switch(t + 1'070'000, 0, 200, 200, "hog", 9, S, 0x1, 100, "ctl", 19));
  engine.feed(Event::make_switch(t + 1'320'000, 0, 100, 100, "ctl", 19, S, 0x1, 0, "swapper/0",
                                 120));
  for (const rtlat::TaskResult& task : engine.results().tasks) {
    const rtlat::MetricResult& lat = task[rtlat::Metric::latency];
    std::cout << task.comm << ": latency n=" << lat.count << " violations=" << lat.violations
              << '\n';
  }
}
