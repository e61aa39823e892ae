// Live mode on this machine: `rtlat live` (RTLAT_CLI) over the workloads of examples/workloads,
// and rtlat::LiveSource in process. Needs root and a kernel with tracefs (mounted here if it is
// not); elsewhere every test is skipped with the reason (SKIP_UNLESS_LIVE).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "rtlat/analyze.hpp"
#include "rtlat/detail/live/instance.hpp"
#include "rtlat/detail/live/reader.hpp"
#include "rtlat/report/json.hpp"
#include "rtlat/source/live.hpp"
#include "support/skip.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

extern char** environ;

namespace {

// Where tracefs is, as rtlat finds it (libtracefs; mounted by the first lookup if need be).
fs::path instances_dir() {
  const char* dir = tracefs_tracing_dir();
  return fs::path(dir != nullptr ? dir : "/sys/kernel/tracing") / "instances";
}

// The kernel has tracefs (CONFIG_FTRACE), mounted or not.
bool kernel_has_tracefs() {
  std::ifstream in("/proc/filesystems");
  std::string line;
  while (std::getline(in, line))
    if (line.size() >= 7 && line.compare(line.size() - 7, 7, "tracefs") == 0 &&
        (line.size() == 7 || line[line.size() - 8] == '\t'))
      return true;
  return false;
}

// Ends the test unless a live session can start here, by rtlat's own check, which mounts tracefs
// where it is missing. Without root or on a kernel without tracefs the tests cannot run: a skip.
// As root on a kernel with tracefs, rtlat live works, so a refusal is a defect of this machine or
// of the check: a failure under RTLAT_TEST_NO_SKIP (scripts/test), like any other skip.
#define SKIP_UNLESS_LIVE()                                                                  \
  do {                                                                                      \
    if (const std::string why = rtlat::detail::live::why_no_live_session(); !why.empty()) { \
      if (::geteuid() != 0) GTEST_SKIP() << why;                                            \
      if (!kernel_has_tracefs())                                                            \
        GTEST_SKIP() << why << " (this kernel lists no tracefs in /proc/filesystems)";      \
      RTLAT_SKIP(why);                                                                      \
    }                                                                                       \
  } while (0)

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool instance_exists(pid_t pid) {
  return fs::exists(instances_dir() / ("rtlat-" + std::to_string(pid)));
}

struct Proc {
  pid_t pid = -1;
  fs::path out, err;
};

class Live : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* cli = std::getenv("RTLAT_CLI");
    ASSERT_NE(cli, nullptr) << "RTLAT_CLI is not set (tests/CMakeLists.txt sets it)";
    cli_ = cli;
    wl_ = fs::path(RTLAT_BINARY_DIR) / "examples" / "workloads";
    std::string tmpl = (fs::temp_directory_path() / "rtlat_live_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Starts the CLI with `args`, stdout and stderr to files.
  Proc start(const std::vector<std::string>& args, const std::string& tag = "run") {
    Proc p;
    p.out = dir_ / (tag + ".out");
    p.err = dir_ / (tag + ".err");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, p.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, p.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> all{cli_};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&p.pid, cli_.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    EXPECT_EQ(rc, 0);
    started_.push_back(p.pid);
    return p;
  }
  static int wait(const Proc& p) {
    int st = 0;
    ::waitpid(p.pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  int run(const std::vector<std::string>& args, std::string* out = nullptr,
          std::string* err = nullptr) {
    const Proc p = start(args);
    const int rc = wait(p);
    if (out) *out = slurp(p.out);
    if (err) *err = slurp(p.err);
    return rc;
  }
  static bool wait_for_instance(pid_t pid) {
    for (int i = 0; i < 200 && !instance_exists(pid); ++i) std::this_thread::sleep_for(25ms);
    return instance_exists(pid);
  }

  std::string wl(const char* name) const { return (wl_ / name).string(); }

  // The instances that runs this test started left behind. Only its own: other tests (ctest -j)
  // or a user's `rtlat live` may own instances at the same time.
  std::vector<std::string> rtlat_instances() const {
    std::vector<std::string> v;
    for (pid_t pid : started_)
      if (instance_exists(pid)) v.push_back("rtlat-" + std::to_string(pid));
    return v;
  }

  std::string cli_;
  std::vector<pid_t> started_;
  fs::path wl_, dir_;
};

// "rt-healthy: n=1000 worst=..." -> 1000
std::uint64_t loops_of(const std::string& out, const std::string& thread) {
  std::smatch m;
  const std::regex re(thread + ": n=([0-9]+)");
  if (!std::regex_search(out, m, re)) return 0;
  return std::stoull(m[1]);
}

const rtlat::TaskResult* task(const rtlat::Results& r, const std::string& comm) {
  for (const rtlat::TaskResult& t : r.tasks)
    if (t.comm == comm) return &t;
  return nullptr;
}

// Activations that never slept: on a loaded machine a late loop's timer can expire before the
// task has switched out of clock_nanosleep (the wakeup finds it still running), so there is no
// sleep and no latency to measure; the workload counts the activation all the same. Seen here:
// as many sys_enter markers as activations, and that many fewer switch-outs.
std::uint64_t slack(std::uint64_t n) {
  return std::max<std::uint64_t>(3, n / 100);
}

// JSON of a report with the one part a saved file cannot reproduce blanked: the source name.
std::string comparable(const std::string& json) {
  return std::regex_replace(json, std::regex("\"source\": \"[^\"]*\""), "\"source\": \"\"");
}

// trace-cmd, when installed, reads a --save file without an error or a warning (rtlat's own
// tgid option among the ones it does not know). Returns what went wrong, "" when nothing did.
// Without trace-cmd that check is skipped, except under RTLAT_TEST_NO_SKIP (support/skip.hpp).
std::string trace_cmd_reads(const fs::path& dat, const fs::path& dir) {
  if (::access("/usr/bin/trace-cmd", X_OK) != 0)
    return rtlat::test::skips_are_failures()
               ? "/usr/bin/trace-cmd missing, and a skipped check is a failure under " +
                     std::string(rtlat::test::no_skip_variable)
               : "";
  for (const char* cmd : {"report", "dump"}) {
    const fs::path err = dir / (std::string("trace-cmd-") + cmd + ".err");
    const std::string line = std::string("/usr/bin/trace-cmd ") + cmd + " '" + dat.string() +
                             "' >/dev/null 2>'" + err.string() + "'";
    const int rc = std::system(line.c_str());
    const std::string e = slurp(err);
    if (rc != 0 || !e.empty())
      return std::string("trace-cmd ") + cmd + ": status " + std::to_string(rc) + ", " + e;
  }
  return "";
}

// The clock `trace-cmd dump --clock` shows selected in a version 6 file: the bracketed one in
// the text it reads after the CPU table, "" when it reads none (no TRACECLOCK option).
std::string trace_cmd_v6_clock(const fs::path& dat, const fs::path& dir) {
  const fs::path out = dir / "trace-cmd-clock.out";
  const std::string line =
      "/usr/bin/trace-cmd dump --clock '" + dat.string() + "' >'" + out.string() + "' 2>/dev/null";
  if (std::system(line.c_str()) != 0) return "";
  const std::string text = slurp(out);
  const std::size_t at = text.find("[Tracing clock]");
  if (at == std::string::npos) return "";
  const std::size_t a = text.find('[', at + 1), b = text.find(']', a);
  return a == std::string::npos || b == std::string::npos ? "" : text.substr(a + 1, b - a - 1);
}

TEST_F(Live, WithoutRootOneLineAndExit2) {
  SKIP_UNLESS_LIVE();
  if (::access("/usr/bin/setpriv", X_OK) != 0) RTLAT_SKIP("/usr/bin/setpriv (util-linux) missing");
  const Proc p = [&] {
    std::vector<std::string> a{
        "--reuid=nobody", "--regid=nogroup", "--clear-groups", cli_, "live", "--duration", "1s"};
    Proc q;
    q.out = dir_ / "nobody.out";
    q.err = dir_ / "nobody.err";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, q.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, q.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> all{"/usr/bin/setpriv"};
    all.insert(all.end(), a.begin(), a.end());
    std::vector<char*> argv;
    for (std::string& s : all) argv.push_back(s.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&q.pid, "/usr/bin/setpriv", &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    return q;
  }();
  EXPECT_EQ(wait(p), 2);
  const std::string e = slurp(p.err);
  EXPECT_EQ(std::count(e.begin(), e.end(), '\n'), 1) << e;
  EXPECT_NE(e.find("needs root"), std::string::npos) << e;
  EXPECT_TRUE(slurp(p.out).empty());
}

// The healthy 1 ms loop: every activation is a latency and a relief sample, or counted as
// unobserved; the saved trace.dat gives the same report; nothing is left in tracefs.
TEST_F(Live, HealthyLoopCountsAndSavedFileReportsTheSame) {
  SKIP_UNLESS_LIVE();
  const fs::path json = dir_ / "live.json", dat = dir_ / "live.dat";
  std::string out, err;
  const int rc = run(
      {"live", "--comm", "^rt-healthy$", "--slo", "latency=5ms", "--format", "json", "-o",
       json.string(), "--save", dat.string(), "--", wl("wl_healthy"), "--seconds", "1", "--filler"},
      &out, &err);
  ASSERT_EQ(rc, 0) << err;
  const std::uint64_t n = loops_of(out, "rt-healthy");
  ASSERT_GT(n, 900u) << out;
  EXPECT_TRUE(rtlat_instances().empty());

  // The saved file, read by the library: its report is the live one (byte for byte, but for
  // the source name), tgids included: the file carries the ones live mode learned.
  rtlat::Config cfg;
  cfg.selection.comm = [](std::string_view c) { return c == "rt-healthy"; };
  cfg.slo(rtlat::Metric::latency) = 5ms;
  rtlat::FileSource src = rtlat::open(dat.string());
  const rtlat::Results r = rtlat::analyze(src, cfg);
  std::string rep_err;
  const fs::path rep = dir_ / "report.json";
  ASSERT_EQ(run({"report", dat.string(), "--comm", "^rt-healthy$", "--slo", "latency=5ms",
                 "--format", "json", "-o", rep.string()},
                nullptr, &rep_err),
            0)
      << rep_err;
  const std::string live_json = slurp(json);
  EXPECT_EQ(comparable(live_json), comparable(slurp(rep)));
  EXPECT_NE(live_json.find("\"tgid\": "), std::string::npos);
  EXPECT_EQ(live_json.find("\"tgid\": null"), std::string::npos) << "live mode knows tgids";
  EXPECT_FALSE(rtlat::detail::tracedat_meta(rtlat::TraceDatSource(dat.string())).tgids.empty());
  EXPECT_EQ(trace_cmd_reads(dat, dir_), "");

  const rtlat::TaskResult* t = task(r, "rt-healthy");
  ASSERT_NE(t, nullptr);
  const rtlat::MetricResult& lat = (*t)[rtlat::Metric::latency];
  const rtlat::MetricResult& rel = (*t)[rtlat::Metric::relief];
  // n activations: n wakeups from a timer sleep (plus the thread's first wakeup), n - 1 whole
  // periods between timer sleeps. The engine drops, and counts, what it could not observe.
  const std::uint64_t lat_seen = lat.count + r.trace.unobserved_latency;
  EXPECT_GE(lat_seen, n - slack(n));
  EXPECT_LE(lat_seen, n + 2);
  EXPECT_GE(rel.count + r.trace.unobserved_relief + 1, n - 1 - slack(n));
  EXPECT_LE(rel.count, n);
  EXPECT_GT(lat.count, n * 9 / 10);
  EXPECT_EQ(r.trace.lost_events, 0u);
  EXPECT_EQ(r.trace.out_of_order, 0u);
  // A healthy FIFO 80 loop on a 1 ms period: median latency well under a period.
  ASSERT_TRUE(lat.p50_ns.has_value());
  EXPECT_LT(*lat.p50_ns, 500000);
}

// The whole system, with processes that start, exit and are freed between two reads of
// saved_tgids (the engine never gets their tgids; the saved file's readers must not either): the
// saved file's report is the live one, byte for byte but for the source name.
TEST_F(Live, WholeSystemSavedFileReportsTheSame) {
  SKIP_UNLESS_LIVE();
  const fs::path json = dir_ / "all.json", dat = dir_ / "all.dat";
  const Proc p = start({"live", "--duration", "2s", "--format", "json", "-o", json.string(),
                        "--save", dat.string()});
  ASSERT_TRUE(wait_for_instance(p.pid));
  for (int i = 0; i < 40; ++i) {
    pid_t child = -1;
    char arg0[] = "true";
    char* argv[] = {arg0, nullptr};
    ASSERT_EQ(posix_spawn(&child, "/bin/true", nullptr, nullptr, argv, environ), 0);
    ::waitpid(child, nullptr, 0);
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(wait(p), 0) << slurp(p.err);
  std::string rep_err;
  const fs::path rep = dir_ / "report.json";
  ASSERT_EQ(
      run({"report", dat.string(), "--format", "json", "-o", rep.string()}, nullptr, &rep_err), 0)
      << rep_err;
  const std::string live_json = slurp(json);
  EXPECT_EQ(comparable(live_json), comparable(slurp(rep)));
  // Both kinds are there: tasks with a tgid, and the short-lived ones without.
  EXPECT_NE(live_json.find("\"tgid\": null, \"comm\": \"true\""), std::string::npos);
  EXPECT_TRUE(std::regex_search(live_json, std::regex("\"tgid\": [0-9]+")));
  EXPECT_EQ(trace_cmd_reads(dat, dir_), "");
}

// Misconfigured priorities: ctl-loop (FIFO 80) waits milliseconds behind bg-hog (FIFO 90), and
// its worst latency window shows bg-hog running.
TEST_F(Live, MisprioShowsMillisecondsBehindTheFifo90Task) {
  SKIP_UNLESS_LIVE();
  const fs::path dat = dir_ / "misprio.dat";
  std::string out, err;
  ASSERT_EQ(run({"live", "--comm", "^(ctl-loop|bg-hog)$", "--format", "json", "-o",
                 (dir_ / "m.json").string(), "--save", dat.string(), "--", wl("wl_misprio"),
                 "--seconds", "1", "--filler"},
                &out, &err),
            0)
      << err;
  rtlat::Config cfg;
  rtlat::FileSource src = rtlat::open(dat.string());
  const rtlat::Results r = rtlat::analyze(src, cfg);
  const rtlat::TaskResult* loop = task(r, "ctl-loop");
  const rtlat::TaskResult* hog = task(r, "bg-hog");
  ASSERT_NE(loop, nullptr);
  ASSERT_NE(hog, nullptr);
  const rtlat::MetricResult& lat = (*loop)[rtlat::Metric::latency];
  ASSERT_TRUE(lat.max_ns.has_value());
  EXPECT_GT(*lat.max_ns, 1000000) << "ctl-loop's worst latency should be over 1 ms";
  // Who held the CPU: the task the switch that ends each sample switches away from. Most long
  // waits are behind bg-hog (a loaded or virtual machine adds some stalls of its own).
  struct Who {
    rtlat::Analyzer& engine;
    const rtlat::Event* current = nullptr;
    void feed(const rtlat::Event& e) {
      current = &e;
      engine.feed(e);
    }
    void task_info(const rtlat::TaskInfo& t) { engine.task_info(t); }
  };
  std::uint64_t long_waits = 0, behind_hog = 0;
  std::int64_t worst_behind_hog = 0;
  rtlat::Config watch;
  Who* who_ptr = nullptr;
  const rtlat::Pid loop_pid = loop->pid, hog_pid = hog->pid;
  watch.on_sample = [&](const rtlat::Sample& smp) {
    if (smp.pid != loop_pid || smp.metric != rtlat::Metric::latency || smp.value_ns < 1000000)
      return;
    ++long_waits;
    const rtlat::Event* e = who_ptr->current;
    if (e->kind == rtlat::EventKind::sched_switch && e->sw.prev_pid == hog_pid) {
      ++behind_hog;
      worst_behind_hog = std::max(worst_behind_hog, smp.value_ns);
    }
  };
  rtlat::Analyzer engine(watch);
  Who who{engine};
  who_ptr = &who;
  rtlat::FileSource again_src = rtlat::open(dat.string());
  engine.set_source(again_src.info());
  again_src.read(who);
  EXPECT_GE(long_waits, 10u);
  EXPECT_GE(behind_hog * 10, long_waits * 8) << behind_hog << " of " << long_waits;
  // When the worst wait was one behind bg-hog, its window shows bg-hog running.
  ASSERT_TRUE(lat.worst.has_value());
  if (*lat.max_ns == worst_behind_hog) {
    bool hog_in_window = false;
    for (const rtlat::Event& e : lat.worst->events)
      if (e.common_pid == hog_pid ||
          (e.kind == rtlat::EventKind::sched_switch && e.sw.prev_pid == hog_pid))
        hog_in_window = true;
    EXPECT_TRUE(hog_in_window) << "bg-hog is not in ctl-loop's worst latency window";
  }
  const std::uint64_t n = loops_of(out, "ctl-loop");
  ASSERT_GT(n, 400u) << out;
  // The counts of ctl-loop alone (unobserved samples are counted over the selection).
  rtlat::Config only;
  only.selection.comm = [](std::string_view c) { return c == "ctl-loop"; };
  rtlat::FileSource again = rtlat::open(dat.string());
  const rtlat::Results rl = rtlat::analyze(again, only);
  ASSERT_EQ(rl.tasks.size(), 1u);
  const std::uint64_t seen =
      rl.tasks[0][rtlat::Metric::latency].count + rl.trace.unobserved_latency;
  EXPECT_GE(seen, n - slack(n));
  EXPECT_LE(seen, n + 2);
}

TEST_F(Live, OnViolationExitStopsWithStatus3) {
  SKIP_UNLESS_LIVE();
  std::string out, err;
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = run({"live", "--comm", "^ctl-loop$", "--slo", "latency=500us", "--on-violation",
                      "exit", "--format", "json", "--", wl("wl_misprio"), "--seconds", "5"},
                     &out, &err);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(rc, 3) << err;
  EXPECT_LT(took, 4s) << "it should stop at the first violation, not at the command's end";
  EXPECT_NE(err.find("rtlat: violation "), std::string::npos) << err;
  EXPECT_NE(err.find("ctl-loop/"), std::string::npos) << err;
  EXPECT_NE(err.find(" latency "), std::string::npos) << err;
  EXPECT_NE(err.find("> 500.0us"), std::string::npos) << err;
  EXPECT_NE(out.find("\"comm\": \"ctl-loop\""), std::string::npos) << "final report missing";
  EXPECT_TRUE(rtlat_instances().empty());
}

TEST_F(Live, CommandExitStatusIsReturned) {
  SKIP_UNLESS_LIVE();
  std::string err;
  EXPECT_EQ(
      run({"live", "-o", (dir_ / "r.txt").string(), "--", "/bin/sh", "-c", "sleep 0.2; exit 7"},
          nullptr, &err),
      7)
      << err;
  EXPECT_TRUE(rtlat_instances().empty());
}

// Without a selection, a command's report holds the command's tasks only: other tasks' events
// are recorded only where they meet the command's, too few to measure them.
TEST_F(Live, CommandWithoutSelectionReportsItsOwnTasks) {
  SKIP_UNLESS_LIVE();
  std::string out, err;
  ASSERT_EQ(
      run({"live", "--format", "json", "--", wl("wl_healthy"), "--seconds", "0.5", "--filler"},
          &out, &err),
      0)
      << err;
  std::set<std::string> comms;
  const std::regex re("\\{\"pid\": [0-9]+, \"tgid\": [0-9a-z]+, \"comm\": \"([^\"]*)\"");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), re); it != std::sregex_iterator();
       ++it)
    comms.insert((*it)[1]);
  EXPECT_TRUE(comms.count("rt-healthy")) << out.substr(0, 2000);
  for (const std::string& c : comms)
    EXPECT_TRUE(c == "rt-healthy" || c == "cfs-filler" || c == "wl_healthy") << c;
}

TEST_F(Live, JsonlOneObjectPerIntervalThenTheFinalReport) {
  SKIP_UNLESS_LIVE();
  std::string out, err;
  ASSERT_EQ(run({"live", "--format", "jsonl", "--interval", "200ms", "--comm", "^rt-healthy$", "--",
                 wl("wl_healthy"), "--seconds", "1"},
                &out, &err),
            0)
      << err;
  std::istringstream is(out);
  std::vector<std::string> json;
  for (std::string l; std::getline(is, l);)
    if (!l.empty() && l.front() == '{') json.push_back(l);
  ASSERT_GE(json.size(), 4u) << out;
  long long prev_end = -1;
  for (std::size_t i = 0; i + 1 < json.size(); ++i) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(json[i], m,
                                  std::regex("^\\{\"interval_start_ns\":([0-9]+),"
                                             "\"interval_end_ns\":(-?[0-9]+),\"trace\":")))
        << json[i];
    const long long start = std::stoll(m[1]), end = std::stoll(m[2]);
    if (prev_end >= 0) {
      EXPECT_EQ(start, prev_end);
    }
    EXPECT_GE(end, start);
    prev_end = end;
  }
  EXPECT_EQ(json.back().rfind("{\"final\":true,\"trace\":", 0), 0u) << json.back();
  EXPECT_NE(json.back().find("\"comm\":\"rt-healthy\""), std::string::npos);
}

