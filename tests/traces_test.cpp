// Engine rules on hand-written text traces (tests/traces/*.txt), read through rtlat::TextSource.
// Each file's header comment works the expected numbers out by hand; the same numbers are written
// here again (not parsed from the comment), so the comment documents and the test asserts.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <rtlat/rtlat.hpp>
#include <rtlat/source/text.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace rtlat;

std::string trace_path(const std::string& name) {
  return std::string(RTLAT_SOURCE_DIR) + "/tests/traces/" + name;
}

struct Outcome {
  Results r;
  SourceInfo info;
  std::vector<Sample> violations;
};

// Reads a trace the way the CLI does for text input; arch pinned so syscall numbers mean x86_64
// whatever the host.
Outcome analyze(const std::string& name, Config cfg = {}) {
  Outcome out;
  Analyzer a(std::move(cfg));
  a.on_violation([&out](const Sample& s) { out.violations.push_back(s); });
  TextOptions opts;
  opts.arch = "x86_64";
  TextSource src(trace_path(name), opts);
  src.read(a);
  out.r = a.results();
  out.info = src.info();
  return out;
}

const TaskResult* task(const Results& r, Pid pid, int nth = 0) {
  for (const TaskResult& t : r.tasks) {
    if (t.pid == pid && nth-- == 0) return &t;
  }
  return nullptr;
}

// count / min / max / mean of one metric; a metric without samples has no min, max, mean, worst.
void expect_metric(const TaskResult* t, Metric m, std::uint64_t count, std::int64_t min = 0,
                   std::int64_t max = 0, std::optional<double> mean = std::nullopt) {
  ASSERT_NE(t, nullptr);
  SCOPED_TRACE(t->comm + ":" + std::to_string(t->pid) + " " + std::string(metric_name(m)));
  const MetricResult& r = (*t)[m];
  EXPECT_EQ(r.count, count);
  if (count == 0) {
    EXPECT_FALSE(r.min_ns.has_value());
    EXPECT_FALSE(r.max_ns.has_value());
    EXPECT_FALSE(r.mean_ns.has_value());
    EXPECT_FALSE(r.worst.has_value());
    return;
  }
  EXPECT_EQ(r.min_ns, min);
  EXPECT_EQ(r.max_ns, max);
  ASSERT_TRUE(r.mean_ns.has_value());
  EXPECT_NEAR(*r.mean_ns, mean ? *mean : static_cast<double>(min), 0.01);
}

// Interior percentiles come from the log-linear histogram: within 1% of the exact rank value.
void expect_p50_near(const TaskResult* t, Metric m, double want) {
  ASSERT_NE(t, nullptr);
  const std::optional<std::int64_t>& p50 = (*t)[m].p50_ns;
  ASSERT_TRUE(p50.has_value());
  EXPECT_NEAR(static_cast<double>(*p50), want, want * 0.01);
}

struct Totals {
  std::uint64_t implicit = 0;
  std::uint64_t unobserved_latency = 0;
  std::uint64_t unobserved_response = 0;
  std::uint64_t unobserved_relief = 0;
  std::uint64_t unobserved_irq = 0;
  std::uint64_t lost_events = 0;
  std::uint64_t lost_markers = 0;
};

// check_irq false leaves unobserved_irq to a separate test (see IrqThreadRunningAtTraceStart*).
void expect_totals(const TraceStats& s, const Totals& t, bool check_irq = true) {
  EXPECT_EQ(s.implicit_switches, t.implicit);
  EXPECT_EQ(s.unobserved_latency, t.unobserved_latency);
  EXPECT_EQ(s.unobserved_response, t.unobserved_response);
  EXPECT_EQ(s.unobserved_relief, t.unobserved_relief);
  if (check_irq) {
    EXPECT_EQ(s.unobserved_irq, t.unobserved_irq);
  }
  EXPECT_EQ(s.lost_events, t.lost_events);
  EXPECT_EQ(s.lost_event_markers, t.lost_markers);
}

