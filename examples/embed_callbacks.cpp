// Embedding rtlat: feed events one at a time, react to samples and SLO violations as they
// happen, and print the results at the end. No trace file: the events are made up here, as a
// tracer plugin or a test harness would produce them.
//
//   ./examples/embed_callbacks
#include <cstdint>
#include <iostream>

#include "rtlat/report/text.hpp"
#include "rtlat/rtlat.hpp"

int main() {
  rtlat::Config config;
  config.slo[static_cast<std::size_t>(rtlat::Metric::latency)] = 80'000;  // 80us for every task

  rtlat::Analyzer analyzer(config);
  analyzer.set_source("synthetic");
  analyzer.set_cpus(1);

  std::uint64_t samples = 0;
  analyzer.on_sample([&](const rtlat::Sample&) { ++samples; });
  analyzer.on_violation([](const rtlat::Sample& s) {
    std::cout << "SLO violated: " << s.comm.view() << " (" << s.pid << ") "
              << rtlat::metric_name(s.metric) << " " << rtlat::format_duration(s.value_ns) << " > "
              << rtlat::format_duration(*s.slo_ns) << " at " << s.end_ns << " ns\n";
  });

  // A 1 ms periodic task, pid 100 on CPU 0: it sleeps, is woken by the timer while the CPU idles,
  // runs 200us and sleeps again. Every fourth period the wakeup waits 100us instead of 20us.
  constexpr rtlat::Pid pid = 100;
  constexpr std::uint16_t cpu = 0;
  rtlat::Timestamp t = 1'000'000'000;
  analyzer.feed(rtlat::Event::make_switch(t, cpu, pid, pid, "control", 19,
                                          rtlat::PrevState::sleeping, 0x1, 0, "swapper/0", 120));
  for (int period = 1; period <= 12; ++period) {
    const rtlat::Timestamp wake = t + 1'000'000;
    const rtlat::Timestamp delay = period % 4 == 0 ? 100'000 : 20'000;
    analyzer.feed(rtlat::Event::make_wakeup(rtlat::EventKind::sched_wakeup, wake, cpu, 0, pid,
                                            "control", 19, cpu));
    analyzer.feed(rtlat::Event::make_switch(wake + delay, cpu, 0, 0, "swapper/0", 120,
                                            rtlat::PrevState::runnable, 0, pid, "control", 19));
    analyzer.feed(rtlat::Event::make_switch(wake + delay + 200'000, cpu, pid, pid, "control", 19,
                                            rtlat::PrevState::sleeping, 0x1, 0, "swapper/0", 120));
    t = wake;
  }

  std::cout << samples << " samples completed\n\n";
  rtlat::write_text(std::cout, analyzer.results());
}