// A context-switch storm on every CPU: the merge delivers nothing out of order (no CPU held an
// older event than one already delivered). Whether the reader keeps up depends on the build
// (sanitizers slow it several times) and on the machine's load; what it could not read must be
// reported as lost, with markers, never silently missing.
TEST_F(Live, SwitchStormIsMergedInOrderAndLossesAreMarked) {
  SKIP_UNLESS_LIVE();
  if (::access("/usr/bin/stress-ng", X_OK) != 0) RTLAT_SKIP("/usr/bin/stress-ng missing");
  const fs::path json = dir_ / "storm.json";
  std::string err;
  ASSERT_EQ(run({"live", "--format", "json", "-o", json.string(), "--", "/usr/bin/stress-ng",
                 "--switch", "2", "--timeout", "2"},
                nullptr, &err),
            0)
      << err;
  const std::string j = slurp(json);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(j, m, std::regex("\"events\": ([0-9]+)")));
  EXPECT_GT(std::stoull(m[1]), 100000u) << "a switch storm makes many events";
  EXPECT_NE(j.find("\"out_of_order\": 0,"), std::string::npos) << j.substr(0, 600);
  ASSERT_TRUE(std::regex_search(j, m, std::regex("\"lost_events\": ([0-9]+)")));
  const std::uint64_t lost = std::stoull(m[1]);
  ASSERT_TRUE(std::regex_search(j, m, std::regex("\"lost_event_markers\": ([0-9]+)")));
  EXPECT_EQ(lost == 0, std::stoull(m[1]) == 0) << "losses come with markers";
  EXPECT_TRUE(rtlat_instances().empty());
}

