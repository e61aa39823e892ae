// `rtlat live`'s command line: the options `report` shares (options.hpp) plus the run's own.
#pragma once

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "options.hpp"
#include "rtlat/config.hpp"
#include "rtlat/duration.hpp"
#include "rtlat/source/live.hpp"

namespace rtlat_cli {

// `rtlat live`'s default --max-finished-tasks.
inline constexpr std::size_t live_max_finished_tasks = 1024;

struct LiveCliOptions {
  rtlat::Config config;
  bool explicit_selection = false;
  OutputOptions out;  // format (jsonl too), top, output, fail_on_violation
  enum class OnViolation { ignore, print, exit } on_violation = OnViolation::ignore;
  rtlat::LiveOptions live;
  std::vector<std::string> command;
  std::optional<std::string> listen;  // --listen as given
  std::chrono::nanoseconds linger{0};
};

inline std::chrono::nanoseconds parse_live_duration(const std::string& opt, const std::string& v) {
  const std::optional<std::int64_t> ns = rtlat::parse_duration(v);
  if (!ns || *ns <= 0)
    throw UsageError{opt + ": bad duration '" + v + "' (a number and a unit: 500ms, 10s)"};
  return std::chrono::nanoseconds(*ns);
}

// --duration, --interval, --buffer-kb, --on-violation, --save, --listen, --linger.
inline void add_live(OptionTable& table, LiveCliOptions& o) {
  table.value({"--duration"}, "--duration", true,
              [&o](const std::string& sp, const std::string& v) {
                o.live.duration = parse_live_duration(sp, v);
              });
  table.value({"--interval"}, "--interval", true,
              [&o](const std::string& sp, const std::string& v) {
                o.live.interval = parse_live_duration(sp, v);
              });
  table.value({"--buffer-kb"}, "--buffer-kb", true,
              [&o](const std::string& sp, const std::string& v) {
                o.live.buffer_kb = parse_int<std::size_t>(sp, v, 1);
              });
  table.value({"--on-violation"}, "--on-violation", true,
              [&o](const std::string&, const std::string& v) {
                if (v == "ignore")
                  o.on_violation = LiveCliOptions::OnViolation::ignore;
                else if (v == "print")
                  o.on_violation = LiveCliOptions::OnViolation::print;
                else if (v == "exit")
                  o.on_violation = LiveCliOptions::OnViolation::exit;
                else
                  throw UsageError{"--on-violation: '" + v + "' (ignore|print|exit)"};
              });
  table.value({"--save"}, "--save", true,
              [&o](const std::string&, const std::string& v) { o.live.save = v; });
  table.value({"--listen"}, "--listen", true,
              [&o](const std::string&, const std::string& v) { o.listen = v; });
  table.value({"--linger"}, "--linger", true, [&o](const std::string& sp, const std::string& v) {
    o.linger = parse_live_duration(sp, v);
  });
}

// Parses `rtlat live` arguments; false when --help was asked for.
inline bool parse_live_args(const std::vector<std::string>& all, LiveCliOptions& o) {
  const auto dash = std::find(all.begin(), all.end(), "--");
  std::vector<std::string> args(all.begin(), dash);
  if (dash != all.end()) o.command.assign(dash + 1, all.end());
  CLI::App app("rtlat live");
  app.set_help_flag();
  app.allow_extras();
  struct Help {};
  app.add_flag("-h,--help", [](std::int64_t) { throw Help{}; })->trigger_on_parse();
  OptionTable table(app);
  SelectionOptions sel;
  MeasureOptions measure;
  add_selection(table, sel);
  add_measurement(table, measure);
  add_live(table, o);
  add_output(table, o.out, true);
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  try {
    app.parse(args);
  } catch (const Help&) {
    return false;
  } catch (const CLI::ParseError& e) {
    throw usage_error_of(e, "live");
  }
  for (const std::string& x : app.remaining())
    throw UsageError{"unknown option or argument '" + x + "' (see 'rtlat live --help'; a " +
                     "command goes after '--')"};
  if (dash != all.end() && o.command.empty()) throw UsageError{"no COMMAND after '--'"};
  if (o.linger.count() != 0 && !o.listen) throw UsageError{"--linger needs --listen"};
  o.config = std::move(measure.config);
  // A live run may last for days while tasks come and go: without a bound its memory would grow
  // with every task ever seen. 1024 keeps the recent exits listed on their own and costs at most
  // a few MB of entries.
  if (!measure.max_finished_given) o.config.max_finished_tasks = live_max_finished_tasks;
  o.config.selection = std::move(sel.selection);
  o.explicit_selection = sel.given;
  return true;
}

}  // namespace rtlat_cli
