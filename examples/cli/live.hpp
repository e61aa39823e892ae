// `rtlat live`: the report of a running system, read through a tracefs instance of its own.
//
//   rtlat live [selection and SLO options as in report] [--duration 10s] [--interval 1s]
//              [--buffer-kb N] [--format text|json|jsonl|csv] [--on-violation ignore|print|exit]
//              [--save FILE.dat] [--listen [ADDR:]PORT [--linger D]] [-o FILE]
//              [-- COMMAND [ARGS...]]
//
// While it runs: on a terminal, a table of the tasks by worst latency refreshed every interval;
// with --format jsonl, one JSON object per interval (the report schema, cumulative, plus
// interval_start_ns and interval_end_ns); with --listen, GET /metrics for Prometheus
// (metrics_server.hpp). At the end, the same report as `rtlat report`.
#pragma once

#include <signal.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "options.hpp"
#include "output.hpp"
#if defined(RTLAT_HAVE_HTTPLIB)
#include "metrics_server.hpp"
#endif
#include "rtlat/analyze.hpp"
#include "rtlat/duration.hpp"
#include "rtlat/gate.hpp"
#include "rtlat/report/csv.hpp"
#include "rtlat/report/json.hpp"
#include "rtlat/report/ranking.hpp"
#include "rtlat/report/text.hpp"
#include "rtlat/source/live.hpp"

