// rtlat: per-task real-time latency metrics (latency, response, relief, irq) from ftrace traces.
//
//   rtlat report [options] TRACE
//
// Exit status: 0 success, 2 usage or input error (one line on stderr), 3 an SLO bound was
// violated and --fail-on-violation was given, 1 anything unexpected.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

#include "cli/output.hpp"
#include "rtlat/analyzer.hpp"
#include "rtlat/comm_regex.hpp"
#include "rtlat/config.hpp"
#include "rtlat/duration.hpp"
#include "rtlat/error.hpp"
#include "rtlat/report/csv.hpp"
#include "rtlat/report/json.hpp"
#include "rtlat/report/text.hpp"
#include "rtlat/source/detect.hpp"
#include "rtlat/source/pipelined.hpp"
#include "rtlat/source/syscalls.hpp"
#include "rtlat/source/text.hpp"
#include "rtlat/source/tracedat.hpp"

#ifndef RTLAT_VERSION
#define RTLAT_VERSION "0.1.0"
#endif

namespace {

constexpr std::string_view main_help =
    R"(rtlat - real-time latency metrics per task from Linux ftrace traces

usage: rtlat report [options] TRACE
       rtlat --help | --version

commands:
  report   measure latency, response, relief and irq per task and print a report

Run 'rtlat report --help' for the options.
)";

constexpr std::string_view report_help = R"(usage: rtlat report [options] TRACE

TRACE: a trace.dat, a text trace (trace-cmd report, tracefs trace), or '-' for stdin

selection (default: every task; several criteria select the union):
  -p, --pid PID[,PID...]       tasks with these pids
      --tgid TGID[,TGID...]    tasks of these thread groups (when the trace knows tgids)
      --comm REGEX             tasks whose comm matches REGEX (RE2 syntax, searched)

measurement:
      --slo [PID:]METRIC=DURATION
                               SLO bound, repeatable; METRIC: latency|response|relief|irq;
                               DURATION: 2000ns, 50us, 1.5ms, 2s; with PID: that task only
      --window N               at most N events per worst-case window (default 64)
      --wakeup-event wakeup|waking
                               the event that starts latency and response (default wakeup)
      --buffer NAME            trace.dat: read the instance buffer NAME instead of the top one
      --arch ARCH              text input: syscall numbering of ARCH (default: this machine's)

output:
      --format text|json|csv   report format (default text)
      --top N                  only the N tasks with the highest worst latency
  -o, --output FILE            write the report to FILE instead of stdout ('-': stdout)
      --fail-on-violation      exit 3 when any SLO bound was violated

exit status: 0 ok, 2 usage or input error, 3 SLO violated (with --fail-on-violation)
)";

// Messages are one line even when a file name or reason holds a line break.
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

// A usage error: exit 2 with one line on stderr.
struct UsageError {
  std::string message;
};

enum class Format { text, json, csv };