// Signals: the instance goes on SIGINT and SIGTERM, and the report is still written.
TEST_F(Live, SigintAndSigtermRemoveTheInstance) {
  SKIP_UNLESS_LIVE();
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    const Proc p = start({"live", "--duration", "60s"}, "sig" + std::to_string(sig));
    ASSERT_TRUE(wait_for_instance(p.pid)) << slurp(p.err);
    std::this_thread::sleep_for(300ms);
    ::kill(p.pid, sig);
    EXPECT_EQ(wait(p), 0) << slurp(p.err);
    EXPECT_FALSE(instance_exists(p.pid)) << "signal " << sig;
    EXPECT_NE(slurp(p.out).find("rtlat report: live"), std::string::npos) << "signal " << sig;
  }
  // With a command: SIGTERM reaches it too, and rtlat returns its status; also when the signal
  // comes while tracing is still being set up (the command was never let go).
  for (auto delay : {300ms, 0ms}) {
    const Proc p = start({"live", "--", "/bin/sleep", "60"}, "sigcmd");
    ASSERT_TRUE(wait_for_instance(p.pid));
    std::this_thread::sleep_for(delay);
    ::kill(p.pid, SIGTERM);
    const int rc = wait(p);
    EXPECT_TRUE(rc == 128 + SIGTERM || rc == 127) << rc << ": " << slurp(p.err);
    EXPECT_FALSE(instance_exists(p.pid));
  }
}