// Every file: all lines understood ('#' comment lines are headers, not skipped), the event count
// the header states.
void expect_read(const Outcome& got, std::uint64_t events, const char* format) {
  EXPECT_EQ(got.info.events, events);
  EXPECT_EQ(got.r.trace.events, events);
  EXPECT_EQ(got.info.skipped, 0u);
  EXPECT_EQ(got.info.format, format);
}

struct Shown {
  EventKind kind;
  Timestamp ts;
  int cpu;
  Pid common_pid;
};

void expect_window(const WorstWindow& w, std::uint64_t elided, const std::vector<Shown>& want) {
  EXPECT_EQ(w.elided, elided);
  ASSERT_EQ(w.events.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE("window event " + std::to_string(i));
    EXPECT_EQ(w.events[i].kind, want[i].kind);
    EXPECT_EQ(w.events[i].ts, want[i].ts);
    EXPECT_EQ(w.events[i].cpu, want[i].cpu);
    EXPECT_EQ(w.events[i].common_pid, want[i].common_pid);
  }
}

constexpr const char* tracecmd = "trace-cmd report text";
constexpr const char* tracefs = "tracefs text";

// 100 s + us microseconds, in ns (most traces start at 100 s).
constexpr Timestamp at(double us, std::int64_t base_s = 100) {
  return base_s * 1000000000 + static_cast<Timestamp>(us * 1000.0 + 0.5);
}

TEST(Traces, MultipleWakeupsBeforeASwitchIn) {
  const Outcome x = analyze("multi_wakeup.txt");
  expect_read(x, 10, tracecmd);
  const TaskResult* ctl = task(x.r, 1234);
  expect_metric(ctl, Metric::latency, 2, 2500, 7500, 5000);
  EXPECT_EQ((*ctl)[Metric::latency].p50_ns, 2500);
  expect_metric(ctl, Metric::response, 2, 10000, 20000, 15000);
  expect_metric(ctl, Metric::relief, 0);
  expect_metric(ctl, Metric::irq, 0);
  const TaskResult* waker = task(x.r, 2000);
  expect_metric(waker, Metric::latency, 0);
  expect_metric(waker, Metric::response, 0);
  expect_totals(x.r.trace, {});
}

TEST(Traces, PreemptionInsideAResponse) {
  const Outcome x = analyze("preempt_response.txt");
  expect_read(x, 10, tracefs);
  EXPECT_EQ(x.info.cpus, 2);  // "#P:2"
  const TaskResult* worker = task(x.r, 300);
  expect_metric(worker, Metric::latency, 2, 1000, 3000, 2000);
  expect_metric(worker, Metric::response, 2, 5000, 50000, 27500);
  const TaskResult* hog = task(x.r, 400);
  expect_metric(hog, Metric::latency, 1, 1000, 1000);
  expect_metric(hog, Metric::response, 1, 30000, 30000);
  expect_totals(x.r.trace, {});
}

TEST(Traces, ReliefSpansAMutexSleep) {
  const Outcome x = analyze("relief_mutex.txt");
  expect_read(x, 14, tracecmd);
  const TaskResult* ctl = task(x.r, 1234);
  expect_metric(ctl, Metric::latency, 3, 2000, 4000, 3000);
  expect_p50_near(ctl, Metric::latency, 3000);
  expect_metric(ctl, Metric::response, 3, 51000, 101000, 212000.0 / 3);
  expect_metric(ctl, Metric::relief, 2, 51000, 401000, 226000);
  expect_metric(task(x.r, 1300), Metric::latency, 0);
  expect_totals(x.r.trace, {});
}

TEST(Traces, EventDrivenTaskHasNoRelief) {
  const Outcome x = analyze("event_driven.txt");
  expect_read(x, 17, tracecmd);
  const TaskResult* worker = task(x.r, 700);
  expect_metric(worker, Metric::latency, 3, 1000, 3000, 2000);
  expect_p50_near(worker, Metric::latency, 2000);
  expect_metric(worker, Metric::response, 3, 10000, 10000, 10000);
  expect_metric(worker, Metric::relief, 0);
  expect_metric(task(x.r, 710), Metric::latency, 0);
  expect_totals(x.r.trace, {});
}

