// The help texts of `rtlat report` and `rtlat live`: the options they share are written once
// here, and each command adds its own.
#pragma once

#include <string>
#include <string_view>

namespace rtlat_cli {

// -p, --tgid and --comm; `tgid_note` says when --tgid can work (a trace may lack tgids).
inline std::string selection_help(std::string_view tgid_note) {
  return std::string(R"(
selection (default: every task; several criteria select the union):
  -p, --pid PID[,PID...]       tasks with these pids
      --tgid TGID[,TGID...]    tasks of these thread groups)") +
         std::string(tgid_note) + R"(
      --comm REGEX             tasks whose comm matches REGEX (RE2 syntax, searched)
)";
}

// --slo, --window, --wakeup-event and --max-finished-tasks, whose default differs.
inline std::string measurement_help(std::string_view max_finished_default) {
  return std::string(R"(
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
                               are folded into per-comm groups (default )") +
         std::string(max_finished_default) + ")\n";
}

// --top, -o and --fail-on-violation, after each command's --format.
inline constexpr std::string_view output_help =
    R"(      --top N                  only the N tasks with the highest worst value (any metric)
  -o, --output FILE            write the report to FILE instead of stdout ('-': stdout)
      --samples FILE           also write every sample of the selected tasks to FILE as CSV:
                               pid,tgid,comm,metric,start_ns,end_ns,value_ns,cpu,violation
      --fail-on-violation      exit 3 when any SLO bound was violated
      --metrics-comms N        openmetrics and --listen: series of their own for at most N
                               comms, the others summed under the comm label (other comms)
                               (default 64; 0: no bound)
)";

inline std::string report_help() {
  return "usage: rtlat report [options] TRACE\n\nTRACE: a trace.dat, a text trace (trace-cmd "
         "report, tracefs trace), or '-' for stdin\n" +
         selection_help(" (when the trace knows tgids)") + measurement_help("none: all listed") +
         R"(      --explain worst|all|none a breakdown and a verdict for each worst case (default worst),
                               also counted over every SLO violation (all), or none
      --rt-runtime D, --rt-period D
                               the RT throttling budget verdicts check against
                               (default 950ms of 1s: kernel.sched_rt_runtime_us / _period_us)
      --buffer NAME            trace.dat: read the instance buffer NAME instead of the top one
      --arch ARCH              text input: syscall numbering of ARCH (default: this machine's)

output:
      --format text|json|csv|openmetrics
                               report format (default text); openmetrics: the Prometheus
                               text format, for node_exporter's textfile collector
)" + std::string(output_help) +
         R"(      --html FILE              also write a self-contained HTML report (tables, histograms,
                               a timeline of each worst case)
      --perfetto FILE          also write the worst windows as Chrome trace-event JSON for
                               ui.perfetto.dev and chrome://tracing
      --perfetto-all           with --perfetto: the whole trace, not only the worst windows

exit status: 0 ok, 2 usage or input error, 3 SLO violated (with --fail-on-violation)
)";
}

inline std::string live_help() {
  return R"(usage: rtlat live [options] [-- COMMAND [ARGS...]]

Traces this system through a tracefs instance of its own (rtlat-<pid>, removed at exit), shows
the tasks while it runs and prints the report at the end. With COMMAND: starts it once tracing
runs, follows it and every thread and child it creates, stops when it exits and returns its exit
status; without a selection, the report is about those tasks only (the others' events are
recorded only where they meet the command's). Needs root and tracefs.
)" + selection_help("") +
         measurement_help("1024: memory stays bounded") + R"(
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

output:
      --format text|json|jsonl|csv|openmetrics
                               final report format; jsonl: one JSON line per interval, then
                               the final report as one line (default text)
)" + std::string(output_help) +
         R"(
exit status: COMMAND's status (else 0), 2 usage error or no tracefs/root, 3 SLO violated
(with --on-violation exit or --fail-on-violation)
)";
}

}  // namespace rtlat_cli