// A reader of the output that goes away: rtlat stops with a write error, not by SIGPIPE with its
// instance left behind.
TEST_F(Live, ClosedOutputPipeStillRemovesTheInstance) {
  SKIP_UNLESS_LIVE();
  // The shell writes its pid and execs rtlat, so the pid names rtlat's instance.
  const fs::path pid_file = dir_ / "pipe.pid";
  const std::string cmd =
      "sh -c 'echo $$ >\"$0\"; exec \"$1\" live --format jsonl --interval "
      "100ms --duration 20s 2>\"$2\"' '" +
      pid_file.string() + "' '" + cli_ + "' '" + (dir_ / "pipe.err").string() +
      "' | head -c 1 >/dev/null";
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 15s);
  started_.push_back(static_cast<pid_t>(std::stol(slurp(pid_file))));
  EXPECT_TRUE(rtlat_instances().empty());
  EXPECT_NE(slurp(dir_ / "pipe.err").find("rtlat: "), std::string::npos);
}

// A SIGKILLed run cannot clean up; the next run removes its instance at start.
TEST_F(Live, StaleInstanceOfAKilledRunIsRemovedByTheNext) {
  SKIP_UNLESS_LIVE();
  const Proc p = start({"live", "--duration", "60s"}, "killed");
  ASSERT_TRUE(wait_for_instance(p.pid));
  ::kill(p.pid, SIGKILL);
  wait(p);
  ASSERT_TRUE(instance_exists(p.pid)) << "SIGKILL should have left the instance";
  std::string err;
  EXPECT_EQ(run({"live", "--duration", "200ms", "-o", (dir_ / "r.txt").string()}, nullptr, &err), 0)
      << err;
  EXPECT_FALSE(instance_exists(p.pid));
  EXPECT_TRUE(rtlat_instances().empty());
}