namespace rtlat_cli {

constexpr std::string_view live_help = R"(usage: rtlat live [options] [-- COMMAND [ARGS...]]

Traces this system through a tracefs instance of its own (rtlat-<pid>, removed at exit), shows
the tasks while it runs and prints the report at the end. With COMMAND: starts it once tracing
runs, follows it and every thread and child it creates, stops when it exits and returns its exit
status; without a selection, the report is about those tasks only (the others' events are
recorded only where they meet the command's). Needs root and tracefs.

selection (default: every task; several criteria select the union):
  -p, --pid PID[,PID...]       tasks with these pids
      --tgid TGID[,TGID...]    tasks of these thread groups
      --comm REGEX             tasks whose comm matches REGEX (RE2 syntax, searched)

measurement:
      --slo [PID:]METRIC=DURATION
                               SLO bound, repeatable; METRIC: latency|response|relief|irq|
                               timer|irq_latency; DURATION: 2000ns, 50us, 1.5ms, 2s; with
                               PID: that task only
      --window N               at most N events per worst-case window (default 64)
      --wakeup-event wakeup|waking
                               the event that starts latency and response (default wakeup)
      --max-finished-tasks N|none
                               keep at most N finished tasks listed on their own; older ones
                               are folded into per-comm groups (default 1024: memory stays bounded)

live:
      --duration DURATION      stop after this long (default: until COMMAND exits, or Ctrl-C)
      --interval DURATION      refresh / jsonl period (default 1s)
      --buffer-kb N            ring buffer per CPU in KiB (default 8192)
      --on-violation ignore|print|exit
                               print: one line per SLO violation as it happens (stderr);
                               exit: stop at the first one, exit status 3 (default ignore)
      --save FILE.dat          also write what was read as a trace.dat (version 7, zstd:
                               rtlat report and trace-cmd report read it)
      --listen [ADDR:]PORT     serve GET /metrics (OpenMetrics, for Prometheus) on ADDR
                               (default 127.0.0.1; any other address only when given),
                               cumulative since start, updated every interval
      --linger DURATION        with --listen: keep serving the final metrics this long after
                               the run ends, so the last interval is scraped (default 0)
      --metrics-comms N        with --listen or --format openmetrics: series of their own for
                               at most N comms, later ones summed under the comm label
                               (other comms) (default 64; 0: no bound)

output:
      --format text|json|jsonl|csv|openmetrics
                               final report format; jsonl: one JSON line per interval, then
                               the final report as one line (default text)
      --top N                  only the N tasks with the highest worst value (any metric)
  -o, --output FILE            write the report to FILE instead of stdout ('-': stdout)
      --fail-on-violation      exit 3 when any SLO bound was violated

exit status: COMMAND's status (else 0), 2 usage error or no tracefs/root, 3 SLO violated
(with --on-violation exit or --fail-on-violation)
)";

// `rtlat live`'s default --max-finished-tasks.
inline constexpr std::size_t live_max_finished_tasks = 1024;

struct LiveCliOptions {
  rtlat::Config config;
  bool explicit_selection = false;
  std::optional<std::size_t> top;
  enum class Fmt { text, json, jsonl, csv, openmetrics } format = Fmt::text;
  std::optional<std::string> output;
  bool fail_on_violation = false;
  enum class OnViolation { ignore, print, exit } on_violation = OnViolation::ignore;
  rtlat::LiveOptions live;
  std::vector<std::string> command;
  std::optional<std::string> listen;                                 // --listen as given
  std::optional<std::size_t> metrics_comms = default_metrics_comms;  // empty: no bound
  std::chrono::nanoseconds linger{0};
};

inline std::chrono::nanoseconds parse_live_duration(const std::string& opt, const std::string& v) {
  const std::optional<std::int64_t> ns = rtlat::parse_duration(v);
  if (!ns || *ns <= 0)
    throw UsageError{opt + ": bad duration '" + v + "' (a number and a unit: 500ms, 10s)"};
  return std::chrono::nanoseconds(*ns);
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
  table.value({"--format"}, "--format", true, [&o](const std::string&, const std::string& v) {
    using F = LiveCliOptions::Fmt;
    if (v == "text")
      o.format = F::text;
    else if (v == "json")
      o.format = F::json;
    else if (v == "jsonl")
      o.format = F::jsonl;
    else if (v == "csv")
      o.format = F::csv;
    else if (v == "openmetrics")
      o.format = F::openmetrics;
    else
      throw UsageError{"--format: '" + v + "' (text|json|jsonl|csv|openmetrics)"};
  });
  table.value({"--top"}, "--top", true, [&o](const std::string& sp, const std::string& v) {
    o.top = parse_int<std::size_t>(sp, v, 1);
  });
  table.value({"-o", "--output"}, "--output", true,
              [&o](const std::string&, const std::string& v) { o.output = v; });
  table.flag("--fail-on-violation", [&o] { o.fail_on_violation = true; });
  table.value({"--listen"}, "--listen", true,
              [&o](const std::string&, const std::string& v) { o.listen = v; });
  table.value({"--linger"}, "--linger", true, [&o](const std::string& sp, const std::string& v) {
    o.linger = parse_live_duration(sp, v);
  });
  table.value({"--metrics-comms"}, "--metrics-comms", true,
              [&o](const std::string& sp, const std::string& v) {
                o.metrics_comms = parse_metrics_comms(sp, v);
              });
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

namespace live_detail {

inline std::atomic<rtlat::LiveSource*> source{nullptr};
inline std::atomic<pid_t> child{-1};
inline std::atomic<int> stop_signal{0};
inline std::atomic<unsigned> signals{0};  // how many arrived: a signal during --linger ends it

inline void on_signal(int sig) {
  stop_signal.store(sig);
  signals.fetch_add(1);
  if (rtlat::LiveSource* s = source.load()) s->stop();
  // The command shares the terminal's Ctrl-C; SIGTERM and SIGHUP are passed on to it.
  const pid_t c = child.load();
  if (c > 0 && sig != SIGINT) ::kill(c, sig);
}

// The report schema on one line, with `extra` members first.
inline std::string json_line(const rtlat::Results& r, const std::string& extra) {
  std::ostringstream os;
  rtlat::write_json(os, r);
  const std::string s = os.str();
  std::string out;
  out.reserve(s.size() + extra.size() + 1);
  bool in_string = false, escaped = false;
  for (char c : s) {
    if (in_string) {
      out.push_back(c);
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '\n' || c == ' ') continue;
    if (c == '"') in_string = true;
    out.push_back(c);
    if (out.size() == 1 && c == '{' && !extra.empty()) out += extra + ",";
  }
  out.push_back('\n');
  return out;
}

inline std::string cell(const std::optional<std::int64_t>& ns) {
  return ns ? rtlat::format_duration(*ns) : std::string("-");
}

// The terminal view: a header, then the tasks by worst latency (violations in reverse video).
inline std::string table(const rtlat::Results& r, const rtlat::LiveProgress& p,
                         const std::string& instance, std::size_t rows) {
  std::ostringstream os;
  const double rate = p.elapsed_s > 0 ? static_cast<double>(p.events) / p.elapsed_s : 0.0;
  char head[256];
  std::snprintf(head, sizeof head,
                "rtlat live  %s  %.0fs  %llu events  %.0f events/s  lost %llu  tasks %zu\n",
                instance.c_str(), p.elapsed_s, static_cast<unsigned long long>(p.events), rate,
                static_cast<unsigned long long>(p.lost), r.tasks.size());
  os << "\x1b[H\x1b[2J" << head << '\n';
  char line[256];
  std::snprintf(line, sizeof line, "%8s %-16s %8s %9s %9s %9s %9s %9s %6s\n", "PID", "COMM",
                "WAKEUPS", "LAT p50", "LAT p99", "LAT max", "RESP max", "RELIEF max", "VIOL");
  os << line;
  rtlat::Results sorted = r;
  rtlat::keep_top(sorted, rows);
  for (const rtlat::TaskResult& t : sorted.tasks) {
    const rtlat::MetricResult& lat = t[rtlat::Metric::latency];
    std::uint64_t viol = 0;
    for (const rtlat::MetricResult& m : t.metrics) viol += m.violations;
    std::snprintf(line, sizeof line, "%8d %-16.16s %8llu %9s %9s %9s %9s %9s %6llu", t.pid,
                  t.comm.c_str(), static_cast<unsigned long long>(lat.count),
                  cell(lat.p50_ns).c_str(), cell(lat.p99_ns).c_str(), cell(lat.max_ns).c_str(),
                  cell(t[rtlat::Metric::response].max_ns).c_str(),
                  cell(t[rtlat::Metric::relief].max_ns).c_str(),
                  static_cast<unsigned long long>(viol));
    if (viol != 0)
      os << "\x1b[7m" << line << "\x1b[0m\n";
    else
      os << line << '\n';
  }
  return os.str();
}

inline void final_report(std::ostream& os, const rtlat::Results& r, const LiveCliOptions& o) {
  using F = LiveCliOptions::Fmt;
  if (o.format == F::jsonl) {
    os << json_line(r, "\"final\":true");
    return;
  }
  write_report(os, r,
               o.format == F::json          ? Format::json
               : o.format == F::csv         ? Format::csv
               : o.format == F::openmetrics ? Format::openmetrics
                                            : Format::text,
               o.explicit_selection, o.metrics_comms);
}

// The command, forked now and held until tracing runs (so its first instruction is traced).
class Command {
 public:
  explicit Command(const std::vector<std::string>& argv) {
    // A socket, not a pipe: when a signal has already ended the waiting child, telling it to go
    // must fail with EPIPE rather than kill rtlat with SIGPIPE before it removes its instance.
    int go[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) != 0)
      throw UsageError{std::string("socketpair: ") + std::strerror(errno)};
    pid_ = ::fork();
    if (pid_ < 0) throw UsageError{std::string("fork: ") + std::strerror(errno)};
    if (pid_ == 0) {
      ::close(go[1]);
      char b;
      if (::read(go[0], &b, 1) != 1) ::_exit(127);  // rtlat could not start tracing
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      std::fprintf(stderr, "rtlat: cannot run '%s': %s\n", args[0], std::strerror(errno));
      ::_exit(127);
    }
    ::close(go[0]);
    go_ = go[1];
  }
  Command(const Command&) = delete;
  Command& operator=(const Command&) = delete;
  ~Command() {
    if (go_ >= 0) ::close(go_);  // never released: the child exits without running
    if (!reaped_) {
      ::kill(pid_, SIGTERM);
      int st;
      ::waitpid(pid_, &st, 0);
    }
  }
  pid_t pid() const noexcept { return pid_; }
  void release() {
    const char b = 1;
    [[maybe_unused]] const ssize_t w = ::send(go_, &b, 1, MSG_NOSIGNAL);
    ::close(go_);
    go_ = -1;
  }
  // Waits for the command; its exit status (128 + signal when killed).
  int wait() {
    int st = 0;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
  }
  void terminate() { ::kill(pid_, SIGTERM); }

 private:
  pid_t pid_ = -1;
  int go_ = -1;
  bool reaped_ = false;
};

}  // namespace live_detail

inline int live_main(const std::vector<std::string>& args) {
  namespace ld = live_detail;
  LiveCliOptions o;
  if (!parse_live_args(args, o)) {
    std::cout << live_help;
    return 0;
  }
#if defined(__GLIBC__)
  // A run of days must give back what a burst took. glibc raises its mmap threshold each time a
  // large block is freed, after which blocks that size come from the heap and are seldom
  // returned; a fixed threshold keeps every large buffer (merge queues after a burst, reports)
  // in its own mapping, returned when freed.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
  const bool to_file = o.output && *o.output != "-";
  const bool tty = !to_file && ::isatty(1) && o.format != LiveCliOptions::Fmt::jsonl;
  std::unique_ptr<ld::Command> cmd;
  if (!o.command.empty()) {
    cmd = std::make_unique<ld::Command>(o.command);
    ld::child.store(cmd->pid());
  }
  // A reader of our output that goes away (| head) must make a write fail, not kill rtlat before
  // it removes its instance.
  std::signal(SIGPIPE, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = ld::on_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);

  // jsonl lines go out as they come; the other formats are written once complete.
  int jsonl_fd = 1;
  if (o.format == LiveCliOptions::Fmt::jsonl && to_file) {
    jsonl_fd = ::open(o.output->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (jsonl_fd < 0)
      throw OutputError("cannot create '" + *o.output + "': " + std::strerror(errno));
  }
  bool violated_exit = false;
  rtlat::Config cfg = o.config;
  // With a command and no selection, the report is about the command's tasks alone: the others
  // are seen only where their events touch the command's (set_event_pid), so their samples
  // could span events that were filtered out. The engine selects the command and what it forks.
  if (cmd && !o.explicit_selection) {
    cfg.selection.pids = {cmd->pid()};
    cfg.selection.follow_forks = true;
  }
  std::unique_ptr<rtlat::LiveSource> src;
  if (o.on_violation != LiveCliOptions::OnViolation::ignore) {
    const bool exit_on = o.on_violation == LiveCliOptions::OnViolation::exit;
    cfg.on_violation = [&violated_exit, exit_on, &src](const rtlat::Sample& s) {
      const std::optional<std::int64_t>& bound = s.slo_ns;
      char buf[256];
      std::snprintf(buf, sizeof buf, "rtlat: violation %.6f s %s/%d %s %s > %s\n",
                    static_cast<double>(s.end_ns) / 1e9, std::string(s.comm.view()).c_str(), s.pid,
                    std::string(rtlat::metric_name(s.metric)).c_str(),
                    rtlat::format_duration(s.value_ns).c_str(),
                    bound ? rtlat::format_duration(*bound).c_str() : "-");
      std::fputs(buf, stderr);
      if (exit_on && !violated_exit) {
        violated_exit = true;
        if (src) src->stop();
      }
    };
  }
#if defined(RTLAT_HAVE_HTTPLIB)
  std::unique_ptr<MetricsServer> metrics;
  if (o.listen) {
    metrics = std::make_unique<MetricsServer>(parse_listen(*o.listen), o.metrics_comms);
    std::cerr << "rtlat: serving /metrics on port " << metrics->port() << '\n';
  }
  const auto publish = [&metrics](const rtlat::Results& r) {
    if (metrics) metrics->publish(r);
  };
#else
  if (o.listen) throw UsageError{"--listen: this rtlat was built without cpp-httplib"};
  const auto publish = [](const rtlat::Results&) {};
#endif
  rtlat::Analyzer engine(cfg);
  o.live.on_interval = [&](const rtlat::LiveProgress& p) {
    if (o.listen) publish(engine.results());
    if (tty) {
      struct winsize ws {};
      std::size_t rows = 20;
      if (::ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 4) rows = ws.ws_row - 4u;
      if (o.top) rows = std::min(rows, *o.top);
      const rtlat::Results r = engine.results();
      write_stdout(ld::table(r, p, src->instance_name(), rows));
    } else if (o.format == LiveCliOptions::Fmt::jsonl) {
      rtlat::Results r = engine.results();
      if (o.top) rtlat::keep_top(r, *o.top);
      const std::string line =
          ld::json_line(r, "\"interval_start_ns\":" + std::to_string(p.interval_start_ns) +
                               ",\"interval_end_ns\":" + std::to_string(p.interval_end_ns));
      if (write_all(jsonl_fd, line) != 0)
        throw OutputError(std::string("write: ") + std::strerror(errno));
    }
  };
  try {
    src = std::make_unique<rtlat::LiveSource>(o.live);
  } catch (const rtlat::LiveError& e) {
    throw UsageError{e.what()};
  }
  ld::source.store(src.get());
  if (ld::stop_signal.load() != 0) src->stop();
  std::optional<int> status;
  std::thread waiter;
  if (cmd) {
    cmd->release();
    waiter = std::thread([&] {
      status = cmd->wait();
      ld::child.store(-1);  // reaped: a later signal (during --linger) must not reach its pid
      src->stop();
    });
  }
  struct Join {
    std::thread& t;
    std::unique_ptr<ld::Command>& c;
    ~Join() {
      if (t.joinable()) {
        if (c) c->terminate();
        t.join();
      }
    }
  } join{waiter, cmd};
  rtlat::Results results;
  try {
    try {
      results = rtlat::analyze(*src, engine);
    } catch (const rtlat::InputError&) {
      // No event because a signal stopped the run while tracing was being set up: the
      // command's status (128 + signal, or 127 when it was never let go) says what happened,
      // and rtlat returns it after an empty report, as a command run always does.
      if (!cmd || ld::stop_signal.load() == 0 || src->info().events != 0) throw;
      results = engine.results();
    }
  } catch (...) {
    ld::source.store(nullptr);
    throw;
  }
  ld::source.store(nullptr);
  if (waiter.joinable()) {
    if (!status) cmd->terminate();  // the duration ended first
    waiter.join();
  }
  const std::uint64_t stats_markers = src->totals().stats_markers;
  src.reset();  // the instance goes before the report is written
  if (stats_markers != 0)
    std::cerr << "rtlat: note: the per-CPU stats counted losses the pages did not flag: "
              << stats_markers << " lost-event markers added at the end\n";

  publish(results);                                     // the final numbers, what the report says
  const bool violated = rtlat::any_violation(results);  // before --top drops tasks
  if (o.top) rtlat::keep_top(results, *o.top);
  std::ostringstream out;
  ld::final_report(out, results, o);
  if (o.format == LiveCliOptions::Fmt::jsonl) {
    if (write_all(jsonl_fd, out.str()) != 0)
      throw OutputError(std::string("write: ") + std::strerror(errno));
    if (jsonl_fd != 1) ::close(jsonl_fd);
  } else if (to_file) {
    write_file(*o.output, out.str());
  } else {
    write_stdout(out.str());
  }
  if (o.linger.count() != 0) {
    // A scraper polls: it sees the last interval only if the endpoint outlives the run a bit.
    // A signal (the service stopping) cuts the wait short.
    const unsigned seen = ld::signals.load();
    const auto until = std::chrono::steady_clock::now() + o.linger;
    while (std::chrono::steady_clock::now() < until && ld::signals.load() == seen)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (violated_exit) return 3;
  if (o.fail_on_violation && violated) return 3;
  if (status) return *status;
  return 0;
}

}  // namespace rtlat_cli