TEST(Traces, IrqThreadedHandlerEntryExitPairs) {
  const Outcome x = analyze("irq_threaded.txt");
  expect_read(x, 18, tracecmd);
  const TaskResult* irq = task(x.r, 50);
  ASSERT_NE(irq, nullptr);
  EXPECT_EQ(irq->comm, "irq/42-eth0");
  expect_metric(irq, Metric::irq, 2, 5000, 100000, 52500);
  EXPECT_FALSE((*irq)[Metric::irq].derived);
  expect_metric(irq, Metric::latency, 2, 1000, 1000, 1000);
  expect_metric(irq, Metric::response, 2, 7500, 102500, 55000);
  const auto& w = (*irq)[Metric::irq].worst;
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->start_ns, at(30));
  EXPECT_EQ(w->end_ns, at(130));
  expect_window(*w, 0,
                {{EventKind::irq_thread_entry, at(30), 1, 50},
                 {EventKind::sched_wakeup, at(60), 1, 50},
                 {EventKind::sched_switch, at(61), 1, 50},
                 {EventKind::sched_switch, at(90), 1, 800},
                 {EventKind::irq_thread_exit, at(130), 1, 50}});
  const TaskResult* fifo = task(x.r, 800);
  expect_metric(fifo, Metric::latency, 1, 1000, 1000);
  expect_metric(fifo, Metric::response, 1, 30000, 30000);
  expect_metric(fifo, Metric::irq, 0);
  expect_totals(x.r.trace, {}, false);
}

// The irq thread's first event is its switch-out at trace start: an activation begun before the
// trace. By hand: no unobserved irq sample. The handler pairs are all complete; and a sample cut
// by the start of the trace is not "unobserved" for latency or response either (a task running
// or runnable at trace start counts nothing there).
TEST(Traces, IrqThreadRunningAtTraceStartThreaded) {
  const Outcome x = analyze("irq_threaded.txt");
  EXPECT_EQ(x.r.trace.unobserved_irq, 0u);
}

TEST(Traces, IrqThreadRunningAtTraceStartDerived) {
  const Outcome x = analyze("irq_derived.txt");
  EXPECT_EQ(x.r.trace.unobserved_irq, 0u);
}

TEST(Traces, DerivedIrqExcludesPreemptedTime) {
  const Outcome x = analyze("irq_derived.txt");
  expect_read(x, 14, tracecmd);
  const TaskResult* irq = task(x.r, 50);
  expect_metric(irq, Metric::irq, 2, 7500, 8000, 7750);
  EXPECT_TRUE((*irq)[Metric::irq].derived);
  const auto& w = (*irq)[Metric::irq].worst;
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->start_ns, at(102));
  EXPECT_EQ(w->end_ns, at(110));
  expect_window(
      *w, 0, {{EventKind::sched_switch, at(102), 0, 0}, {EventKind::sched_switch, at(110), 0, 50}});
  expect_metric(irq, Metric::latency, 2, 1000, 2000, 1500);
  expect_metric(irq, Metric::response, 2, 10000, 18000, 14000);
  const TaskResult* fifo = task(x.r, 300);
  expect_metric(fifo, Metric::latency, 1, 500, 500);
  expect_metric(fifo, Metric::response, 1, 10000, 10000);
  expect_metric(fifo, Metric::irq, 0);
  EXPECT_FALSE((*fifo)[Metric::irq].derived);
  expect_totals(x.r.trace, {}, false);
}

TEST(Traces, MissingSwitchInAfterIdle) {
  const Outcome x = analyze("missing_switch_in.txt");
  expect_read(x, 9, tracecmd);
  const TaskResult* ctl = task(x.r, 1234);
  expect_metric(ctl, Metric::latency, 1, 3000, 3000);
  expect_metric(ctl, Metric::response, 2, 10000, 30000, 20000);
  expect_metric(ctl, Metric::relief, 2, 10000, 30000, 20000);
  expect_totals(x.r.trace, {.implicit = 1, .unobserved_latency = 1});
}