// An error after the instance exists (the --save directory is missing) still removes it.
TEST_F(Live, ErrorRemovesTheInstance) {
  SKIP_UNLESS_LIVE();
  std::string err;
  EXPECT_EQ(run({"live", "--duration", "1s", "--save", (dir_ / "no" / "such.dat").string()},
                nullptr, &err),
            2);
  EXPECT_NE(err.find("--save"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_TRUE(rtlat_instances().empty());
}

// The library: a session on its own thread, a periodic nanosleep loop in this process, and the
// engine's callbacks while it runs.
TEST_F(Live, LibrarySessionSeesAThreadsNanosleepLoop) {
  SKIP_UNLESS_LIVE();
  rtlat::LiveOptions o;
  std::atomic<int> intervals{0};
  o.interval = 100ms;
  o.on_interval = [&](const rtlat::LiveProgress& p) {
    ++intervals;
    EXPECT_GE(p.interval_end_ns, p.interval_start_ns);
  };
  rtlat::LiveSource src(o);
  EXPECT_EQ(src.instance_name(), "rtlat-" + std::to_string(::getpid()));
  EXPECT_TRUE(instance_exists(::getpid()));
  EXPECT_EQ(src.timer_marker(), "raw_syscalls:sys_enter");
  std::atomic<pid_t> tid{0};
  std::atomic<int> relief_samples{0};
  rtlat::Config cfg;
  cfg.on_sample = [&](const rtlat::Sample& s) {
    if (s.pid == tid.load() && s.metric == rtlat::Metric::relief) ++relief_samples;
  };
  rtlat::Analyzer engine(cfg);
  // At least 200 sleeps, and on until the reader has seen 3 intervals: on a loaded machine the
  // 400 ms of sleeping can pass before the reader thread ran 3 times.
  std::atomic<int> loops{0};
  std::thread sleeper([&] {
    tid = static_cast<pid_t>(::gettid());
    const auto give_up = std::chrono::steady_clock::now() + 20s;
    while (loops < 200 || (intervals < 3 && std::chrono::steady_clock::now() < give_up)) {
      const timespec ts{0, 2000000};
      ::clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, nullptr);
      ++loops;
    }
    std::this_thread::sleep_for(50ms);
    src.stop();
  });
  const rtlat::Results r = rtlat::analyze(src, engine);
  sleeper.join();
  EXPECT_GE(intervals.load(), 3);
  const rtlat::TaskResult* t = nullptr;
  for (const rtlat::TaskResult& x : r.tasks)
    if (x.pid == tid.load()) t = &x;
  ASSERT_NE(t, nullptr);
  ASSERT_TRUE(t->tgid.has_value());
  EXPECT_EQ(*t->tgid, ::getpid());
  const std::uint64_t rel = (*t)[rtlat::Metric::relief].count;
  EXPECT_EQ(rel, static_cast<std::uint64_t>(relief_samples.load()));
  // loops sleeps: loops - 1 whole periods between them, less what was unobserved.
  EXPECT_LE(rel, static_cast<std::uint64_t>(loops.load()));
  EXPECT_GE(rel + r.trace.unobserved_relief + 2, static_cast<std::uint64_t>(loops.load() - 1));
  EXPECT_EQ(r.trace.out_of_order, 0u);
  EXPECT_EQ(r.trace.lost_events, 0u);
}

// LiveOptions::save_version 6 (uncompressed) carries the tgid map too: the library's report of
// the saved file is the live session's, tgids included, but for the source name.
TEST_F(Live, LibrarySaveVersion6GivesTheSameReport) {
  SKIP_UNLESS_LIVE();
  const fs::path dat = dir_ / "v6.dat";
  rtlat::LiveOptions o;
  o.duration = 700ms;
  o.save = dat.string();
  o.save_version = 6;
  rtlat::LiveSource src(o);
  rtlat::Analyzer live_engine;
  const rtlat::Results live = rtlat::analyze(src, live_engine);
  rtlat::FileSource file = rtlat::open(dat.string());
  const rtlat::Results saved = rtlat::analyze(file, rtlat::Config{});
  {
    const rtlat::TraceDatSource td(dat.string());
    EXPECT_EQ(rtlat::detail::tracedat_meta(td).version, 6);
    EXPECT_FALSE(rtlat::detail::tracedat_meta(td).tgids.empty());
    // The session's clock, which the timer rules depend on, is the saved file's, for rtlat and
    // for trace-cmd.
    const std::string clock = rtlat::detail::tracedat_meta(td).clock;
    EXPECT_FALSE(clock.empty());
    EXPECT_EQ(td.info().clock_monotonic, src.info().clock_monotonic);
    if (::access("/usr/bin/trace-cmd", X_OK) == 0) {
      EXPECT_EQ(trace_cmd_v6_clock(dat, dir_), clock);
    }
  }
  std::ostringstream a, b;
  rtlat::write_json(a, live);
  rtlat::write_json(b, saved);
  EXPECT_EQ(comparable(a.str()), comparable(b.str()));
  EXPECT_TRUE(std::regex_search(a.str(), std::regex("\"tgid\": [0-9]+")));
  EXPECT_EQ(trace_cmd_reads(dat, dir_), "");
}

// ---- the merge alone (no tracefs needed) ----------------------------------------------------

struct Collect {
  std::vector<rtlat::Event> got;
  void feed(const rtlat::Event& e) { got.push_back(e); }
};

rtlat::Event at(rtlat::Timestamp ts, std::uint16_t cpu) {
  return rtlat::Event::make_other(ts, cpu, 1, "x");
}

TEST(LiveMerge, DeliversInTimeOrderTiesToTheLowerCpu) {
  rtlat::detail::live::Merge m(2);
  m.queue(0) = {at(10, 0), at(20, 0), at(30, 0)};
  m.queue(1) = {at(15, 1), at(20, 1), at(40, 1)};
  m.mark(0, 100);
  m.mark(1, 100);
  Collect c;
  EXPECT_EQ(m.release(c, [](std::size_t, const rtlat::Event&) {}), 6u);
  std::vector<std::pair<rtlat::Timestamp, int>> order;
  for (const rtlat::Event& e : c.got) order.emplace_back(e.ts, e.cpu);
  const std::vector<std::pair<rtlat::Timestamp, int>> want{{10, 0}, {15, 1}, {20, 0},
                                                           {20, 1}, {30, 0}, {40, 1}};
  EXPECT_EQ(order, want);
  EXPECT_EQ(m.pending(), 0u);
}

// CPU 1 has been read only up to 15: CPU 0's events after that wait, however many there are,
// until CPU 1 is read past them, and its older event then still comes first.
TEST(LiveMerge, HoldsBackEventsACpuNotYetReadCouldPrecede) {
  rtlat::detail::live::Merge m(2);
  m.queue(0) = {at(10, 0), at(30, 0), at(50, 0)};
  m.mark(0, 50);
  m.mark(1, 15);
  Collect c;
  EXPECT_EQ(m.release(c, [](std::size_t, const rtlat::Event&) {}), 1u);
  ASSERT_EQ(c.got.size(), 1u);
  EXPECT_EQ(c.got[0].ts, 10);
  EXPECT_EQ(m.pending(), 2u);
  m.queue(1).push_back(at(20, 1));
  m.mark(1, 40);
  EXPECT_EQ(m.release(c, [](std::size_t, const rtlat::Event&) {}), 2u);
  ASSERT_EQ(c.got.size(), 3u);
  EXPECT_EQ(c.got[1].ts, 20);
  EXPECT_EQ(c.got[1].cpu, 1);
  EXPECT_EQ(c.got[2].ts, 30);
  EXPECT_EQ(m.pending(), 1u);  // 50 waits for CPU 1 past 50
  m.mark(1, std::numeric_limits<rtlat::Timestamp>::max());
  EXPECT_EQ(m.release(c, [](std::size_t, const rtlat::Event&) {}), 1u);
  EXPECT_EQ(c.got.back().ts, 50);
}

// A burst held back for many rounds grows a queue; once it has stayed drained for a while, the
// room goes back, so a long run does not keep its largest burst's memory.
TEST(LiveMerge, DrainedQueueGivesBackTheRoomOfABurst) {
  using rtlat::detail::live::Merge;
  Merge m(2);
  const std::size_t burst = 16 * Merge::keep_capacity;
  for (std::size_t i = 0; i < burst; ++i)
    m.queue(0).push_back(at(static_cast<rtlat::Timestamp>(10 + i), 0));
  m.mark(0, static_cast<rtlat::Timestamp>(10 + burst));
  m.mark(1, 5);  // CPU 1 not read yet: everything waits
  Collect c;
  EXPECT_EQ(m.release(c, [](std::size_t, const rtlat::Event&) {}), 0u);
  EXPECT_GE(m.queue(0).capacity(), burst);
  m.mark(1, static_cast<rtlat::Timestamp>(burst));  // 10 .. burst go, burst + 1 .. burst + 9 wait
  EXPECT_EQ(m.release(c, [](std::size_t, const rtlat::Event&) {}), burst - 9);
  EXPECT_EQ(m.pending(), 9u);
  EXPECT_GE(m.queue(0).capacity(), burst) << "not at once: a busy queue would regrow";
  for (int i = 1; i < Merge::shrink_after; ++i)
    m.release(c, [](std::size_t, const rtlat::Event&) {});
  EXPECT_EQ(m.queue(0).capacity(), Merge::keep_capacity);
  EXPECT_EQ(m.queue(0).front().ts, static_cast<rtlat::Timestamp>(burst + 1));
  // A queue within its room keeps it: no reallocation round after round.
  const rtlat::Event* data = m.queue(0).data();
  m.queue(0).push_back(at(static_cast<rtlat::Timestamp>(20 + burst), 0));
  m.mark(0, static_cast<rtlat::Timestamp>(20 + burst));
  m.mark(1, std::numeric_limits<rtlat::Timestamp>::max());
  EXPECT_EQ(m.release(c, [](std::size_t, const rtlat::Event&) {}), 10u);
  EXPECT_EQ(m.queue(0).data(), data);
  ASSERT_EQ(c.got.size(), burst + 1);
  EXPECT_EQ(c.got.back().ts, static_cast<rtlat::Timestamp>(20 + burst));
}

// What the hold-back buys: task 7 is woken on CPU 0 at 1000 and switched in on CPU 1 at 3000,
// but CPU 1's pages are read a round later than CPU 0's switch of another task at 5000. Merged
// without waiting, the switch-in would come late (dropped as out of order) and the latency lost
// or made up; held back, the engine measures exactly 2000 ns.
TEST(LiveMerge, EngineMeasuresAcrossCpusReadInDifferentRounds) {
  using rtlat::Event;
  using rtlat::EventKind;
  using rtlat::PrevState;
  rtlat::detail::live::Merge m(2);
  rtlat::Analyzer engine;
  auto none = [](std::size_t, const Event&) {};
  m.queue(1) = {Event::make_switch(500, 1, 7, 7, "t", 120, PrevState::sleeping, 1, 0, "idle", 120)};
  m.queue(0) = {
      Event::make_wakeup(EventKind::sched_wakeup, 1000, 0, 9, 7, "t", 120, 1),
      Event::make_switch(5000, 0, 9, 9, "w", 120, PrevState::sleeping, 1, 0, "idle", 120)};
  m.mark(0, 6000);
  m.mark(1, 600);  // round 1: CPU 1 read only up to 600
  m.release(engine, none);
  m.queue(1).push_back(
      Event::make_switch(3000, 1, 0, 0, "idle", 120, PrevState::runnable, 0, 7, "t", 120));
  m.mark(1, 6000);  // round 2
  m.release(engine, none);
  const rtlat::Results r = engine.results();
  EXPECT_EQ(r.trace.out_of_order, 0u);
  const rtlat::TaskResult* t = nullptr;
  for (const rtlat::TaskResult& x : r.tasks)
    if (x.pid == 7) t = &x;
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->metrics[0].count, 1u);
  ASSERT_TRUE(t->metrics[0].max_ns.has_value());
  EXPECT_EQ(*t->metrics[0].max_ns, 2000);
}

