// The command line on CLI11: option groups that every subcommand shares (selection, SLO and
// measurement, output), each writing into plain option structs, with rtlat's own messages.
//
// Each option is registered once per spelling (-p and --pid are two CLI11 options feeding one
// handler) and its callback runs as the option is parsed, so a message names the spelling the
// user typed and errors come in command-line order. Values are checked by rtlat's parsers, not
// CLI11's converters, so messages stay the ones the tests and README show.
#pragma once

#include <CLI/CLI.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "report_writer.hpp"
#include "rtlat/comm_regex.hpp"
#include "rtlat/config.hpp"
#include "rtlat/duration.hpp"
#include "rtlat/results.hpp"
#include "rtlat/source/syscalls.hpp"
#include "usage_error.hpp"

namespace rtlat_cli {

struct SelectionOptions {
  rtlat::Selection selection;
  bool given = false;  // any selection option: the text report then lists tasks without samples
};

struct MeasureOptions {
  rtlat::Config config;  // slo, window, wakeup_event (selection comes from SelectionOptions)
  bool max_finished_given = false;  // `rtlat live` has its own default
};

// --metrics-comms: comms with series of their own in the metrics exposition. A board's own
// tasks fit; a busy host's build or script comms beyond it share one aggregate, so the series a
// Prometheus stores stay bounded however long rtlat runs.
inline constexpr std::size_t default_metrics_comms = 64;

struct OutputOptions {
  Format format = Format::text;
  std::optional<std::size_t> metrics_comms = default_metrics_comms;  // empty: no bound
  std::optional<std::size_t> top;
  std::optional<std::string> output;
  std::optional<std::string> samples;  // every sample as CSV (samples_out.hpp)
  bool fail_on_violation = false;
  std::optional<std::string> html, perfetto;  // extra reports, written alongside the main one
  bool perfetto_all = false;                  // the whole trace, not only the worst windows
};

template <class Int>
Int parse_int(std::string_view opt, std::string_view s, Int min) {
  Int v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty() || v < min)
    throw UsageError{std::string(opt) + ": '" + std::string(s) + "' is not " +
                     (min > 0 ? "a positive integer" : "a non-negative integer")};
  return v;
}

inline std::vector<rtlat::Pid> parse_pid_list(std::string_view opt, std::string_view s) {
  std::vector<rtlat::Pid> out;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t comma = s.find(',', pos);
    out.push_back(parse_int<rtlat::Pid>(opt, s.substr(pos, comma - pos), 0));
    if (comma == std::string_view::npos) return out;
    pos = comma + 1;
  }
}

// "[PID:]METRIC=DURATION"
inline void parse_slo(std::string_view s, rtlat::Config& cfg) {
  const auto fail = [&](const std::string& why) {
    return UsageError{"--slo '" + std::string(s) + "': " + why};
  };
  const std::size_t eq = s.find('=');
  if (eq == std::string_view::npos) throw fail("expected [PID:]METRIC=DURATION");
  std::string_view lhs = s.substr(0, eq);
  const std::string_view dur = s.substr(eq + 1);
  std::optional<rtlat::Pid> pid;
  if (const std::size_t colon = lhs.find(':'); colon != std::string_view::npos) {
    const std::string_view p = lhs.substr(0, colon);
    rtlat::Pid v{};
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || v < 0)
      throw fail("'" + std::string(p) + "' is not a pid");
    pid = v;
    lhs = lhs.substr(colon + 1);
  }
  rtlat::Metric metric{};
  if (!rtlat::parse_metric(lhs, metric))
    throw fail("unknown metric '" + std::string(lhs) +
               "' (latency|response|relief|irq|timer|irq_latency)");
  const std::optional<std::int64_t> ns = rtlat::parse_duration(dur);
  if (!ns)
    throw fail("bad duration '" + std::string(dur) + "' (a number and a unit: 2000ns, 50us, " +
               "1.5ms, 2s)");
  const std::chrono::nanoseconds bound(*ns);
  if (pid)
    cfg.slo(*pid, metric) = bound;
  else
    cfg.slo(metric) = bound;
}

