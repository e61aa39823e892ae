// The final report in one of the formats `report` and `live` share.
#pragma once

#include <cstddef>
#include <optional>
#include <ostream>

#include "rtlat/report/csv.hpp"
#include "rtlat/report/json.hpp"
#include "rtlat/report/openmetrics.hpp"
#include "rtlat/report/text.hpp"
#include "rtlat/results.hpp"

namespace rtlat_cli {

// jsonl: `rtlat live` only, whose last line is the final report.
enum class Format { text, json, jsonl, csv, openmetrics };

// Tasks without samples are listed in text only when the user selected tasks.
inline void write_report(std::ostream& os, const rtlat::Results& r, Format format,
                         bool explicit_selection, std::optional<std::size_t> metrics_comms) {
  switch (format) {
    case Format::text: {
      rtlat::TextReportOptions topts;
      topts.show_tasks_without_samples = explicit_selection;
      rtlat::write_text(os, r, topts);
      break;
    }
    case Format::json:
      rtlat::write_json(os, r);
      break;
    case Format::jsonl:
      rtlat::write_json_line(os, r, "\"final\":true");
      break;
    case Format::csv:
      rtlat::write_csv(os, r);
      break;
    case Format::openmetrics: {
      // A file is read by node_exporter's textfile collector or promtool: the 0.0.4 format.
      rtlat::OpenMetricsOptions mopts;
      mopts.format = rtlat::ExpositionFormat::prometheus;
      mopts.max_comms = metrics_comms;
      rtlat::write_openmetrics(os, r, mopts);
      break;
    }
  }
}

}  // namespace rtlat_cli
