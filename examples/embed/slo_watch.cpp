// A trace analysed with a callback per SLO violation, as a CI gate: exit 3 when any task of the
// selection went over its bound, 2 for bad input.
//
//   slo_watch TRACE COMM BOUND_US     e.g. slo_watch data/misprio.dat ctl-loop 500
#include <rtlat/analyze.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: slo_watch TRACE COMM BOUND_US\n";
    return 2;
  }
  const std::string comm = argv[2];
  rtlat::Config cfg;
  cfg.selection.comm = [comm](std::string_view c) { return c == comm; };
  cfg.slo(rtlat::Metric::latency) = std::chrono::microseconds(std::atoi(argv[3]));
  int violations = 0;
  cfg.on_violation = [&violations](const rtlat::Sample& s) {
    ++violations;
    std::cout << s.end_ns << " ns: " << s.comm.view() << '/' << s.pid << " latency "
              << rtlat::format_duration(s.value_ns) << '\n';
  };
  try {
    rtlat::FileSource src = rtlat::open(argv[1]);
    rtlat::analyze(src, cfg);
  } catch (const rtlat::InputError& e) {
    std::cerr << e.what() << '\n';
    return 2;
  }
  std::cout << violations << " violations\n";
  return violations != 0 ? 3 : 0;
}