void expect_lost_scenario(const Outcome& x) {
  const TaskResult* app = task(x.r, 100);
  expect_metric(app, Metric::latency, 1, 1000, 1000);
  expect_metric(app, Metric::response, 1, 5000, 5000);
  const TaskResult* log = task(x.r, 400);
  expect_metric(log, Metric::latency, 1, 3000, 3000);
  expect_metric(log, Metric::response, 1, 14000, 14000);
  const TaskResult* busy = task(x.r, 200);
  expect_metric(busy, Metric::latency, 0);
  expect_metric(busy, Metric::response, 0);
  expect_totals(
      x.r.trace,
      {.unobserved_latency = 1, .unobserved_response = 1, .lost_events = 12, .lost_markers = 1});
}

TEST(Traces, LostEventsTracefsForm) {
  const Outcome x = analyze("lost_tracefs.txt");
  expect_read(x, 12, tracefs);
  expect_lost_scenario(x);
}

TEST(Traces, LostEventsTraceCmdForm) {
  const Outcome x = analyze("lost_tracecmd.txt");
  expect_read(x, 12, tracecmd);
  expect_lost_scenario(x);
}

TEST(Traces, PidReuseMakesTwoTasks) {
  const Outcome x = analyze("pid_reuse.txt");
  expect_read(x, 9, tracecmd);
  ASSERT_EQ(x.r.tasks.size(), 3u);
  EXPECT_EQ(x.r.tasks[0].pid, 100);
  EXPECT_EQ(x.r.tasks[1].pid, 200);
  EXPECT_EQ(x.r.tasks[2].pid, 100);
  const TaskResult* old = task(x.r, 100, 0);
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(old->comm, "old");
  EXPECT_TRUE(old->exited);
  expect_metric(old, Metric::latency, 1, 1000, 1000);
  expect_metric(old, Metric::response, 0);
  const TaskResult* fresh = task(x.r, 100, 1);
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(fresh->comm, "launcher");
  EXPECT_FALSE(fresh->exited);
  expect_metric(fresh, Metric::latency, 1, 4000, 4000);
  expect_metric(fresh, Metric::response, 1, 19000, 19000);
  expect_metric(task(x.r, 200), Metric::latency, 0);
  expect_totals(x.r.trace, {});
}

TEST(Traces, WakeupOfARunningOrRunnableTaskStartsNothing) {
  const Outcome x = analyze("wakeup_running.txt");
  expect_read(x, 14, tracecmd);
  const TaskResult* app = task(x.r, 100);
  expect_metric(app, Metric::latency, 2, 1000, 2000, 1500);
  expect_metric(app, Metric::response, 2, 10000, 20000, 15000);
  const TaskResult* hog = task(x.r, 300);
  expect_metric(hog, Metric::latency, 1, 1000, 1000);
  expect_metric(hog, Metric::response, 1, 5000, 5000);
  expect_metric(task(x.r, 200), Metric::latency, 0);
  expect_totals(x.r.trace, {});
}

// The same scenario written by a 6.x kernel (raw 256 = preempted), a pre-4.14 kernel (raw
// 2048 = preempted) and as letters (R+): identical results.
class PrevStateGenerations : public ::testing::TestWithParam<std::pair<const char*, const char*>> {
};

TEST_P(PrevStateGenerations, SleepingVsPreempted) {
  const Outcome x = analyze(GetParam().first);
  expect_read(x, 10, GetParam().second);
  const TaskResult* app = task(x.r, 500);
  expect_metric(app, Metric::latency, 2, 1000, 2000, 1500);
  expect_metric(app, Metric::response, 2, 5000, 30000, 17500);
  const TaskResult* hog = task(x.r, 600);
  expect_metric(hog, Metric::latency, 1, 1000, 1000);
  expect_metric(hog, Metric::response, 1, 17000, 17000);
  expect_totals(x.r.trace, {});
}

INSTANTIATE_TEST_SUITE_P(Traces, PrevStateGenerations,
                         ::testing::Values(std::pair{"prev_state_6x_raw.txt", tracecmd},
                                           std::pair{"prev_state_pre414_raw.txt", tracecmd},
                                           std::pair{"prev_state_letters.txt", tracefs}));

