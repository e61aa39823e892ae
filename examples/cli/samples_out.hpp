// --samples FILE: every sample of the selected tasks as a CSV row (<rtlat/report/samples_csv.hpp>),
// written as the engine completes it, so a long run never holds them in memory. The rows go to
// a ReplacingFile: the file appears once the run ends complete, and a failed write is reported
// then, naming the file, like any other output.
#pragma once

#include <string>
#include <utility>

#include "output.hpp"
#include "rtlat/config.hpp"
#include "rtlat/report/samples_csv.hpp"
#include "rtlat/results.hpp"

namespace rtlat_cli {

class SamplesOut {
 public:
  explicit SamplesOut(const std::string& path) : file_(path) {
    stream_ << rtlat::samples_csv_header << '\n';
  }
  SamplesOut(const SamplesOut&) = delete;
  SamplesOut& operator=(const SamplesOut&) = delete;

  // Writes each sample of `cfg`'s engine before whatever on_sample did already; the engine must
  // not outlive this.
  void attach(rtlat::Config& cfg) {
    cfg.on_sample = [this, chained = std::move(cfg.on_sample)](const rtlat::Sample& s) {
      rtlat::write_csv_sample(stream_, s);
      if (chained) chained(s);
    };
  }

  // Throws OutputError ("FILE: write failed: ...") when any write failed.
  void commit() {
    stream_.finish();
    file_.commit();
  }

 private:
  ReplacingFile file_;
  ReplacingStream stream_{file_};
};

}  // namespace rtlat_cli