// The latency violations of the folded group `comm` in a JSON report; -1 when it has none.
long long folded_latency_violations(const std::string& json, const std::string& comm) {
  const std::size_t folded = json.find("\n \"folded\": [");
  if (folded == std::string::npos) return -1;
  const std::size_t group = json.find("{\"comm\": \"" + comm + "\", \"tasks\": ", folded);
  if (group == std::string::npos) return -1;
  const std::size_t lat = json.find("\"latency\": {\"count\": ", group);
  const std::string key = "\"violations\": ";
  const std::size_t v = json.find(key, lat);
  if (lat == std::string::npos || v == std::string::npos) return -1;
  return std::stoll(json.substr(v + key.size()));
}

const std::string five_sleeps = "for i in 1 2 3 4 5; do /bin/sleep 0.01; done";

// The gate counts the violations of tasks folded under --max-finished-tasks: with 0, every task
// of the command (sh and its five sleeps) is folded as it exits, and none is listed on its own.
TEST_F(Live, FailOnViolationCountsFoldedTasks) {
  SKIP_UNLESS_LIVE();
  std::string out, err;
  const int rc = run({"live", "--max-finished-tasks", "0", "--slo", "latency=1ns",
                      "--fail-on-violation", "--format", "json", "--", "sh", "-c", five_sleeps},
                     &out, &err);
  EXPECT_EQ(rc, 3) << err;
  EXPECT_NE(out.find("\"tasks\": [],"), std::string::npos) << out.substr(0, 2000);
  EXPECT_NE(out.find("{\"comm\": \"sleep\", \"tasks\": 5,"), std::string::npos)
      << out.substr(0, 2000);
  // Each sleep is woken at least once (its fork), and every latency exceeds 1 ns.
  EXPECT_GE(folded_latency_violations(out, "sleep"), 5) << out.substr(0, 2000);
  EXPECT_TRUE(rtlat_instances().empty());
}

// --on-violation fires as each sample completes, so a task folded later is not missed: one line
// per violation of the command's tasks, as many as their folded groups count.
TEST_F(Live, OnViolationPrintsViolationsOfTasksFoldedLater) {
  SKIP_UNLESS_LIVE();
  std::string out, err;
  const int rc = run({"live", "--max-finished-tasks", "0", "--slo", "latency=1ns", "--on-violation",
                      "print", "--format", "json", "--", "sh", "-c", five_sleeps},
                     &out, &err);
  EXPECT_EQ(rc, 0) << "the command's status without --fail-on-violation: " << err;
  const long long sleeps = folded_latency_violations(out, "sleep");
  const long long shell = folded_latency_violations(out, "sh");
  ASSERT_GE(sleeps, 5) << out.substr(0, 2000);
  ASSERT_GE(shell, 0) << out.substr(0, 2000);
  const std::regex line("rtlat: violation [0-9.]+ s [^ ]+/[0-9]+ latency [^ ]+ > 1ns\n");
  const auto lines =
      std::distance(std::sregex_iterator(err.begin(), err.end(), line), std::sregex_iterator());
  EXPECT_EQ(lines, sleeps + shell) << err;

  // exit: stops at the first of them with status 3.
  EXPECT_EQ(run({"live", "--max-finished-tasks", "0", "--slo", "latency=1ns", "--on-violation",
                 "exit", "-o", (dir_ / "r.txt").string(), "--", "sh", "-c", five_sleeps},
                nullptr, &err),
            3)
      << err;
  EXPECT_NE(err.find("rtlat: violation "), std::string::npos) << err;
  EXPECT_TRUE(rtlat_instances().empty());
}

// --- rtlat live --listen: GET /metrics ---

struct HttpReply {
  int status = 0;
  std::string headers, body;
};

// A plain HTTP/1.0 request to 127.0.0.1:port (the server closes the connection after it).
// rcvbuf > 0 shrinks the receive buffer first, so that a slow reader holds the server's write.
int http_connect(int port, int rcvbuf = 0) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool http_send(int fd, const std::string& method, const std::string& target,
               const std::string& accept = "") {
  std::string req = method + " " + target + " HTTP/1.0\r\nHost: 127.0.0.1\r\n";
  if (!accept.empty()) req += "Accept: " + accept + "\r\n";
  req += "\r\n";
  return ::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
}

HttpReply http(int port, const std::string& method, const std::string& target,
               const std::string& accept = "") {
  HttpReply r;
  const int fd = http_connect(port);
  if (fd < 0 || !http_send(fd, method, target, accept)) {
    if (fd >= 0) ::close(fd);
    return r;
  }
  std::string all;
  char buf[65536];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    all.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  const std::size_t end = all.find("\r\n\r\n");
  if (all.rfind("HTTP/1.", 0) != 0 || end == std::string::npos) return r;
  r.status = std::atoi(all.c_str() + 9);
  r.headers = all.substr(0, end);
  r.body = all.substr(end + 4);
  return r;
}

