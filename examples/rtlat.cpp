// rtlat: per-task real-time latency metrics (latency, response, relief, irq) from ftrace traces.
//
//   rtlat report [options] TRACE
//
// Exit status: 0 success, 2 usage or input error (one line on stderr), 3 an SLO bound was
// violated and --fail-on-violation was given, 1 anything unexpected.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#ifdef RTLAT_HAVE_LIVE
#include "cli/live.hpp"
#endif
#include "cli/bench.hpp"
#include "cli/help.hpp"
#include "cli/options.hpp"
#include "cli/output.hpp"
#include "cli/progress.hpp"
#include "cli/report_writer.hpp"
#include "cli/samples_out.hpp"
#include "rtlat/analyze.hpp"
#include "rtlat/comm_regex.hpp"
#include "rtlat/config.hpp"
#include "rtlat/duration.hpp"
#include "rtlat/error.hpp"
#include "rtlat/gate.hpp"
#include "rtlat/report/csv.hpp"
#include "rtlat/report/html.hpp"
#include "rtlat/report/json.hpp"
#include "rtlat/report/perfetto.hpp"
#include "rtlat/report/text.hpp"
#include "rtlat/source/syscalls.hpp"
#include "rtlat/version.hpp"

namespace {

using rtlat_cli::add_arch;
using rtlat_cli::add_explain;
using rtlat_cli::add_extra_reports;
using rtlat_cli::add_measurement;
using rtlat_cli::add_output;
using rtlat_cli::add_selection;
using rtlat_cli::Format;
using rtlat_cli::MeasureOptions;
using rtlat_cli::OptionTable;
using rtlat_cli::OutputOptions;
using rtlat_cli::SelectionOptions;
using rtlat_cli::usage_error_of;
using rtlat_cli::UsageError;

constexpr std::string_view main_help =
    R"(rtlat - real-time latency metrics per task from Linux ftrace traces

usage: rtlat report [options] TRACE
       rtlat live [options] [-- COMMAND [ARGS...]]
       rtlat bench [options] TRACE
       rtlat --help | --version

commands:
  report   measure latency, response, relief and irq per task and print a report
  live     the same on the running system, through tracefs (root), while it runs
  bench    measure how fast rtlat decodes and analyses a trace on this machine

Run 'rtlat COMMAND --help' for the options.
)";

// Messages are one line even when a file name or reason holds a line break.
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

struct Options {
  std::optional<std::string> trace;
  rtlat::Config config;
  bool explicit_selection = false;
  std::optional<std::size_t> top;
  Format format = Format::text;
  std::optional<std::string> output;
  std::optional<std::string> samples;
  bool fail_on_violation = false;
  std::optional<std::string> html, perfetto;
  bool perfetto_all = false;
  std::optional<std::size_t> metrics_comms;
  std::optional<std::string> buffer;
  std::string arch;
};

// Asked for --help: print it and stop parsing, as soon as it is seen.
struct HelpRequested {};

// `args` split at the first "--": after it, everything is a TRACE (or, for live, the command).
struct DashSplit {
  std::vector<std::string> before, after;
  bool dashes = false;
};
DashSplit split_at_dashes(const std::vector<std::string>& args) {
  DashSplit d;
  const auto it = std::find(args.begin(), args.end(), "--");
  d.before.assign(args.begin(), it);
  if (it != args.end()) {
    d.dashes = true;
    d.after.assign(it + 1, args.end());
  }
  return d;
}

// Parses `rtlat report` arguments; false when --help was asked for.
bool parse_report_args(const std::vector<std::string>& all, Options& o) {
  DashSplit split = split_at_dashes(all);
  std::vector<std::string>& args = split.before;
  CLI::App app("rtlat report");
  app.set_help_flag();
  app.allow_extras();
  app.add_flag("-h,--help", [](std::int64_t) { throw HelpRequested{}; })->trigger_on_parse();
  OptionTable table(app);
  SelectionOptions sel;
  MeasureOptions measure;
  OutputOptions out;
  add_selection(table, sel);
  add_measurement(table, measure);
  add_explain(table, measure);
  table.value({"--buffer"}, "--buffer", true,
              [&o](const std::string&, const std::string& v) { o.buffer = v; });
  add_arch(table, o.arch);
  add_output(table, out);
  add_extra_reports(table, out);
  std::vector<std::string> traces;
  app.add_option("TRACE", traces)->expected(0, -1);
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  try {
    app.parse(args);
  } catch (const HelpRequested&) {
    return false;
  } catch (const CLI::ParseError& e) {
    throw usage_error_of(e, "report");
  }
  for (const std::string& x : app.remaining())
    throw UsageError{"unknown option '" + x + "' (see 'rtlat report --help')"};
  traces.insert(traces.end(), split.after.begin(), split.after.end());
  if (traces.empty()) throw UsageError{"no TRACE given (see 'rtlat report --help')"};
  if (traces.size() > 1) throw UsageError{"more than one TRACE given ('" + traces[1] + "')"};
  o.trace = traces.front();
  o.config = std::move(measure.config);
  o.config.selection = std::move(sel.selection);
  o.explicit_selection = sel.given;
  o.top = out.top;
  o.format = out.format;
  o.output = out.output;
  o.samples = out.samples;
  o.fail_on_violation = out.fail_on_violation;
  o.html = out.html;
  o.perfetto = out.perfetto;
  o.perfetto_all = out.perfetto_all;
  o.metrics_comms = out.metrics_comms;
  if (o.perfetto_all && !o.perfetto) throw UsageError{"--perfetto-all needs --perfetto FILE"};
  return true;
}

