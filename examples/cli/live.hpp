// `rtlat live`: the report of a running system, read through a tracefs instance of its own.
//
// While it runs: on a terminal, a table of the tasks by worst latency refreshed every interval
// (live_table.hpp); with --format jsonl, one JSON object per interval (the report schema,
// cumulative, plus interval_start_ns and interval_end_ns); with --listen, GET /metrics for
// Prometheus (metrics_server.hpp). At the end, the same report as `rtlat report`. The options
// are in live_options.hpp, the command in command.hpp, the signals in live_signals.hpp.
#pragma once

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

// After a standard header, which defines __GLIBC__.
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "command.hpp"
#include "help.hpp"
#include "live_options.hpp"
#include "live_signals.hpp"
#include "live_table.hpp"
#include "output.hpp"
#include "report_writer.hpp"
#include "samples_out.hpp"
#if defined(RTLAT_HAVE_HTTPLIB)
#include "metrics_loader.hpp"
#endif
#include "rtlat/analyze.hpp"
#include "rtlat/duration.hpp"
#include "rtlat/gate.hpp"
#include "rtlat/report/json.hpp"
#include "rtlat/report/ranking.hpp"
#include "rtlat/source/live.hpp"

namespace rtlat_cli {

namespace live_detail {

// --on-violation print|exit: one line per violation on stderr, with the bound the sample
// carries; exit stops the source at the first one and sets `violated`.
inline void report_violations(rtlat::Config& cfg, LiveCliOptions::OnViolation on, bool& violated,
                              std::unique_ptr<rtlat::LiveSource>& src) {
  if (on == LiveCliOptions::OnViolation::ignore) return;
  const bool exit_on = on == LiveCliOptions::OnViolation::exit;
  cfg.on_violation = [&violated, exit_on, &src](const rtlat::Sample& s) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "rtlat: violation %.6f s %s/%d %s %s > %s\n",
                  static_cast<double>(s.end_ns) / 1e9, std::string(s.comm.view()).c_str(), s.pid,
                  std::string(rtlat::metric_name(s.metric)).c_str(),
                  rtlat::format_duration(s.value_ns).c_str(),
                  s.slo_ns ? rtlat::format_duration(*s.slo_ns).c_str() : "-");
    std::fputs(buf, stderr);
    if (exit_on && !violated) {
      violated = true;
      if (src) src->stop();
    }
  };
}

// The terminal's size: rows for tasks (at most --top) and columns.
inline std::pair<std::size_t, std::size_t> screen(const std::optional<std::size_t>& top) {
  struct winsize ws {};
  std::size_t rows = 20, cols = 100;
  if (::ioctl(1, TIOCGWINSZ, &ws) == 0) {
    if (ws.ws_row > 4) rows = ws.ws_row - 4u;
    if (ws.ws_col > 0) cols = ws.ws_col;
  }
  if (top) rows = std::min(rows, *top);
  return {rows, cols};
}

// jsonl lines go out as they come, to stdout or to -o's file; the other formats are written
// once complete.
class JsonlOut {
 public:
  explicit JsonlOut(const std::optional<std::string>& path) {
    if (!path || *path == "-") return;
    fd_ = ::open(path->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw OutputError("cannot create '" + *path + "': " + std::strerror(errno));
  }
  JsonlOut(const JsonlOut&) = delete;
  JsonlOut& operator=(const JsonlOut&) = delete;
  ~JsonlOut() {
    if (fd_ != 1) ::close(fd_);
  }
  void write(const std::string& s) {
    if (write_all(fd_, s) != 0) throw OutputError(std::string("write: ") + std::strerror(errno));
  }

 private:
  int fd_ = 1;
};

// The table's first line: the instance, time, event rate and losses.
inline std::string live_header(const rtlat::LiveProgress& p, const std::string& instance,
                               std::size_t tasks) {
  const double rate = p.elapsed_s > 0 ? static_cast<double>(p.events) / p.elapsed_s : 0.0;
  char head[512];
  std::snprintf(head, sizeof head,
                "rtlat live  %s  %.0fs  %llu events  %.0f events/s  lost %llu  tasks %zu",
                instance.c_str(), p.elapsed_s, static_cast<unsigned long long>(p.events), rate,
                static_cast<unsigned long long>(p.lost), tasks);
  return head;
}

// --linger: a scraper polls, so it sees the last interval only if the endpoint outlives the run
// a bit. A signal (the service stopping) cuts the wait short.
inline void linger(std::chrono::nanoseconds d) {
  const unsigned seen = live_signals::count.load();
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until && live_signals::count.load() == seen)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

}  // namespace live_detail

