// A watchdog on the running system: exits 3 the first time a task whose comm is COMM misses its
// latency bound, 0 after SECONDS without a miss. Root and tracefs needed.
//
//   live_watchdog COMM BOUND_US SECONDS     e.g. live_watchdog ctl-loop 500 60
#include <rtlat/analyze.hpp>
#include <rtlat/source/live.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: live_watchdog COMM BOUND_US SECONDS\n";
    return 2;
  }
  const std::string comm = argv[1];
  rtlat::Config cfg;
  cfg.selection.comm = [comm](std::string_view c) { return c == comm; };
  cfg.slo(rtlat::Metric::latency) = std::chrono::microseconds(std::atoi(argv[2]));
  rtlat::LiveOptions opt;
  opt.duration = std::chrono::seconds(std::atoi(argv[3]));
  try {
    rtlat::LiveSource src(opt);  // its instance goes when src does, on every path out
    bool missed = false;
    cfg.on_violation = [&](const rtlat::Sample& s) {  // runs on this thread, inside read()
      std::cout << comm << '/' << s.pid << " missed: latency " << rtlat::format_duration(s.value_ns)
                << '\n';
      missed = true;
      src.stop();
    };
    rtlat::analyze(src, cfg);
    return missed ? 3 : 0;
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 2;
  }
}
