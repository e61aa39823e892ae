// Embedding rtlat: stream a text trace (trace-cmd report output, tracefs `trace`) through the
// engine and print one CSV row per task and metric. Errors in the input arrive as
// rtlat::InputError naming the file and line.
//
//   ./examples/embed_text_trace trace.txt
#include <iostream>

#include "rtlat/report/csv.hpp"
#include "rtlat/rtlat.hpp"
#include "rtlat/source/text.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: embed_text_trace TRACE.txt ('-' for stdin)\n";
    return 2;
  }
  try {
    rtlat::TextSource source(argv[1]);
    rtlat::Analyzer analyzer;
    analyzer.set_source(argv[1]);
    source.read(analyzer);  // calls analyzer.feed() for every event
    analyzer.set_cpus(source.info().cpus);
    analyzer.add_skipped(source.info().skipped);
    rtlat::write_csv(std::cout, analyzer.results());
  } catch (const rtlat::InputError& e) {
    std::cerr << e.what() << '\n';
    return 2;
  }
}