Config slo_config() {
  Config c;
  c.slo(Metric::latency) = std::chrono::microseconds(50);
  c.slo(Metric::response) = std::chrono::microseconds(100);
  c.slo(1300, Metric::latency) = std::chrono::microseconds(60);
  return c;
}

TEST(Traces, SloCountsAtTheBoundAndOneNsOver) {
  const Outcome x = analyze("slo.txt", slo_config());
  expect_read(x, 14, tracecmd);
  const TaskResult* ctl = task(x.r, 1234);
  expect_metric(ctl, Metric::latency, 3, 10000, 50001, 110001.0 / 3);
  EXPECT_EQ((*ctl)[Metric::latency].slo_ns, 50000);
  EXPECT_EQ((*ctl)[Metric::latency].violations, 1u);
  expect_metric(ctl, Metric::response, 3, 20000, 100001, 220001.0 / 3);
  EXPECT_EQ((*ctl)[Metric::response].slo_ns, 100000);
  EXPECT_EQ((*ctl)[Metric::response].violations, 1u);
  EXPECT_FALSE((*ctl)[Metric::relief].slo_ns.has_value());
  EXPECT_EQ((*ctl)[Metric::relief].violations, 0u);
  const TaskResult* log = task(x.r, 1300);
  expect_metric(log, Metric::latency, 1, 50001, 50001);
  EXPECT_EQ((*log)[Metric::latency].slo_ns, 60000);
  EXPECT_EQ((*log)[Metric::latency].violations, 0u);
  expect_metric(log, Metric::response, 1, 60001, 60001);
  EXPECT_EQ((*log)[Metric::response].slo_ns, 100000);
  EXPECT_EQ((*log)[Metric::response].violations, 0u);
  ASSERT_EQ(x.violations.size(), 2u);
  EXPECT_EQ(x.violations[0].pid, 1234);
  EXPECT_EQ(x.violations[0].metric, Metric::latency);
  EXPECT_EQ(x.violations[0].value_ns, 50001);
  EXPECT_EQ(x.violations[0].start_ns, at(1000));
  EXPECT_EQ(x.violations[0].end_ns, at(1050.001));
  EXPECT_TRUE(x.violations[0].violation);
  EXPECT_EQ(x.violations[1].pid, 1234);
  EXPECT_EQ(x.violations[1].metric, Metric::response);
  EXPECT_EQ(x.violations[1].value_ns, 100001);
}

std::string cli_path() {
  if (const char* p = std::getenv("RTLAT_CLI")) return p;
  return std::string(RTLAT_BINARY_DIR) + "/examples/rtlat";
}