// Where the whole trace goes with --perfetto-all: streamed to its file while the engine runs.
struct PerfettoTap {
  rtlat_cli::ReplacingFile file;
  rtlat_cli::ReplacingStream stream{file};
  rtlat::PerfettoWriter writer{stream};
  explicit PerfettoTap(const std::string& path) : file(path) {}
  void feed(const rtlat::Event& e) { writer.feed(e); }
};

rtlat::Results run_source(const Options& o) {
  rtlat::OpenOptions opts;
  if (o.buffer) opts.buffer = *o.buffer;
  opts.arch = o.arch;
  rtlat::FileSource src = rtlat::open(*o.trace, opts);
  if (o.buffer && !src.is_tracedat())
    throw UsageError{"--buffer applies to trace.dat input only; '" + *o.trace +
                     "' is not a trace.dat"};
  // Notes known at open come first; reading adds those only the data shows (events skipped for
  // an unparsable format).
  std::size_t noted = 0;
  auto print_notes = [&] {
    for (; noted < src.notes().size(); ++noted)
      std::cerr << "rtlat: " << one_line(*o.trace) << ": note: " << one_line(src.notes()[noted])
                << '\n';
  };
  print_notes();
  std::optional<rtlat_cli::Progress> progress;
  struct stat st {};
  if (rtlat_cli::Progress::wanted(o.format == Format::json, o.output && *o.output == "-") &&
      *o.trace != "-" && ::stat(o.trace->c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    const char* after = std::getenv("RTLAT_PROGRESS_AFTER_MS");  // tests shorten the wait
    progress.emplace(static_cast<std::uint64_t>(st.st_size),
                     std::chrono::milliseconds(after != nullptr ? std::atoi(after) : 1000));
  }
  if (!o.perfetto_all && !progress && !o.samples) {
    rtlat::Results r = rtlat::analyze(src, o.config);
    print_notes();
    return r;
  }
  std::optional<PerfettoTap> perfetto;
  std::optional<rtlat_cli::SamplesOut> samples;
  rtlat::Config cfg = o.config;
  if (o.perfetto_all) {
    perfetto.emplace(*o.perfetto);
    cfg.on_sample = [&perfetto, chained = cfg.on_sample](const rtlat::Sample& s) {
      perfetto->writer.sample(s);
      if (chained) chained(s);
    };
  }
  if (o.samples) {
    samples.emplace(*o.samples);
    samples->attach(cfg);
  }
  struct Taps {
    std::optional<PerfettoTap>& perfetto;
    std::optional<rtlat_cli::Progress>& progress;
    void feed(const rtlat::Event& e) {
      if (perfetto) perfetto->feed(e);
      if (progress) progress->feed(e);
    }
  } taps{perfetto, progress};
  rtlat::Analyzer engine(std::move(cfg));
  rtlat::Results r = rtlat::analyze(src, engine, taps);
  if (progress) progress->stop();
  if (perfetto) {
    perfetto->writer.finish(r);
    perfetto->stream.finish();
    perfetto->file.commit();
  }
  if (samples) samples->commit();
  print_notes();
  return r;
}

// `-o` naming the trace (any spelling, a symlink, a hard link, or the file stdin comes from)
// would replace the recording with its report.
void refuse_overwriting_input(const Options& o, const std::string& output, const char* option) {
  const std::optional<rtlat_cli::FileId> out = rtlat_cli::file_id(output);
  if (!out) return;
  const std::optional<rtlat_cli::FileId> in =
      *o.trace == "-" ? rtlat_cli::stdin_file_id() : rtlat_cli::file_id(*o.trace);
  if (in && *in == *out)
    throw UsageError{std::string(option) + " '" + output + "' is the input trace" +
                     (*o.trace == "-" ? " (stdin)" : " '" + *o.trace + "'") +
                     "; refusing to overwrite it"};
}

int report(const std::vector<std::string>& args) {
  Options o;
  if (!parse_report_args(args, o)) {
    std::cout << rtlat_cli::report_help();
    return 0;
  }
  const bool to_file = o.output && *o.output != "-";
  if (to_file) refuse_overwriting_input(o, *o.output, "--output");
  if (o.html) refuse_overwriting_input(o, *o.html, "--html");
  if (o.perfetto) refuse_overwriting_input(o, *o.perfetto, "--perfetto");
  if (o.samples) refuse_overwriting_input(o, *o.samples, "--samples");
  if (o.html) o.config.timeline = true;  // the HTML report draws each worst case's timeline
  rtlat::Results results = run_source(o);
  const bool violated = rtlat::any_violation(results);  // before --top drops tasks
  if (o.top) rtlat::keep_top(results, *o.top);

  // Written to memory first: an output file is only replaced once the whole report exists.
  std::ostringstream out;
  rtlat_cli::write_report(out, results, o.format, o.explicit_selection, o.metrics_comms);
  if (o.html) {
    std::ostringstream html;
    rtlat::write_html(html, results);
    rtlat_cli::write_file(*o.html, html.str());
  }
  if (o.perfetto && !o.perfetto_all) {
    std::ostringstream json;
    rtlat::write_perfetto(json, results);
    rtlat_cli::write_file(*o.perfetto, json.str());
  }
  if (to_file)
    rtlat_cli::write_file(*o.output, out.str());
  else
    rtlat_cli::write_stdout(out.str());
  return o.fail_on_violation && violated ? 3 : 0;
}

int run(int argc, char** argv) {
  const std::vector<std::string> all(argv + 1, argv + argc);
  if (all.empty()) throw UsageError{"no command (try 'rtlat --help')"};
  CLI::App app("rtlat");
  app.set_help_flag();
  bool help = false, version = false;
  app.add_flag("-h,--help", help);
  app.add_flag("-V,--version", version);
  CLI::App* report_cmd = app.add_subcommand("report");
  CLI::App* bench_cmd = app.add_subcommand("bench");
  CLI::App* help_cmd = app.add_subcommand("help");
  CLI::App* live_cmd = app.add_subcommand("live");
  // A subcommand's arguments are its own: they are parsed by its option table, not here.
  for (CLI::App* sub : {report_cmd, bench_cmd, help_cmd, live_cmd}) {
    sub->prefix_command();
    sub->set_help_flag();
  }
  // What follows "--" belongs to the subcommand, whatever it looks like.
  const DashSplit split = split_at_dashes(all);
  std::vector<std::string> args(split.before.rbegin(), split.before.rend());
  try {
    app.parse(args);
  } catch (const CLI::ExtrasError&) {
    throw UsageError{"unknown command '" + all.front() + "' (try 'rtlat --help')"};
  } catch (const CLI::ParseError& e) {
    throw usage_error_of(e, "");
  }
  if (report_cmd->parsed()) {
    std::vector<std::string> sub = report_cmd->remaining();
    if (split.dashes) {
      sub.emplace_back("--");
      sub.insert(sub.end(), split.after.begin(), split.after.end());
    }
    return report(sub);
  }
  if (live_cmd->parsed()) {
    std::vector<std::string> sub = live_cmd->remaining();
    if (split.dashes) {
      sub.emplace_back("--");
      sub.insert(sub.end(), split.after.begin(), split.after.end());
    }
#ifdef RTLAT_HAVE_LIVE
    return rtlat_cli::live_main(sub);
#else
    throw UsageError{"this rtlat was built without live mode (libtracefs-dev was missing)"};
#endif
  }
  if (bench_cmd->parsed()) {
    std::vector<std::string> sub = bench_cmd->remaining();
    if (split.dashes) {
      sub.emplace_back("--");
      sub.insert(sub.end(), split.after.begin(), split.after.end());
    }
    return rtlat_cli::bench(sub);
  }
  if (help || help_cmd->parsed()) {
    std::cout << main_help;
    return 0;
  }
  if (version) {
    std::cout << "rtlat " << rtlat::version << '\n';
    return 0;
  }
  throw UsageError{"unknown command '" + all.front() + "' (try 'rtlat --help')"};
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