// Registers options on one CLI11 (sub)command and remembers which single-value options were
// given, so that a second one is a usage error rather than "the last one wins".
class OptionTable {
 public:
  using Handler = std::function<void(const std::string& spelling, const std::string& value)>;

  explicit OptionTable(CLI::App& app) : app_(app) {}

  // An option with a value, under each spelling ("-p", "--pid"); `canonical` names it in the
  // "given twice" message. `single`: it may be given once.
  void value(std::initializer_list<const char*> spellings, const std::string& canonical,
             bool single, Handler h) {
    for (const char* sp : spellings) {
      const std::string name = sp;
      app_.add_option(name,
                      [this, name, canonical, single, h](const CLI::results_t& r) {
                        once(canonical, single);
                        if (r.empty() || r.front().empty())
                          throw UsageError{name + " needs a value"};
                        h(name, r.front());
                        return true;
                      })
          ->expected(0, 1)
          ->allow_extra_args(false)
          ->trigger_on_parse();
    }
  }

  // A flag without a value.
  void flag(const std::string& name, std::function<void()> h) {
    app_.add_flag(name,
                  [this, name, h](std::int64_t) {
                    once(name, true);
                    h();
                  })
        ->disable_flag_override()
        ->trigger_on_parse();
  }

 private:
  void once(const std::string& canonical, bool single) {
    if (single && !given_.insert(canonical).second)
      throw UsageError{canonical + " given twice" +
                       (canonical == "--comm" ? " (join the patterns with '|')" : "")};
  }

  CLI::App& app_;
  std::set<std::string> given_;
};

// -p/--pid, --tgid, --comm.
inline void add_selection(OptionTable& t, SelectionOptions& o) {
  t.value({"-p", "--pid"}, "--pid", false, [&o](const std::string& sp, const std::string& v) {
    for (rtlat::Pid p : parse_pid_list(sp, v)) o.selection.pids.push_back(p);
    o.given = true;
  });
  t.value({"--tgid"}, "--tgid", false, [&o](const std::string& sp, const std::string& v) {
    for (rtlat::Pid p : parse_pid_list(sp, v)) o.selection.tgids.push_back(p);
    o.given = true;
  });
  t.value({"--comm"}, "--comm", true, [&o](const std::string&, const std::string& re) {
    try {
      o.selection.comm = rtlat::comm_regex(re);
    } catch (const std::invalid_argument& e) {
      throw UsageError{"--comm '" + re + "': bad regular expression: " + e.what()};
    }
    o.given = true;
  });
}

// --slo, --window, --wakeup-event.
inline void add_measurement(OptionTable& t, MeasureOptions& o) {
  t.value({"--slo"}, "--slo", false,
          [&o](const std::string&, const std::string& v) { parse_slo(v, o.config); });
  t.value({"--window"}, "--window", true, [&o](const std::string& sp, const std::string& v) {
    o.config.window = parse_int<std::size_t>(sp, v, 1);
  });
  t.value({"--wakeup-event"}, "--wakeup-event", true,
          [&o](const std::string&, const std::string& v) {
            if (v == "wakeup")
              o.config.wakeup_event = rtlat::WakeupEvent::wakeup;
            else if (v == "waking")
              o.config.wakeup_event = rtlat::WakeupEvent::waking;
            else
              throw UsageError{"--wakeup-event: '" + v + "' (wakeup|waking)"};
          });
  t.value({"--max-finished-tasks"}, "--max-finished-tasks", true,
          [&o](const std::string& sp, const std::string& v) {
            o.max_finished_given = true;
            if (v == "none")
              o.config.max_finished_tasks.reset();
            else
              o.config.max_finished_tasks = parse_int<std::size_t>(sp, v, 0);
          });
}