int cli_exit_code(const std::string& args) {
  const std::string cmd = "'" + cli_path() + "' " + args + " >/dev/null 2>&1";
  const int st = std::system(cmd.c_str());
  return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(Traces, SloViolationMakesTheCliExit3) {
  ASSERT_TRUE(std::filesystem::exists(cli_path())) << cli_path();
  const std::string trace = "'" + trace_path("slo.txt") + "'";
  EXPECT_EQ(cli_exit_code("report --slo latency=50us --slo response=100us "
                          "--slo 1300:latency=60us --fail-on-violation " +
                          trace),
            3);
  // Every sample at or under its bound: no violation.
  EXPECT_EQ(cli_exit_code("report --slo latency=50001ns --slo response=100001ns "
                          "--fail-on-violation " +
                          trace),
            0);
}

TEST(Traces, HrtimerMarkersCountUntilTheFirstSyscallMarker) {
  const Outcome x = analyze("hrtimer_markers.txt");
  expect_read(x, 30, tracecmd);
  const TaskResult* ctl = task(x.r, 1234);
  expect_metric(ctl, Metric::relief, 4, 51000, 151000, 101000);
  expect_p50_near(ctl, Metric::relief, 51000);
  expect_metric(ctl, Metric::latency, 6, 1000, 1000, 1000);
  expect_metric(ctl, Metric::response, 6, 51000, 51000, 51000);
  expect_totals(x.r.trace, {});
}

TEST(Traces, WakingModeMeasuresFromSchedWaking) {
  const Outcome wakeup = analyze("waking.txt");
  expect_read(wakeup, 9, tracecmd);
  const TaskResult* a = task(wakeup.r, 100);
  expect_metric(a, Metric::latency, 2, 500, 4000, 2250);
  expect_metric(a, Metric::response, 2, 7500, 9000, 8250);

  Config c;
  c.wakeup_event = WakeupEvent::waking;
  const Outcome waking = analyze("waking.txt", c);
  const TaskResult* b = task(waking.r, 100);
  expect_metric(b, Metric::latency, 2, 3000, 5000, 4000);
  expect_metric(b, Metric::response, 2, 10000, 10000, 10000);
  expect_totals(waking.r.trace, {});
}

TEST(Traces, TimeGoingBackwardsNamesFileAndLine) {
  const std::string path = trace_path("backwards.txt");
  Analyzer a;
  TextOptions opts;
  opts.arch = "x86_64";
  TextSource src(path, opts);
  try {
    src.read(a);
    FAIL() << "expected rtlat::InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.where(), "line 15");
    EXPECT_NE(e.reason().find("backwards on CPU 0"), std::string::npos) << e.reason();
    EXPECT_NE(e.reason().find("100.000019999"), std::string::npos) << e.reason();
  }
  EXPECT_EQ(src.info().events, 4u);
  // CPU 1's two events, older than CPU 0's, were sorted into place by the reorder window, which
  // still held all four when the input was rejected: nothing reached the engine.
  EXPECT_EQ(a.results().trace.events, 0u);
  EXPECT_EQ(a.results().trace.out_of_order, 0u);
  // The CLI turns it into exit 2 (an input error).
  EXPECT_EQ(cli_exit_code("report '" + path + "'"), 2);
}

TEST(Traces, WorstWindowOfALatencySample) {
  constexpr auto wakeup = EventKind::sched_wakeup;
  constexpr auto sw = EventKind::sched_switch;
  const Shown start{wakeup, at(21), 1, 80};
  const Shown irq_in{EventKind::irq_entry, at(22), 0, 0};
  const Shown wake_hog{wakeup, at(23), 0, 0};
  const Shown irq_out{EventKind::irq_exit, at(23.5), 0, 0};
  const Shown to_hog{sw, at(24), 0, 0};
  const Shown to_ctl{sw, at(60), 0, 600};
  const Shown ctl_read{EventKind::syscall, at(61), 0, 1234};
  const Shown ctl_sleep{sw, at(62), 0, 1234};

  const Outcome x = analyze("window.txt");
  expect_read(x, 15, tracecmd);
  const TaskResult* ctl = task(x.r, 1234);
  expect_metric(ctl, Metric::latency, 2, 2000, 39000, 20500);
  expect_metric(ctl, Metric::response, 2, 3000, 41000, 22000);
  const TaskResult* hog = task(x.r, 600);
  expect_metric(hog, Metric::latency, 1, 1000, 1000);
  expect_metric(hog, Metric::response, 1, 37000, 37000);

  const auto& lw = (*ctl)[Metric::latency].worst;
  ASSERT_TRUE(lw.has_value());
  EXPECT_EQ(lw->start_ns, at(21));
  EXPECT_EQ(lw->end_ns, at(60));
  EXPECT_EQ(lw->cpu, 0);
  expect_window(*lw, 0, {start, irq_in, wake_hog, irq_out, to_hog, to_ctl});
  EXPECT_EQ(lw->events[5].sw.next_pid, 1234);
  EXPECT_EQ(lw->events[4].sw.next_pid, 600);
  const auto& rw = (*ctl)[Metric::response].worst;
  ASSERT_TRUE(rw.has_value());
  expect_window(*rw, 0, {start, irq_in, wake_hog, irq_out, to_hog, to_ctl, ctl_read, ctl_sleep});

  Config c;
  c.window = 5;
  const Outcome small = analyze("window.txt", c);
  const TaskResult* ctl5 = task(small.r, 1234);
  ASSERT_NE(ctl5, nullptr);
  ASSERT_TRUE((*ctl5)[Metric::latency].worst.has_value());
  expect_window(*(*ctl5)[Metric::latency].worst, 1, {start, wake_hog, irq_out, to_hog, to_ctl});
  ASSERT_TRUE((*ctl5)[Metric::response].worst.has_value());
  expect_window(*(*ctl5)[Metric::response].worst, 3, {start, to_hog, to_ctl, ctl_read, ctl_sleep});
}

// ---- Traces as other machines record them ---------------------------------------------------

std::string slurp_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// `text` with every line for which keep(line) is false removed, and after every event line the
// lines add(line) returns; written to a scratch file whose path is returned.
template <class Keep, class Add>
std::string rewritten(const std::string& name, const std::string& text, Keep keep, Add add) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t nl = text.find('\n', at);
    const std::string line = text.substr(at, nl == std::string::npos ? nl : nl - at);
    at = nl == std::string::npos ? text.size() : nl + 1;
    if (!keep(line)) continue;
    out += line + '\n';
    out += add(line);
  }
  const std::string path =
      (std::filesystem::temp_directory_path() / ("rtlat-traces-" + name)).string();
  std::ofstream(path, std::ios::binary) << out;
  return path;
}