std::string url_encoded(const std::string& s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// The port `rtlat live --listen ...:0` reports on stderr, once it does.
int listening_port(const Proc& p) {
  const std::regex re("serving /metrics on port ([0-9]+)");
  for (int i = 0; i < 400; ++i) {
    const std::string err = slurp(p.err);
    std::smatch m;
    if (std::regex_search(err, m, re)) return std::stoi(m[1]);
    std::this_thread::sleep_for(25ms);
  }
  return -1;
}

// A port nobody listens on now (the kernel's pick, released again).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

// The value of one sample line `name{labels} value` in an exposition; -1 when absent.
double sample_value(const std::string& text, const std::string& series) {
  const std::size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::strtod(text.c_str() + at + series.size() + 2, nullptr);
}

// count, violations and p99 of a task's metric in a JSON report, by python3 (no JSON reader
// here): "count violations p99_ns".
std::string json_metric(const fs::path& json, const std::string& comm, const std::string& metric) {
  const std::string cmd =
      "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
      "m=[t[\"metrics\"][sys.argv[3]] for t in d[\"tasks\"] if t[\"comm\"]==sys.argv[2]]; "
      "print(sum(x[\"count\"] for x in m), sum(x[\"violations\"] for x in m), "
      "max(x[\"p99_ns\"] or 0 for x in m))' '" +
      json.string() + "' '" + comm + "' '" + metric + "'";
  FILE* f = ::popen(cmd.c_str(), "r");
  if (f == nullptr) return "";
  char buf[256] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  ::pclose(f);
  return std::string(buf, n);
}

// Endpoint behaviour over a live session: 200 with either format, 404 elsewhere, 405 for other
// methods. With an interval longer than the run, the only snapshot with samples is the final
// one: after the command ends, --linger serves exactly what the final report says (promtool
// accepts it); SIGTERM during the linger stops at once, the instance removed.
TEST_F(Live, ListenServesMetricsAndTheFinalReportDuringLinger) {
  SKIP_UNLESS_LIVE();
  RTLAT_SKIP_UNLESS_PROGRAM("promtool");
  RTLAT_SKIP_UNLESS_PROGRAM("python3");
  const fs::path json = dir_ / "final.json";
  const Proc p = start({"live", "--listen", "127.0.0.1:0", "--interval", "60s", "--linger", "60s",
                        "--slo", "latency=40us", "--format", "json", "-o", json.string(), "--",
                        wl("wl_healthy"), "--seconds", "1.5"});
  const int port = listening_port(p);
  ASSERT_GT(port, 0) << slurp(p.err);
  HttpReply r = http(port, "GET", "/metrics");
  ASSERT_EQ(r.status, 200) << r.headers;
  EXPECT_NE(r.headers.find("Content-Type: text/plain; version=0.0.4; charset=utf-8"),
            std::string::npos)
      << r.headers;
  EXPECT_EQ(sample_value(r.body, "rtlat_events_total"), 0) << "no interval yet";
  r = http(port, "GET", "/metrics", "application/openmetrics-text;version=1.0.0");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.headers.find("application/openmetrics-text; version=1.0.0"), std::string::npos);
  ASSERT_GE(r.body.size(), 6u);
  EXPECT_EQ(r.body.substr(r.body.size() - 6), "# EOF\n");
  EXPECT_EQ(http(port, "GET", "/").status, 404);
  EXPECT_EQ(http(port, "GET", "/metrics/x").status, 404);
  for (const char* m : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    r = http(port, m, "/metrics");
    EXPECT_EQ(r.status, 405) << m;
    EXPECT_NE(r.headers.find("Allow: GET, HEAD"), std::string::npos) << m;
  }

  // The command has ended once the final report is written; the endpoint still serves it.
  for (int i = 0; i < 400 && (!fs::exists(json) || fs::file_size(json) == 0); ++i)
    std::this_thread::sleep_for(25ms);
  std::this_thread::sleep_for(100ms);
  std::istringstream fin(json_metric(json, "rt-healthy", "latency"));
  std::uint64_t count = 0, violations = 0;
  fin >> count >> violations;
  ASSERT_GT(count, 1000u);
  r = http(port, "GET", "/metrics");
  ASSERT_EQ(r.status, 200) << "not serving during --linger";
  EXPECT_EQ(sample_value(r.body, "rtlat_latency_seconds_count{comm=\"rt-healthy\"}"),
            static_cast<double>(count));
  EXPECT_EQ(sample_value(r.body, "rtlat_violations_total{comm=\"rt-healthy\",metric=\"latency\"}"),
            static_cast<double>(violations));
  EXPECT_EQ(sample_value(r.body, "rtlat_latency_seconds_bucket{comm=\"rt-healthy\",le=\"+Inf\"}"),
            static_cast<double>(count));
  EXPECT_GT(sample_value(r.body, "rtlat_events_total"), 0);
  const fs::path prom = dir_ / "scrape.prom";
  std::ofstream(prom) << r.body;
  EXPECT_EQ(std::system(("promtool check metrics <'" + prom.string() + "'").c_str()), 0)
      << r.body.substr(0, 2000);

  const auto t0 = std::chrono::steady_clock::now();
  ::kill(p.pid, SIGTERM);
  EXPECT_EQ(wait(p), 0) << slurp(p.err);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s) << "SIGTERM did not end the linger";
  EXPECT_FALSE(instance_exists(p.pid));
  EXPECT_EQ(http(port, "GET", "/metrics").status, 0) << "still listening after exit";
}

// A scraper that reads one byte per second (its receive buffer shrunk, so the server's write
// really waits on it) while a workload runs: the session loses no event, other scrapes are
// answered meanwhile, and the run ends on time.
// --listen's server is a module loaded from beside the binary (or the package's lib/rtlat): a
// binary without it, or with a broken one, says so and exits 2 before tracing starts.
TEST_F(Live, ListenWithoutItsModuleSaysWhichFileIsMissing) {
  SKIP_UNLESS_LIVE();
  const fs::path copy = dir_ / "rtlat";
  fs::copy_file(cli_, copy);
  cli_ = copy.string();
  std::string err;
  EXPECT_EQ(run({"live", "--listen", "127.0.0.1:0", "--duration", "1s"}, nullptr, &err), 2);
  EXPECT_NE(err.find("--listen: the HTTP module rtlat-metrics.so is not installed (looked for " +
                     (dir_ / "rtlat-metrics.so").string()),
            std::string::npos)
      << err;
  std::ofstream(dir_ / "rtlat-metrics.so") << "not an ELF file\n";
  EXPECT_EQ(run({"live", "--listen", "127.0.0.1:0", "--duration", "1s"}, nullptr, &err), 2);
  EXPECT_NE(err.find("--listen: cannot load " + (dir_ / "rtlat-metrics.so").string() + ": "),
            std::string::npos)
      << err;
}