// --explain, --rt-runtime, --rt-period: root-cause verdicts.
inline void add_explain(OptionTable& t, MeasureOptions& o) {
  t.value({"--explain"}, "--explain", true, [&o](const std::string&, const std::string& v) {
    if (v == "worst")
      o.config.explain = rtlat::Config::Explain::worst;
    else if (v == "all")
      o.config.explain = rtlat::Config::Explain::all;
    else if (v == "none")
      o.config.explain = rtlat::Config::Explain::none;
    else
      throw UsageError{"--explain: '" + v + "' (worst|all|none)"};
  });
  const auto us = [](const std::string& opt, const std::string& v) {
    const std::optional<std::int64_t> ns = rtlat::parse_duration(v);
    if (!ns || *ns < 1000)
      throw UsageError{opt + ": bad duration '" + v + "' (at least 1us: 950ms, 1s)"};
    return std::chrono::microseconds(*ns / 1000);
  };
  t.value({"--rt-runtime"}, "--rt-runtime", true,
          [&o, us](const std::string& sp, const std::string& v) {
            o.config.sched_rt_runtime = us(sp, v);
          });
  t.value({"--rt-period"}, "--rt-period", true,
          [&o, us](const std::string& sp, const std::string& v) {
            o.config.sched_rt_period = us(sp, v);
          });
}

// --metrics-comms N: 0 lifts the bound.
inline std::optional<std::size_t> parse_metrics_comms(std::string_view opt, std::string_view v) {
  const auto n = parse_int<std::size_t>(opt, v, 0);
  return n == 0 ? std::nullopt : std::optional<std::size_t>(n);
}

// --format, --top, -o/--output, --samples, --fail-on-violation, --metrics-comms; `jsonl`:
// --format jsonl too (live).
inline void add_output(OptionTable& t, OutputOptions& o, bool jsonl = false) {
  t.value({"--format"}, "--format", true, [&o, jsonl](const std::string&, const std::string& v) {
    if (v == "text")
      o.format = Format::text;
    else if (v == "json")
      o.format = Format::json;
    else if (v == "jsonl" && jsonl)
      o.format = Format::jsonl;
    else if (v == "csv")
      o.format = Format::csv;
    else if (v == "openmetrics")
      o.format = Format::openmetrics;
    else
      throw UsageError{"--format: '" + v + "' (text|json|" + (jsonl ? "jsonl|" : "") +
                       "csv|openmetrics)"};
  });
  t.value({"--top"}, "--top", true, [&o](const std::string& sp, const std::string& v) {
    o.top = parse_int<std::size_t>(sp, v, 1);
  });
  t.value({"-o", "--output"}, "--output", true,
          [&o](const std::string&, const std::string& v) { o.output = v; });
  t.value({"--samples"}, "--samples", true,
          [&o](const std::string&, const std::string& v) { o.samples = v; });
  t.flag("--fail-on-violation", [&o] { o.fail_on_violation = true; });
  t.value({"--metrics-comms"}, "--metrics-comms", true,
          [&o](const std::string& sp, const std::string& v) {
            o.metrics_comms = parse_metrics_comms(sp, v);
          });
}

// --html, --perfetto, --perfetto-all: the reports `rtlat report` writes beside the main one.
inline void add_extra_reports(OptionTable& t, OutputOptions& o) {
  t.value({"--html"}, "--html", true,
          [&o](const std::string&, const std::string& v) { o.html = v; });
  t.value({"--perfetto"}, "--perfetto", true,
          [&o](const std::string&, const std::string& v) { o.perfetto = v; });
  t.flag("--perfetto-all", [&o] { o.perfetto_all = true; });
}

// --arch: the syscall numbering of text input.
inline void add_arch(OptionTable& t, std::string& arch) {
  t.value({"--arch"}, "--arch", true, [&arch](const std::string&, const std::string& v) {
    rtlat::TimerSleepSyscalls probe;
    if (!rtlat::timer_sleep_syscalls_for(v, probe))
      throw UsageError{"--arch: unknown architecture '" + v + "'"};
    arch = v;
  });
}

// CLI11's own parse errors in rtlat's words. `extras` are the arguments no option took.
inline UsageError usage_error_of(const CLI::ParseError& e, const std::string& command) {
  const std::string what = e.what();
  const std::string flag_override = " was given a disallowed flag override";
  if (what.size() > flag_override.size() &&
      what.compare(what.size() - flag_override.size(), flag_override.size(), flag_override) == 0)
    return UsageError{"--" + what.substr(0, what.size() - flag_override.size()) +
                      " takes no value"};
  return UsageError{what + " (see 'rtlat " + command + " --help')"};
}

}  // namespace rtlat_cli