inline int live_main(const std::vector<std::string>& args) {
  namespace ld = live_detail;
  namespace sig = live_signals;
  LiveCliOptions o;
  if (!parse_live_args(args, o)) {
    std::cout << live_help();
    return 0;
  }
#if defined(__GLIBC__)
  // A run of days must give back what a burst took. glibc raises its mmap threshold each time a
  // large block is freed, after which blocks that size come from the heap and are seldom
  // returned; a fixed threshold keeps every large buffer (merge queues after a burst, reports)
  // in its own mapping, returned when freed.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
  const bool jsonl = o.out.format == Format::jsonl;
  const bool to_file = o.out.output && *o.out.output != "-";
  const bool tty = !to_file && ::isatty(1) && !jsonl;
  std::unique_ptr<Command> cmd;
  if (!o.command.empty()) {
    cmd = std::make_unique<Command>(o.command);
    sig::child.store(cmd->pid());
  }
  sig::install();
  std::optional<ld::JsonlOut> jsonl_out;
  if (jsonl) jsonl_out.emplace(o.out.output);
  bool violated_exit = false;
  rtlat::Config cfg = o.config;
  if (cmd && !o.explicit_selection) follow_command(cfg, cmd->pid());
  std::unique_ptr<rtlat::LiveSource> src;
  ld::report_violations(cfg, o.on_violation, violated_exit, src);
  std::optional<SamplesOut> samples;
  if (o.out.samples) {
    samples.emplace(*o.out.samples);
    samples->attach(cfg);
  }
#if defined(RTLAT_HAVE_HTTPLIB)
  std::unique_ptr<MetricsEndpoint> metrics;
  if (o.listen) {
    metrics = open_metrics_endpoint(parse_listen(*o.listen), o.out.metrics_comms);
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
    if (o.listen) publish(engine.results(rtlat::ResultWindows::omitted));
    if (tty) {
      const auto [rows, cols] = ld::screen(o.out.top);
      const rtlat::Results r = engine.results();
      write_stdout(
          "\x1b[H\x1b[2J" +
          live_table(r, ld::live_header(p, src->instance_name(), r.tasks.size()), rows, cols));
    } else if (jsonl) {
      rtlat::Results r = engine.results();
      if (o.out.top) rtlat::keep_top(r, *o.out.top);
      std::ostringstream line;
      rtlat::write_json_line(line, r,
                             "\"interval_start_ns\":" + std::to_string(p.interval_start_ns) +
                                 ",\"interval_end_ns\":" + std::to_string(p.interval_end_ns));
      jsonl_out->write(line.str());
    }
#if defined(__GLIBC__)
    // Each interval's Results (and the snapshot it replaces) come and go in many small blocks
    // among the engine's long-lived ones, so the heap's top seldom frees and its free room
    // stays resident, growing with each new comm's state that lands above it. Giving the free
    // pages back every interval keeps RSS at what is in use; it walks only the free chunks.
    if (o.listen || tty || jsonl) ::malloc_trim(0);
#endif
  };
  try {
    src = std::make_unique<rtlat::LiveSource>(o.live);
  } catch (const rtlat::LiveError& e) {
    throw UsageError{e.what()};
  }
  std::optional<sig::SourceScope> signals_stop(std::in_place, *src);
  std::optional<int> status;
  std::thread waiter;
  if (cmd) {
    cmd->release();
    waiter = std::thread([&] {
      status = cmd->wait();
      sig::child.store(-1);  // reaped: a later signal (during --linger) must not reach its pid
      src->stop();
    });
  }
  struct Join {
    std::thread& t;
    std::unique_ptr<Command>& c;
    ~Join() {
      if (t.joinable()) {
        if (c) c->terminate();
        t.join();
      }
    }
  } join{waiter, cmd};
  rtlat::Results results;
  try {
    results = rtlat::analyze(*src, engine);
  } catch (const rtlat::InputError&) {
    // No event because a signal stopped the run while tracing was being set up: the command's
    // status (128 + signal, or 127 when it was never let go) says what happened, and rtlat
    // returns it after an empty report, as a command run always does.
    if (!cmd || sig::stop_signal.load() == 0 || src->info().events != 0) throw;
    results = engine.results();
  }
  signals_stop.reset();
  if (waiter.joinable()) {
    if (!status) cmd->terminate();  // the duration ended first
    waiter.join();
  }
  if (samples) samples->commit();
  const std::uint64_t stats_markers = src->totals().stats_markers;
  src.reset();  // the instance goes before the report is written
  if (stats_markers != 0)
    std::cerr << "rtlat: note: the per-CPU stats counted losses the pages did not flag: "
              << stats_markers << " lost-event markers added at the end\n";

  publish(results);                                     // the final numbers, what the report says
  const bool violated = rtlat::any_violation(results);  // before --top drops tasks
  if (o.out.top) rtlat::keep_top(results, *o.out.top);
  std::ostringstream out;
  write_report(out, results, o.out.format, o.explicit_selection, o.out.metrics_comms);
  if (jsonl)
    jsonl_out->write(out.str());
  else if (to_file)
    write_file(*o.out.output, out.str());
  else
    write_stdout(out.str());
  jsonl_out.reset();
  if (o.linger.count() != 0) ld::linger(o.linger);
  if (violated_exit) return 3;
  if (o.out.fail_on_violation && violated) return 3;
  if (status) return *status;
  return 0;
}

}  // namespace rtlat_cli