struct Options {
  std::optional<std::string> trace;
  rtlat::Config config;
  bool explicit_selection = false;
  std::optional<std::size_t> top;
  Format format = Format::text;
  std::optional<std::string> output;
  bool fail_on_violation = false;
  std::optional<std::string> buffer;
  std::string arch;
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

std::vector<rtlat::Pid> parse_pid_list(std::string_view opt, std::string_view s) {
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
void parse_slo(std::string_view s, rtlat::Config& cfg) {
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
    throw fail("unknown metric '" + std::string(lhs) + "' (latency|response|relief|irq)");
  const std::optional<std::int64_t> ns = rtlat::parse_duration(dur);
  if (!ns)
    throw fail("bad duration '" + std::string(dur) + "' (a number and a unit: 2000ns, 50us, " +
               "1.5ms, 2s)");
  if (pid)
    cfg.slo_overrides.push_back({*pid, metric, *ns});
  else
    cfg.slo[static_cast<std::size_t>(metric)] = *ns;
}

Options parse_report_args(const std::vector<std::string_view>& args, bool& help) {
  Options o;
  // Options that take one value: given twice is a mistake, not "the last one wins".
  static const std::set<std::string> single = {
      "--comm",   "--window", "--top",    "--wakeup-event",
      "--buffer", "--format", "--output", "--fail-on-violation",
      "--arch"};
  std::set<std::string> given;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--") {
      for (++i; i < args.size(); ++i) {
        if (o.trace) throw UsageError{"more than one TRACE given ('" + std::string(args[i]) + "')"};
        o.trace = std::string(args[i]);
      }
      break;
    }
    if (a.size() < 2 || a[0] != '-') {  // TRACE, or "-" for stdin
      if (o.trace) throw UsageError{"more than one TRACE given ('" + std::string(a) + "')"};
      o.trace = std::string(a);
      continue;
    }
    if (a == "-h" || a == "--help") {
      help = true;
      return o;
    }
    // --name=value, --name value, -p value, -pvalue
    std::string name;
    std::optional<std::string_view> inline_value;
    if (a.substr(0, 2) == "--") {
      const std::size_t eq = a.find('=');
      name = std::string(a.substr(0, eq));
      if (eq != std::string_view::npos) inline_value = a.substr(eq + 1);
    } else {
      name = std::string(a.substr(0, 2));
      if (a.size() > 2) inline_value = a.substr(2);
    }
    const auto value = [&]() -> std::string_view {
      if (inline_value) return *inline_value;
      if (i + 1 >= args.size()) throw UsageError{name + " needs a value"};
      return args[++i];
    };
    const auto flag = [&] {
      if (inline_value) throw UsageError{name + " takes no value"};
    };
    if (const std::string canon = name == "-o" ? "--output" : name;
        single.count(canon) != 0 && !given.insert(canon).second) {
      throw UsageError{canon + " given twice" +
                       (canon == "--comm" ? " (join the patterns with '|')" : "")};
    }

    if (name == "-p" || name == "--pid") {
      for (rtlat::Pid p : parse_pid_list(name, value())) o.config.selection.pids.push_back(p);
      o.explicit_selection = true;
    } else if (name == "--tgid") {
      for (rtlat::Pid p : parse_pid_list(name, value())) o.config.selection.tgids.push_back(p);
      o.explicit_selection = true;
    } else if (name == "--comm") {
      const std::string re(value());
      try {
        o.config.selection.comm = rtlat::comm_regex(re);
      } catch (const std::invalid_argument& e) {
        throw UsageError{"--comm '" + re + "': bad regular expression: " + e.what()};
      }
      o.explicit_selection = true;
    } else if (name == "--slo") {
      parse_slo(value(), o.config);
    } else if (name == "--window") {
      o.config.window = parse_int<std::size_t>(name, value(), 1);
    } else if (name == "--top") {
      o.top = parse_int<std::size_t>(name, value(), 1);
    } else if (name == "--wakeup-event") {
      const std::string_view v = value();
      if (v == "wakeup")
        o.config.wakeup_event = rtlat::WakeupEvent::wakeup;
      else if (v == "waking")
        o.config.wakeup_event = rtlat::WakeupEvent::waking;
      else
        throw UsageError{"--wakeup-event: '" + std::string(v) + "' (wakeup|waking)"};
    } else if (name == "--buffer") {
      o.buffer = std::string(value());
    } else if (name == "--format") {
      const std::string_view v = value();
      if (v == "text")
        o.format = Format::text;
      else if (v == "json")
        o.format = Format::json;
      else if (v == "csv")
        o.format = Format::csv;
      else
        throw UsageError{"--format: '" + std::string(v) + "' (text|json|csv)"};
    } else if (name == "-o" || name == "--output") {
      o.output = std::string(value());
      if (o.output->empty()) throw UsageError{name + " needs a file name"};
    } else if (name == "--fail-on-violation") {
      flag();
      o.fail_on_violation = true;
    } else if (name == "--arch") {
      o.arch = std::string(value());
      rtlat::TimerSleepSyscalls probe;
      if (!rtlat::timer_sleep_syscalls_for(o.arch, probe))
        throw UsageError{"--arch: unknown architecture '" + o.arch + "'"};
    } else {
      throw UsageError{"unknown option '" + std::string(a) + "' (see 'rtlat report --help')"};
    }
  }
  if (!o.trace) throw UsageError{"no TRACE given (see 'rtlat report --help')"};
  return o;
}

// Configures the engine for what the source knows, streams the source through it.
template <class Source>
rtlat::Results analyze(Source& src, const Options& o) {
  rtlat::Config cfg = o.config;
  cfg.syscall_events_recorded = src.info().syscall_events_recorded;
  cfg.irq_thread_events_recorded = src.info().irq_thread_events_recorded;
  rtlat::Analyzer analyzer(std::move(cfg));
  analyzer.set_source(*o.trace);
  try {
    analyzer.set_cpus(src.info().cpus);
    // Decoding and analysis take about half the time each: on two cores, overlap them. A
    // trace.dat does that itself (per-CPU decode workers, merged in place on this thread); text
    // is decoded whole on a producer thread.
    if constexpr (std::is_same_v<Source, rtlat::TraceDatSource>) {
      src.read(analyzer);
    } else if (std::thread::hardware_concurrency() > 1) {
      rtlat::read_pipelined(src, analyzer);
    } else {
      src.read(analyzer);
    }
    analyzer.set_cpus(src.info().cpus);  // text sources know the CPU count only at the end
  } catch (const rtlat::InputError& e) {
    // The engine does not know which file fed it.
    if (e.file().empty()) throw e.in_file(*o.trace);
    throw;
  }
  analyzer.add_skipped(src.info().skipped);
  // A report on nothing must not pass a CI gate: no event at all is an input error.
  if (src.info().events == 0) {
    throw rtlat::InputError(
        *o.trace, "",
        src.info().skipped == 0
            ? "no trace events in the input"
            : "no trace events recognized (" + std::to_string(src.info().skipped) +
                  " lines skipped): expected trace-cmd report or tracefs trace text, or a "
                  "trace.dat");
  }
  return analyzer.results();
}

