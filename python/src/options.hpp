// analyze() and live() take the CLI's options: rtlat/_options.py turns keyword arguments into
// "--name=value" arguments and they are parsed here by the very option groups `rtlat report`
// registers (examples/cli/options.hpp), so an option the CLI gains (a new metric's --slo, a
// measurement switch) is an analyze() keyword at once, with the same checks and messages.
#pragma once

#include <CLI/CLI.hpp>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cli/options.hpp"
#include "rtlat/config.hpp"

namespace rtlat_py {

// A keyword that no option group knows; the module turns it into TypeError.
struct UnknownOption : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ParsedOptions {
  rtlat::Config config;
  bool max_finished_given = false;  // `live` has its own default
  std::optional<std::string> buffer;
  std::string arch;
};

// Effects: parses `args` ("--slo=latency=500us", ...) with the CLI's selection, measurement and
// explain groups, plus --buffer and --arch for files (`file_options`). Throws:
// rtlat_cli::UsageError for a bad value, UnknownOption for an option the groups do not have.
inline ParsedOptions parse_options(std::vector<std::string> args, bool file_options) {
  CLI::App app("rtlat");
  app.set_help_flag();
  app.allow_extras();
  rtlat_cli::OptionTable table(app);
  rtlat_cli::SelectionOptions sel;
  rtlat_cli::MeasureOptions measure;
  ParsedOptions out;
  rtlat_cli::add_selection(table, sel);
  rtlat_cli::add_measurement(table, measure);
  rtlat_cli::add_explain(table, measure);
  if (file_options) {
    table.value({"--buffer"}, "--buffer", true,
                [&out](const std::string&, const std::string& v) { out.buffer = v; });
    rtlat_cli::add_arch(table, out.arch);
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    throw rtlat_cli::usage_error_of(e, "report");
  }
  for (const std::string& x : app.remaining()) {
    // "--max-finished-tasks=3" came from the keyword max_finished_tasks.
    std::string name = x.substr(0, x.find('='));
    if (name.rfind("--", 0) == 0) name.erase(0, 2);
    std::replace(name.begin(), name.end(), '-', '_');
    throw UnknownOption("unexpected keyword argument '" + name + "' (not an option of rtlat " +
                        (file_options ? "report" : "live") + ")");
  }
  out.config = std::move(measure.config);
  out.config.selection = std::move(sel.selection);
  out.max_finished_given = measure.max_finished_given;
  return out;
}

}  // namespace rtlat_py