Outcome analyze_path(const std::string& path, Config cfg = {}) {
  Outcome out;
  Analyzer a(std::move(cfg));
  TextOptions opts;
  opts.arch = "x86_64";
  TextSource src(path, opts);
  src.read(a);
  out.r = a.results();
  out.info = src.info();
  return out;
}

bool has(const std::string& line, const char* what) {
  return line.find(what) != std::string::npos;
}

// Same tasks, same sample counts and worst values, same implicit switches and unobserved counts.
void expect_same_results(const Results& a, const Results& b) {
  expect_totals(b.trace, {a.trace.implicit_switches, a.trace.unobserved_latency,
                          a.trace.unobserved_response, a.trace.unobserved_relief,
                          a.trace.unobserved_irq, a.trace.lost_events, a.trace.lost_event_markers});
  ASSERT_EQ(a.tasks.size(), b.tasks.size());
  for (std::size_t i = 0; i < a.tasks.size(); ++i) {
    SCOPED_TRACE(a.tasks[i].comm);
    EXPECT_EQ(a.tasks[i].pid, b.tasks[i].pid);
    for (Metric m : all_metrics) {
      EXPECT_EQ(a.tasks[i][m].count, b.tasks[i][m].count);
      EXPECT_EQ(a.tasks[i][m].max_ns, b.tasks[i][m].max_ns);
    }
  }
}

// A trace that recorded sched_waking but not sched_wakeup: sched_waking starts latency and
// response (waking.txt's --wakeup-event waking numbers), and the results say so.
TEST(Traces, WakingWithoutWakeupStandsInForIt) {
  const std::string path = rewritten(
      "waking-only.txt", slurp_file(trace_path("waking.txt")),
      [](const std::string& l) { return !has(l, "sched_wakeup:"); },
      [](const std::string&) { return std::string(); });
  const Outcome x = analyze_path(path);
  EXPECT_EQ(x.info.events, 7u);
  const TaskResult* a = task(x.r, 100);
  expect_metric(a, Metric::latency, 2, 3000, 5000, 4000);
  expect_metric(a, Metric::response, 2, 10000, 10000, 10000);
  EXPECT_TRUE(x.r.trace.waking_fallback);
  EXPECT_FALSE(x.r.trace.missing.wakeups);

  // With both events sched_wakeup starts them, also for the wakeups whose sched_waking came
  // before the first sched_wakeup (waking.txt's first cycle).
  const Outcome both = analyze("waking.txt");
  expect_metric(task(both.r, 100), Metric::latency, 2, 500, 4000, 2250);
  EXPECT_FALSE(both.r.trace.waking_fallback);

  // A source that knows sched_wakeup was recorded (trace.dat formats) keeps to it.
  Analyzer known;
  SourceInfo info;
  info.wakeup_events_recorded = true;
  known.set_source(info);
  TextOptions opts;
  TextSource src(path, opts);
  src.read(known);
  EXPECT_EQ((*task(known.results(), 100))[Metric::latency].count, 0u);
  EXPECT_TRUE(known.results().trace.missing.wakeups);
  EXPECT_FALSE(known.results().trace.waking_fallback);
}