rtlat::Results read_tracedat(const std::string& path, const std::string& name, const Options& o) {
  rtlat::TraceDatOptions opts;
  if (o.buffer) opts.buffer = *o.buffer;
  rtlat::TraceDatSource src(path, opts);
  for (const std::string& note : src.notes())
    std::cerr << "rtlat: " << one_line(name) << ": note: " << one_line(note) << '\n';
  return analyze(src, o);
}

// stdin redirected from a file (`rtlat report - < trace.dat`) can be probed without consuming
// it; a pipe cannot, and is read as text.
bool stdin_is_tracedat_file() {
  struct stat st {};
  return ::fstat(0, &st) == 0 && S_ISREG(st.st_mode) && rtlat::is_tracedat("/dev/stdin");
}

rtlat::Results run_source(const Options& o) {
  if (*o.trace == "-" && stdin_is_tracedat_file()) {
    try {
      return read_tracedat("/dev/stdin", "-", o);
    } catch (const rtlat::InputError& e) {
      throw e.in_file("-");
    }
  }
  if (*o.trace != "-" && rtlat::is_tracedat(*o.trace)) return read_tracedat(*o.trace, *o.trace, o);
  if (o.buffer)
    throw UsageError{"--buffer applies to trace.dat input only; '" + *o.trace +
                     "' is not a trace.dat"};
  rtlat::TextOptions opts;
  opts.arch = o.arch;
  rtlat::TextSource src(*o.trace, opts);
  return analyze(src, o);
}

// `-o` naming the trace (any spelling, a symlink, a hard link, or the file stdin comes from)
// would replace the recording with its report.
void refuse_overwriting_input(const Options& o) {
  const std::optional<rtlat_cli::FileId> out = rtlat_cli::file_id(*o.output);
  if (!out) return;
  const std::optional<rtlat_cli::FileId> in =
      *o.trace == "-" ? rtlat_cli::stdin_file_id() : rtlat_cli::file_id(*o.trace);
  if (in && *in == *out)
    throw UsageError{"--output '" + *o.output + "' is the input trace" +
                     (*o.trace == "-" ? " (stdin)" : " '" + *o.trace + "'") +
                     "; refusing to overwrite it"};
}

bool any_violation(const rtlat::Results& r) {
  for (const rtlat::TaskResult& t : r.tasks)
    for (const rtlat::MetricResult& m : t.metrics)
      if (m.violations != 0) return true;
  return false;
}

void write_report(std::ostream& os, const rtlat::Results& r, const Options& o) {
  switch (o.format) {
    case Format::text: {
      rtlat::TextReportOptions topts;
      topts.show_tasks_without_samples = o.explicit_selection;
      rtlat::write_text(os, r, topts);
      break;
    }
    case Format::json:
      rtlat::write_json(os, r);
      break;
    case Format::csv:
      rtlat::write_csv(os, r);
      break;
  }
}

int report(const std::vector<std::string_view>& args) {
  bool help = false;
  const Options o = parse_report_args(args, help);
  if (help) {
    std::cout << report_help;
    return 0;
  }
  const bool to_file = o.output && *o.output != "-";
  if (to_file) refuse_overwriting_input(o);
  rtlat::Results results = run_source(o);
  const bool violated = any_violation(results);  // over every selected task, before --top
  if (o.top) rtlat::keep_top_by_latency(results, *o.top);

  // Written to memory first: an output file is only replaced once the whole report exists.
  std::ostringstream out;
  write_report(out, results, o);
  if (to_file)
    rtlat_cli::write_file(*o.output, out.str());
  else
    rtlat_cli::write_stdout(out.str());
  return o.fail_on_violation && violated ? 3 : 0;
}

int run(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) throw UsageError{"no command (try 'rtlat --help')"};
  const std::string_view cmd = args.front();
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::cout << main_help;
    return 0;
  }
  if (cmd == "--version" || cmd == "-V") {
    std::cout << "rtlat " RTLAT_VERSION "\n";
    return 0;
  }
  if (cmd == "report") return report({args.begin() + 1, args.end()});
  throw UsageError{"unknown command '" + std::string(cmd) + "' (try 'rtlat --help')"};
}

}  // namespace

int main(int argc, char** argv) {
  // Over a file size limit, a write should fail with EFBIG and be reported, not kill the process
  // half-way through writing.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "rtlat: " << one_line(e.message) << '\n';
    return 2;
  } catch (const rtlat_cli::OutputError& e) {
    std::cerr << "rtlat: " << one_line(e.what()) << '\n';
    return 2;
  } catch (const rtlat::InputError& e) {
    std::cerr << "rtlat: " << one_line(e.what()) << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "rtlat: internal error: " << one_line(e.what()) << '\n';
    return 1;
  }
}