TEST_F(Live, SlowScraperNeitherStallsTheReaderNorTheEnd) {
  SKIP_UNLESS_LIVE();
  const fs::path json = dir_ / "final.json";
  const Proc p =
      start({"live", "--listen", "127.0.0.1:0", "--comm", ".", "--interval", "250ms", "--format",
             "json", "-o", json.string(), "--", wl("wl_healthy"), "--seconds", "4", "--filler"});
  const int port = listening_port(p);
  ASSERT_GT(port, 0) << slurp(p.err);
  std::this_thread::sleep_for(600ms);
  std::vector<int> slow;
  for (int i = 0; i < 6; ++i) {  // more than the server's 4 threads
    const int fd = http_connect(port, 1024);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(http_send(fd, "GET", "/metrics"));
    slow.push_back(fd);
  }
  std::atomic<bool> done{false};
  std::size_t slow_bytes = 0;
  std::thread reader([&] {
    while (!done.load()) {
      char b;
      for (int fd : slow)
        if (::recv(fd, &b, 1, MSG_DONTWAIT) == 1) ++slow_bytes;
      std::this_thread::sleep_for(1s);
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  int answered = 0;
  while (::waitpid(p.pid, nullptr, WNOHANG) == 0 && std::chrono::steady_clock::now() - t0 < 2s) {
    if (http(port, "GET", "/metrics").status == 200) ++answered;
    std::this_thread::sleep_for(200ms);
  }
  const int rc = wait(p);
  const auto took = std::chrono::steady_clock::now() - t0;
  done = true;
  reader.join();
  for (int fd : slow) ::close(fd);
  EXPECT_EQ(rc, 0) << slurp(p.err);
  EXPECT_LT(took, 20s) << "the end waited on the slow clients";
  EXPECT_GT(answered, 0) << "no scrape was answered beside the slow ones";
  EXPECT_LT(slow_bytes, 100u);
  const std::string final_json = slurp(json);
  EXPECT_NE(final_json.find("\"lost_events\": 0,"), std::string::npos) << final_json.substr(0, 600);
  EXPECT_NE(final_json.find("\"lost_event_markers\": 0,"), std::string::npos);
  std::istringstream fin(json_metric(json, "rt-healthy", "latency"));
  std::uint64_t count = 0;
  fin >> count;
  EXPECT_GT(count, 3000u) << "4 s of a 1 ms loop";
  EXPECT_FALSE(instance_exists(p.pid));
}

// Quarter-octave bin of a value in ns (MetricResult::histogram's grid).
int quarter_octave(double ns) {
  const auto v = static_cast<std::uint64_t>(ns);
  if (v < 64) return static_cast<int>(v);
  const int e = 63 - __builtin_clzll(v);
  return 64 + (e - 6) * 4 + static_cast<int>((v >> (e - 2)) & 3);
}

// The whole path: a real Prometheus (1 s scrapes) stores what rtlat's final report says for a
// workload's task: sample and violation counts exactly, its p99 within one bucket.
TEST_F(Live, PrometheusStoresTheFinalReport) {
  SKIP_UNLESS_LIVE();
  RTLAT_SKIP_UNLESS_PROGRAM("prometheus");
  RTLAT_SKIP_UNLESS_PROGRAM("python3");
  const int rport = free_port(), pport = free_port();
  ASSERT_GT(rport, 0);
  ASSERT_GT(pport, 0);
  ASSERT_NE(rport, pport);
  const fs::path cfg = dir_ / "prometheus.yml";
  std::ofstream(cfg) << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                        "scrape_configs:\n  - job_name: rtlat\n    static_configs:\n"
                        "      - targets: ['127.0.0.1:"
                     << rport << "']\n";
  Proc prom;
  {
    prom.out = dir_ / "prom.out";
    prom.err = dir_ / "prom.err";
    const std::string cmd = "exec prometheus --config.file='" + cfg.string() +
                            "' --storage.tsdb.path='" + (dir_ / "tsdb").string() +
                            "' --web.listen-address=127.0.0.1:" + std::to_string(pport) + " >'" +
                            prom.out.string() + "' 2>'" + prom.err.string() + "'";
    const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
    ASSERT_EQ(
        posix_spawn(&prom.pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ), 0);
  }
  struct Stop {
    pid_t pid;
    ~Stop() {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  } stop{prom.pid};
  bool ready = false;
  for (int i = 0; i < 300 && !ready; ++i) {
    ready = http(pport, "GET", "/-/ready").status == 200;
    if (!ready) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(ready) << slurp(prom.err);

  const fs::path json = dir_ / "final.json";
  std::string err;
  ASSERT_EQ(run({"live", "--listen", "127.0.0.1:" + std::to_string(rport), "--linger", "3s",
                 "--slo", "latency=40us", "--format", "json", "-o", json.string(), "--",
                 wl("wl_healthy"), "--seconds", "3"},
                nullptr, &err),
            0)
      << err;
  std::istringstream fin(json_metric(json, "rt-healthy", "latency"));
  std::uint64_t count = 0, violations = 0;
  std::int64_t p99 = 0;
  fin >> count >> violations >> p99;
  ASSERT_GT(count, 2000u);

  // After rtlat exits Prometheus marks its series stale: the last stored value is what counts.
  auto query = [&](const std::string& q) {
    const HttpReply r = http(pport, "GET", "/api/v1/query?query=" + url_encoded(q));
    std::smatch m;
    const std::regex re(R"re("value":\[[0-9.]+,"([^"]+)"\])re");
    EXPECT_EQ(r.status, 200) << q << ": " << r.body;
    if (!std::regex_search(r.body, m, re)) {
      ADD_FAILURE() << q << ": " << r.body;
      return -1.0;
    }
    return std::stod(m[1]);
  };
  const std::string sel = "{comm=\"rt-healthy\"}";
  EXPECT_EQ(query("last_over_time(rtlat_latency_seconds_count" + sel + "[5m])"),
            static_cast<double>(count));
  EXPECT_EQ(
      query("last_over_time(rtlat_violations_total{comm=\"rt-healthy\",metric=\"latency\"}[5m])"),
      static_cast<double>(violations));
  const double q99 = query("histogram_quantile(0.99, last_over_time(rtlat_latency_seconds_bucket" +
                           sel + "[5m]))");
  EXPECT_LE(std::abs(quarter_octave(q99 * 1e9) - quarter_octave(static_cast<double>(p99))), 1)
      << "prometheus " << q99 * 1e9 << " ns, rtlat " << p99 << " ns";
  EXPECT_EQ(query("last_over_time(rtlat_lost_events_total[5m])"), 0.0);
}

// The timer metric against cyclictest's own report, live: the same check as the ctest
// cyclictest_timer on a live run (tests/check-cyclictest states the rules). Per measuring thread,
// found by the tid cyclictest prints: timer count + unobserved = cyclictest's cycles, and its max
// and mean between what rtlat's samples (--samples) allow, cycle by cycle, with the thread's own
// time after each switch-in measured from the saved trace (trace-cmd's text of --save); live,
// rtlat shares the CPUs with cyclictest, so that own time is measured rather than assumed.
TEST_F(Live, TimerLatencyMatchesCyclictest) {
  SKIP_UNLESS_LIVE();
  for (const char* tool : {"/usr/bin/cyclictest", "/usr/bin/python3", "/usr/bin/trace-cmd"})
    if (::access(tool, X_OK) != 0) RTLAT_SKIP(std::string(tool) + " missing");
  const fs::path rt = dir_ / "rtlat.json", cy = dir_ / "cyclictest.json", dat = dir_ / "run.dat",
                 txt = dir_ / "run.txt", samples = dir_ / "samples.csv";
  std::string out, err;
  const int rc = run({"live",
                      "--format",
                      "json",
                      "-o",
                      rt.string(),
                      "--save",
                      dat.string(),
                      "--samples",
                      samples.string(),
                      "--",
                      "/usr/bin/cyclictest",
                      "-m",
                      "-p",
                      "95",
                      "-i",
                      "1000",
                      "-l",
                      "3000",
                      "-t",
                      "2",
                      "-q",
                      "--json=" + cy.string()},
                     &out, &err);
  ASSERT_EQ(rc, 0) << err;
  // "T: 0 ( 8402) P:95 ..." per thread, in thread order: cyclictest's JSON has no tids.
  std::string tids;
  const std::regex tid_re("T: *([0-9]+) \\( *([0-9]+)\\)");
  int threads = 0;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), tid_re); it != std::sregex_iterator();
       ++it, ++threads) {
    ASSERT_EQ(std::stoi((*it)[1]), threads) << out;
    tids += (tids.empty() ? "" : ",") + (*it)[2].str();
  }
  ASSERT_EQ(threads, 2) << out;
  ASSERT_EQ(std::system(("/usr/bin/trace-cmd report -t '" + dat.string() + "' >'" + txt.string() +
                         "' 2>/dev/null")
                            .c_str()),
            0);
  const fs::path check_out = dir_ / "check.out";
  const std::string line = std::string("/usr/bin/python3 '") + RTLAT_SOURCE_DIR +
                           "/tests/check-cyclictest' '" + rt.string() + "' '" + cy.string() +
                           "' --tids " + tids + " --same-clock --samples '" + samples.string() +
                           "' --own-time '" + txt.string() + "' >'" + check_out.string() + "' 2>&1";
  const int check = std::system(line.c_str());
  const std::string report = slurp(check_out);
  EXPECT_EQ(check, 0) << report;
  std::cout << report;  // the per-thread gaps and own times, for the log of a passing run too
  // Both measuring threads were compared, each with its own line.
  const std::regex ok("(^|\\n)ok    thread [01] ");
  EXPECT_EQ(
      std::distance(std::sregex_iterator(report.begin(), report.end(), ok), std::sregex_iterator()),
      2)
      << report;
  EXPECT_TRUE(rtlat_instances().empty());
}

}  // namespace