// demo.txt has sched_waking and sched_wakeup from the start: its results are those of the same
// trace without its sched_waking lines, so sched_waking standing in until the first sched_wakeup
// changes no sample.
TEST(Traces, WakingStandsInOnlyUntilTheFirstWakeup) {
  const std::string demo = std::string(RTLAT_SOURCE_DIR) + "/data/demo.txt";
  const std::string text = slurp_file(demo);
  ASSERT_LT(text.find("sched_waking:"), text.find("sched_wakeup:"));
  const std::string without = rewritten(
      "demo-no-waking.txt", text, [](const std::string& l) { return !has(l, "sched_waking:"); },
      [](const std::string&) { return std::string(); });
  const Outcome a = analyze_path(demo);
  const Outcome b = analyze_path(without);
  EXPECT_FALSE(a.r.trace.waking_fallback);
  expect_same_results(b.r, a.r);
}

// trace-cmd record -T adds a kernel_stack (and user_stack) event after every event, in that
// event's context: the one after a sched_switch names the task that just left the CPU. They
// prove nothing about who runs, so the trace gives what it gives without them.
TEST(Traces, StackEventsDoNotMoveTasks) {
  const std::string demo = std::string(RTLAT_SOURCE_DIR) + "/data/demo.txt";
  const std::string text = slurp_file(demo);
  auto stacks = [](const std::string& l) {
    const std::size_t colon = l.find(": ", l.find("] "));
    if (l.empty() || l[0] == '#' || l.find("] ") == std::string::npos || colon == std::string::npos)
      return std::string();
    const std::string head = l.substr(0, colon + 2);  // "comm-pid [cpu] ts: "
    return head + "kernel_stack:         <stack trace >\n=> __schedule (ffffffff8224a1b0)\n" +
           "=> schedule (ffffffff8224a8a3)\n" + head +
           "user_stack:           <user stack trace>\n=>  <00007f9a1f33be00>\n";
  };
  const std::string with = rewritten(
      "demo-stacks.txt", text, [](const std::string&) { return true; }, stacks);
  const Outcome a = analyze_path(demo);
  const Outcome b = analyze_path(with);
  EXPECT_EQ(b.info.events, 3 * a.info.events);
  EXPECT_EQ(b.info.skipped, 0u);  // "=>" lines belong to their stack event
  expect_same_results(a.r, b.r);
  std::uint64_t latency = 0;
  for (const TaskResult& t : b.r.tasks) latency += t[Metric::latency].count;
  EXPECT_GT(latency, 100u);
}

// In tracefs text the flags column marks an event from NMI context ('z', 'Z'): one that lands
// between a switch's record and the switch names the task switched out.
TEST(Traces, NmiEventsDoNotMoveTasks) {
  const std::string head = "# tracer: nop\n";
  const std::string lines =
      "             app-100     [000] d..2.   100.000000: sched_switch: prev_comm=app "
      "prev_pid=100 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120\n"
      "             app-100     [000] d.z2.   100.000001: nmi_handler: "
      "handler=perf_event_nmi_handler "
      "delta_ns=1000 handled=1\n"
      "            busy-200     [001] d..2.   100.000010: sched_wakeup: comm=app pid=100 "
      "prio=120 target_cpu=000\n"
      "          <idle>-0       [000] d..2.   100.000015: sched_switch: prev_comm=swapper/0 "
      "prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=app next_pid=100 next_prio=120\n";
  const std::string path = rewritten(
      "nmi.txt", head + lines, [](const std::string&) { return true; },
      [](const std::string&) { return std::string(); });
  const Outcome x = analyze_path(path);
  EXPECT_EQ(x.info.events, 4u);
  expect_totals(x.r.trace, {});
  expect_metric(task(x.r, 100), Metric::latency, 1, 5000, 5000, 5000);
}

}  // namespace
