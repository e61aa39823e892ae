// The JSON report of a trace (trace.dat, text, or '-' for stdin), as `rtlat report --format json`
// writes it.
#include <rtlat/analyze.hpp>
#include <rtlat/report/json.hpp>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: json_report TRACE\n";
    return 2;
  }
  try {
    rtlat::FileSource src = rtlat::open(argv[1]);
    rtlat::write_json(std::cout, rtlat::analyze(src, rtlat::Config{}));
  } catch (const rtlat::InputError& e) {
    std::cerr << e.what() << '\n';
    return 2;
  }
}
