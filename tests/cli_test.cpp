// The rtlat CLI end to end: small text traces written to a temp dir, run through the built
// binary (RTLAT_CLI), checking exit codes, messages, selection, SLOs, formats and outputs.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <rtlat/duration.hpp>
#include <rtlat/results.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// Two tasks with samples and one without, numbers worked out by hand:
//   cyclictest 1234 (CPU 1): wakeups at 100.001000 and 100.002000, switch-ins 50us and 10us
//     later -> latency count 2, min 10us, max 50us; sleeps at +200us and +100us after the
//     wakeups -> response 100us / 200us.
//   worker 2000 (CPU 0): woken by bash at 200.000000, bash preempted at +30us (latency 30us),
//     worker sleeps at +110us (response 110us).
//   bash 3000: switched in without a wakeup: no sample in any metric.
constexpr const char* two_tasks = R"(cpus=2
      cyclictest-1234  [001]   100.000000: sched_switch:         cyclictest:1234 [19] S ==> swapper/1:0 [120]
          <idle>-0     [001]   100.001000: sched_wakeup:         cyclictest:1234 [19] CPU:001
          <idle>-0     [001]   100.001050: sched_switch:         swapper/1:0 [120] R ==> cyclictest:1234 [19]
      cyclictest-1234  [001]   100.001200: sched_switch:         cyclictest:1234 [19] S ==> swapper/1:0 [120]
          <idle>-0     [001]   100.002000: sched_wakeup:         cyclictest:1234 [19] CPU:001
          <idle>-0     [001]   100.002010: sched_switch:         swapper/1:0 [120] R ==> cyclictest:1234 [19]
      cyclictest-1234  [001]   100.002100: sched_switch:         cyclictest:1234 [19] S ==> swapper/1:0 [120]
            bash-3000  [000]   200.000000: sched_wakeup:         worker:2000 [120] CPU:000
            bash-3000  [000]   200.000030: sched_switch:         bash:3000 [120] R+ ==> worker:2000 [120]
          worker-2000  [000]   200.000110: sched_switch:         worker:2000 [120] S ==> bash:3000 [120]
)";

struct CliRun {
  int rc = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* cli = std::getenv("RTLAT_CLI");
    ASSERT_NE(cli, nullptr) << "RTLAT_CLI is not set (tests/CMakeLists.txt sets it)";
    cli_ = cli;
    ASSERT_TRUE(fs::exists(cli_)) << cli_;
    std::string tmpl = (fs::temp_directory_path() / "rtlat_cli_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    trace_ = write("two_tasks.txt", two_tasks);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  // Runs the CLI with `args`, stdin from `stdin_file` (or /dev/null).
  CliRun run(std::initializer_list<std::string> args, const std::string& stdin_file = "/dev/null") {
    std::string cmd = quote(cli_);
    for (const std::string& a : args) cmd += " " + quote(a);
    const fs::path out = dir_ / "stdout", err = dir_ / "stderr";
    cmd += " <" + quote(stdin_file) + " >" + quote(out.string()) + " 2>" + quote(err.string());
    const int status = std::system(cmd.c_str());
    CliRun r;
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

  // A usage or input error: exit 2, nothing on stdout, exactly one line on stderr.
  static void expect_error(const CliRun& r, const std::string& needle) {
    EXPECT_EQ(r.rc, 2) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "not one line: " << r.err;
    EXPECT_EQ(r.err.rfind("rtlat: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "'" << needle << "' not in: " << r.err;
  }

  std::string cli_;
  fs::path dir_;
  std::string trace_;
};

std::vector<std::string> csv_rows_of(const std::string& csv, const std::string& prefix) {
  std::vector<std::string> rows;
  std::istringstream is(csv);
  for (std::string l; std::getline(is, l);)
    if (l.rfind(prefix, 0) == 0) rows.push_back(l);
  return rows;
}

// A strict JSON grammar check (no DOM: the report tests check values in depth).
class JsonGrammar {
 public:
  explicit JsonGrammar(const std::string& s) : s_(s) {}
  bool ok() {
    if (!value()) return false;
    ws();
    return p_ == s_.size();
  }

 private:
  void ws() {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\n' || s_[p_] == '\t' || s_[p_] == '\r'))
      ++p_;
  }
  bool lit(const char* l) {
    const std::string_view v(l);
    if (s_.compare(p_, v.size(), v) != 0) return false;
    p_ += v.size();
    return true;
  }
  bool string() {
    if (!lit("\"")) return false;
    while (p_ < s_.size()) {
      const unsigned char c = static_cast<unsigned char>(s_[p_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c == '\\') {
        if (p_ >= s_.size()) return false;
        const char e = s_[p_++];
        if (e == 'u') {
          for (int k = 0; k < 4; ++k, ++p_)
            if (p_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[p_]))) return false;
        } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return false;
        }
      }
    }
    return false;
  }
  bool number() {
    const std::size_t start = p_;
    lit("-");
    while (p_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[p_])) || s_[p_] == '.' ||
                              s_[p_] == 'e' || s_[p_] == 'E' || s_[p_] == '+' || s_[p_] == '-'))
      ++p_;
    return p_ > start;
  }
  bool value() {
    ws();
    if (p_ >= s_.size()) return false;
    if (lit("null") || lit("true") || lit("false")) return true;
    if (s_[p_] == '"') return string();
    if (lit("[")) {
      ws();
      if (lit("]")) return true;
      do {
        if (!value()) return false;
        ws();
      } while (lit(","));
      return lit("]");
    }
    if (lit("{")) {
      ws();
      if (lit("}")) return true;
      do {
        ws();
        if (!string()) return false;
        ws();
        if (!lit(":") || !value()) return false;
        ws();
      } while (lit(","));
      return lit("}");
    }
    return number();
  }
  const std::string& s_;
  std::size_t p_ = 0;
};

// ---- help and version ---------------------------------------------------------------------------

TEST_F(Cli, HelpAndVersion) {
  CliRun r = run({"--help"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("usage: rtlat report [options] TRACE"), std::string::npos) << r.out;
  r = run({"report", "--help"});
  EXPECT_EQ(r.rc, 0);
  for (const char* opt :
       {"--pid", "--tgid", "--comm", "--slo", "--window", "--top", "--wakeup-event", "--buffer",
        "--format", "-o", "--fail-on-violation", "--arch", "--max-finished-tasks N|none"})
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
  r = run({"--version"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out.rfind("rtlat ", 0), 0u) << r.out;
}

TEST_F(Cli, HelpListsBench) {
  CliRun r = run({"--help"});
  EXPECT_EQ(r.rc, 0);
  for (const char* line :
       {"usage: rtlat report [options] TRACE\n       rtlat live [options] [-- COMMAND [ARGS...]]\n"
        "       rtlat bench [options] TRACE\n",
        "\n  bench    measure how fast rtlat decodes and analyses a trace",
        "Run 'rtlat COMMAND --help' for the options."})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  r = run({"bench", "--help"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out.rfind("usage: rtlat bench [options] TRACE\n", 0), 0u) << r.out;
  for (const char* opt : {"--runs N", "--format text|json", "--buffer NAME", "--arch ARCH",
                          "  decode ", "  engine ", "VmHWM"})
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
}

// ---- rtlat bench (its figures are timings: only their presence and sign are checked) ----------

// The number after `"key": ` in `json`, or -1.
double json_number(const std::string& json, const std::string& key, std::size_t from = 0) {
  const std::size_t at = json.find("\"" + key + "\": ", from);
  if (at == std::string::npos) return -1;
  return std::strtod(json.c_str() + at + key.size() + 4, nullptr);
}

TEST_F(Cli, BenchText) {
  const std::string dat = std::string(RTLAT_SOURCE_DIR) + "/data/cyclictest.dat";
  const CliRun r = run({"bench", dat, "--runs", "2"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_EQ(r.out.rfind("rtlat bench: " + dat + "\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(" events, 2 cpus, "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n  median of 2 runs, after one that measures memory\n"), std::string::npos)
      << r.out;
  for (const char* row : {"\n  decode ", "\n  engine "}) {
    const std::size_t at = r.out.find(row);
    ASSERT_NE(at, std::string::npos) << row << r.out;
    const std::string line = r.out.substr(at + 1, r.out.find('\n', at + 1) - at - 1);
    for (const char* unit : {" M events/s ", " MB/s ", " ms (cpu ", "peak RSS +"})
      EXPECT_NE(line.find(unit), std::string::npos) << unit << " in: " << line;
    EXPECT_GT(std::strtod(line.c_str() + 9, nullptr), 0.0) << line;  // events/s
  }
  EXPECT_NE(r.out.find("  replay buffer "), std::string::npos) << r.out;
}

TEST_F(Cli, BenchJson) {
  const CliRun r = run({"bench", "--format", "json", "--runs", "3", trace_});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(JsonGrammar(r.out).ok()) << r.out;
  EXPECT_EQ(json_number(r.out, "events"), 10) << r.out;
  EXPECT_EQ(json_number(r.out, "cpus"), 2) << r.out;
  EXPECT_EQ(json_number(r.out, "runs"), 3) << r.out;
  EXPECT_GT(json_number(r.out, "bytes"), 0) << r.out;
  EXPECT_NE(r.out.find("\"format\": \"trace-cmd report text\""), std::string::npos) << r.out;
  for (const char* phase : {"\"decode\": {", "\"engine\": {"}) {
    const std::size_t at = r.out.find(phase);
    ASSERT_NE(at, std::string::npos) << phase << r.out;
    for (const char* key : {"median_ns", "min_ns", "cpu_median_ns", "events_per_s", "mb_per_s"})
      EXPECT_GT(json_number(r.out, key, at), 0) << phase << key;
    EXPECT_GE(json_number(r.out, "peak_rss_bytes", at), 0) << phase;
  }
  EXPECT_GE(json_number(r.out, "replay_buffer_bytes"), 10 * 64) << r.out;
  EXPECT_TRUE(r.out.find("\"memory_method\": \"vmhwm\"") != std::string::npos ||
              r.out.find("\"memory_method\": \"ru_maxrss\"") != std::string::npos)
      << r.out;
}

TEST_F(Cli, BenchErrors) {
  expect_error(run({"bench"}), "no TRACE given (see 'rtlat bench --help')");
  expect_error(run({"bench", "-"}), "bench: TRACE must be a file, not stdin");
  expect_error(run({"bench", "--runs", "0", trace_}), "--runs: '0' is not a positive integer");
  expect_error(run({"bench", "--format", "csv", trace_}), "--format: 'csv' (text|json)");
  expect_error(run({"bench", "--runs", "2", "--runs", "3", trace_}), "--runs given twice");
  expect_error(run({"bench", (dir_ / "missing.dat").string()}), "is not a regular file");
  expect_error(run({"bench", write("empty.txt", "")}), "no trace events");
}

// ---- the default text report --------------------------------------------------------------------

TEST_F(Cli, TextReportOfTwoTasks) {
  const CliRun r = run({"report", trace_});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_NE(r.out.find("10 events, 2 cpus"), std::string::npos) << r.out;
  const std::size_t cyc = r.out.find("=== cyclictest  pid 1234");
  const std::size_t worker = r.out.find("=== worker  pid 2000");
  ASSERT_NE(cyc, std::string::npos) << r.out;
  ASSERT_NE(worker, std::string::npos) << r.out;
  EXPECT_LT(cyc, worker) << "worst latency 50us sorts before 30us";
  EXPECT_NE(r.out.find("  latency         2   10.0us   50.0us   30.0us"), std::string::npos);
  EXPECT_NE(r.out.find("  latency         1   30.0us   30.0us   30.0us"), std::string::npos);
  EXPECT_NE(r.out.find("  response        1  110.0us  110.0us  110.0us"), std::string::npos);
  EXPECT_NE(r.out.find("    +    30.000us   0 bash-3000 sched_switch bash:3000 [120] R+ ==> "
                       "worker:2000 [120]"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("=== bash"), std::string::npos);
  EXPECT_NE(r.out.find("1 task without samples not shown"), std::string::npos);
}

// ---- JSON and CSV -------------------------------------------------------------------------------

TEST_F(Cli, JsonFollowsTheSchema) {
  const CliRun r = run({"report", "--format", "json", trace_});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(JsonGrammar(r.out).ok()) << r.out;
  for (const char* key :
       {"\"trace\": {\"source\": ",
        "\"events\": 10, \"cpus\": 2, \"start_ns\": 100000000000, "
        "\"end_ns\": 200000110000",
        "\"lost_events\": 0",
        "\"implicit_switches\": 0",
        "\"unobserved_latency\": 0",
        "\"unobserved_response\": 0",
        "\"unobserved_relief\": 0",
        "\"unobserved_irq\": 0",
        "\"lost_event_markers\": 0",
        "\"skipped\": 0",
        "\"out_of_order\": 0",
        "\"tasks\": [",
        "{\"pid\": 3000, \"tgid\": null, \"comm\": \"bash\"",  // JSON lists every task
        "{\"pid\": 2000, \"tgid\": null, \"comm\": \"worker\"",
        "\"latency\": {\"count\": 1, \"min_ns\": 30000, \"max_ns\": 30000, \"mean_ns\": 30000",
        "\"response\": {\"count\": 1, \"min_ns\": 110000, \"max_ns\": 110000",
        "\"latency\": {\"count\": 2, \"min_ns\": 10000, \"max_ns\": 50000, \"mean_ns\": 30000",
        "\"worst\": {\"start_ns\": 100001000000, \"end_ns\": 100001050000, \"cpu\": 1, "
        "\"elided\": 0, \"events\": [",
        "{\"ts_ns\": 100001050000, \"cpu\": 1, \"pid\": 0, \"event\": \"sched_switch\", "
        "\"fields\": {\"prev_comm\": \"swapper/1\", \"prev_pid\": 0, \"prev_prio\": 120, "
        "\"prev_state\": \"R\"",
        "\"relief\": {\"count\": 0, \"min_ns\": null, \"max_ns\": null, \"mean_ns\": null",
        "\"derived\": false, \"slo_ns\": null, \"violations\": 0,\n      \"worst\": null}"})
    EXPECT_NE(r.out.find(key), std::string::npos) << key << "\n" << r.out;
  // Three tasks, each with the four metric keys.
  std::size_t tasks = 0, metrics = 0;
  for (std::size_t p = r.out.find("\"metrics\": {"); p != std::string::npos;
       p = r.out.find("\"metrics\": {", p + 1))
    ++tasks;
  for (const char* m : {"\"latency\": {", "\"response\": {", "\"relief\": {", "\"irq\": {"})
    for (std::size_t p = r.out.find(m); p != std::string::npos; p = r.out.find(m, p + 1)) ++metrics;
  EXPECT_EQ(tasks, 3u);
  EXPECT_EQ(metrics, 12u);
}

TEST_F(Cli, CsvAndTop) {
  CliRun r = run({"report", "--format=csv", trace_});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.rfind("pid,tgid,comm,metric,count,", 0), 0u);
  EXPECT_EQ(csv_rows_of(r.out, "1234,").size(), rtlat::metric_count);
  EXPECT_EQ(csv_rows_of(r.out, "2000,").size(), rtlat::metric_count);
  EXPECT_EQ(csv_rows_of(r.out, "3000,").size(), rtlat::metric_count);
  EXPECT_EQ(csv_rows_of(r.out, "2000,")[0],
            "2000,,\"worker\",latency,1,30000,30000,30000,30000,30000,30000,30000,false,,0");

  r = run({"report", "--format", "csv", "--top", "1", trace_});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(csv_rows_of(r.out, "1234,").size(), rtlat::metric_count);
  EXPECT_TRUE(csv_rows_of(r.out, "2000,").empty());
  EXPECT_TRUE(csv_rows_of(r.out, "3000,").empty());

  r = run({"report", "--top", "1", "--format", "json", trace_});
  EXPECT_NE(r.out.find("\"pid\": 1234"), std::string::npos);
  EXPECT_EQ(r.out.find("\"pid\": 2000,"), std::string::npos);
}

// ---- selection
// -----------------------------------------------------------------------------------

TEST_F(Cli, SelectionByPidAndComm) {
  CliRun r = run({"report", "-p", "2000", trace_});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("=== worker  pid 2000"), std::string::npos);
  EXPECT_EQ(r.out.find("=== cyclictest"), std::string::npos);

  // Selected explicitly: shown even without samples.
  r = run({"report", "--pid", "3000,1234", trace_});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("=== bash  pid 3000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("=== cyclictest  pid 1234"), std::string::npos);
  EXPECT_EQ(r.out.find("=== worker"), std::string::npos);
  EXPECT_EQ(r.out.find("without samples not shown"), std::string::npos);

  r = run({"report", "--comm", "^cyc", "--format", "csv", trace_});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(csv_rows_of(r.out, "1234,").size(), rtlat::metric_count);
  EXPECT_TRUE(csv_rows_of(r.out, "2000,").empty());
  EXPECT_TRUE(csv_rows_of(r.out, "3000,").empty());
}

// The tracefs `trace` file with the tgid column (options/record-tgid): worker 2000 is a thread
// of 1999, cyclictest 1234 of 1230. Each task issues an event (which carries its tgid) before
// its first wakeup, so the engine knows the tgid when the sample starts.
constexpr const char* with_tgids = R"(# tracer: nop
#
#           TASK-PID     TGID     CPU#  |||||  TIMESTAMP  FUNCTION
#              | |         |        |   |||||     |         |
      cyclictest-1234    (   1230) [001] d..2.   100.000000: sched_switch: prev_comm=cyclictest prev_pid=1234 prev_prio=19 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120
          <idle>-0       (-------) [001] dNh4.   100.001000: sched_wakeup: comm=cyclictest pid=1234 prio=19 target_cpu=001
          <idle>-0       (-------) [001] d..2.   100.001050: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=cyclictest next_pid=1234 next_prio=19
          worker-2000    (   1999) [000] d..2.   199.999000: sched_switch: prev_comm=worker prev_pid=2000 prev_prio=120 prev_state=S ==> next_comm=bash next_pid=3000 next_prio=120
            bash-3000    (   3000) [000] d..2.   200.000000: sched_wakeup: comm=worker pid=2000 prio=120 target_cpu=000
            bash-3000    (   3000) [000] d..2.   200.000030: sched_switch: prev_comm=bash prev_pid=3000 prev_prio=120 prev_state=R+ ==> next_comm=worker next_pid=2000 next_prio=120
          worker-2000    (   1999) [000] d..2.   200.000110: sched_switch: prev_comm=worker prev_pid=2000 prev_prio=120 prev_state=S ==> next_comm=bash next_pid=3000 next_prio=120
)";

TEST_F(Cli, SelectionByTgid) {
  const std::string path = write("tgids.txt", with_tgids);
  CliRun r = run({"report", "--tgid", "1999", "--format", "csv", path});
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto worker = csv_rows_of(r.out, "2000,");
  ASSERT_EQ(worker.size(), rtlat::metric_count) << r.out;
  EXPECT_EQ(worker[0],
            "2000,1999,\"worker\",latency,1,30000,30000,30000,30000,30000,30000,30000,false,,0");
  EXPECT_TRUE(csv_rows_of(r.out, "1234,").empty());
  EXPECT_TRUE(csv_rows_of(r.out, "3000,").empty());
  r = run({"report", "--tgid", "1230,3000", "--format", "json", path});
  EXPECT_NE(r.out.find("{\"pid\": 1234, \"tgid\": 1230, \"comm\": \"cyclictest\""),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("{\"pid\": 3000, \"tgid\": 3000, \"comm\": \"bash\""), std::string::npos);
  EXPECT_EQ(r.out.find("\"pid\": 2000, \"tgid\""), std::string::npos);
}

// ---- SLOs and exit codes
// -------------------------------------------------------------------------

TEST_F(Cli, FailOnViolation) {
  // cyclictest's worst latency is 50us: 40us is violated once, 50us (at the bound) is not.
  CliRun r = run({"report", "--slo", "latency=40us", "--fail-on-violation", trace_});
  EXPECT_EQ(r.rc, 3) << r.err;
  EXPECT_NE(r.out.find("=== cyclictest"), std::string::npos) << "the report is still written";
  EXPECT_NE(r.out.find("   40.0us      1\n"), std::string::npos) << r.out;
  r = run({"report", "--slo", "latency=50us", "--fail-on-violation", trace_});
  EXPECT_EQ(r.rc, 0) << r.err;
  r = run({"report", "--slo", "latency=49999ns", "--fail-on-violation", trace_});
  EXPECT_EQ(r.rc, 3);
  r = run({"report", "--slo", "latency=40us", trace_});
  EXPECT_EQ(r.rc, 0) << "violations alone do not fail without --fail-on-violation";
  // Only selected tasks are measured: cyclictest, not selected, violates nothing.
  r = run({"report", "--slo", "latency=40us", "--pid", "2000", "--fail-on-violation", trace_});
  EXPECT_EQ(r.rc, 0);
}

// Two tasks of one comm, each woken, run and exited on CPU 0 (us after 100 s):
//   worker 100: woken at 0, runs at 2000 (latency 2 ms), exits at 2100, switched out X at 2200.
//   worker 200: woken at 10000, runs at 10010 (latency 10 us), exits, switched out X.
// With --slo latency=1ms, worker 100 violates once. --max-finished-tasks 0 folds both into the
// group "worker" (2 tasks, 2 latency samples, 1 violation) and lists no task on its own.
constexpr const char* two_exits = R"(cpus=1
          <idle>-0     [000]   100.000000: sched_wakeup:         worker:100 [120] CPU:000
          <idle>-0     [000]   100.002000: sched_switch:         swapper/0:0 [120] R ==> worker:100 [120]
          worker-100   [000]   100.002100: sched_process_exit:   comm=worker pid=100 prio=120 group_dead=true
          worker-100   [000]   100.002200: sched_switch:         worker:100 [120] X ==> swapper/0:0 [120]
          <idle>-0     [000]   100.010000: sched_wakeup:         worker:200 [120] CPU:000
          <idle>-0     [000]   100.010010: sched_switch:         swapper/0:0 [120] R ==> worker:200 [120]
          worker-200   [000]   100.010100: sched_process_exit:   comm=worker pid=200 prio=120 group_dead=true
          worker-200   [000]   100.010200: sched_switch:         worker:200 [120] X ==> swapper/0:0 [120]
)";

TEST_F(Cli, FailOnViolationCountsFoldedTasks) {
  const std::string trace = write("two_exits.txt", two_exits);
  CliRun r = run({"report", trace, "--slo", "latency=1ms", "--fail-on-violation",
                  "--max-finished-tasks", "none", "--format", "json"});
  EXPECT_EQ(r.rc, 3) << r.err;
  EXPECT_NE(r.out.find("{\"pid\": 100, \"tgid\": null, \"comm\": \"worker\""), std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("\"folded\""), std::string::npos) << r.out;

  // The violating task is folded: the gate still fails, and the group holds the violation.
  r = run({"report", trace, "--slo", "latency=1ms", "--fail-on-violation", "--max-finished-tasks",
           "0", "--format", "json"});
  EXPECT_EQ(r.rc, 3) << r.err;
  EXPECT_NE(r.out.find("\"tasks\": [],"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n \"folded\": [\n  {\"comm\": \"worker\", \"tasks\": 2,"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"latency\": {\"count\": 2, \"min_ns\": 10000, \"max_ns\": 2000000,"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"slo_ns\": 1000000, \"violations\": 1,"), std::string::npos) << r.out;

  // --top keeps one task or group for display; the gate looked at all of them before.
  r = run({"report", trace, "--slo", "latency=1ms", "--fail-on-violation", "--max-finished-tasks",
           "0", "--top", "1"});
  EXPECT_EQ(r.rc, 3) << r.err;
  // A bound both samples meet passes, folded or not.
  for (const char* bound : {"none", "0"}) {
    r = run({"report", trace, "--slo", "latency=2ms", "--fail-on-violation", "--max-finished-tasks",
             bound});
    EXPECT_EQ(r.rc, 0) << bound << ": " << r.err;
  }
}

TEST_F(Cli, PerPidSloOverride) {
  const CliRun r = run({"report", "--format", "csv", "--slo", "latency=100us", "--slo",
                        "1234:latency=0.02ms", "--slo", "response=0.1ms", trace_});
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto cyc = csv_rows_of(r.out, "1234,");
  const auto worker = csv_rows_of(r.out, "2000,");
  ASSERT_EQ(cyc.size(), rtlat::metric_count);
  ASSERT_EQ(worker.size(), rtlat::metric_count);
  // cyclictest: latencies 50us and 10us against its own 20us bound: one violation.
  EXPECT_EQ(cyc[0].substr(cyc[0].size() - 8), ",20000,1") << cyc[0];
  // responses 200us and 100us against 100us: only the one over the bound.
  EXPECT_EQ(cyc[1].substr(cyc[1].size() - 9), ",100000,1") << cyc[1];
  // worker: 30us against the default 100us; response 110us over 100us.
  EXPECT_EQ(worker[0].substr(worker[0].size() - 9), ",100000,0") << worker[0];
  EXPECT_EQ(worker[1].substr(worker[1].size() - 9), ",100000,1") << worker[1];
  EXPECT_EQ(worker[2].substr(worker[2].size() - 9), ",false,,0") << worker[2];
}

TEST_F(Cli, OutputFile) {
  const std::string out = (dir_ / "report.json").string();
  CliRun r = run({"report", "-o", out, "--format", "json", trace_});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  const std::string text = slurp(out);
  EXPECT_TRUE(JsonGrammar(text).ok()) << text;
  EXPECT_NE(text.find("\"pid\": 1234"), std::string::npos);

  r = run({"report", "--output=" + (dir_ / "no" / "such" / "dir.txt").string(), trace_});
  expect_error(r, "no/such/dir.txt");

  // An input error leaves no output file behind.
  const std::string never = (dir_ / "never.txt").string();
  r = run({"report", "-o", never, (dir_ / "missing.txt").string()});
  EXPECT_EQ(r.rc, 2);
  EXPECT_FALSE(fs::exists(never));
}

TEST_F(Cli, StdinIsDash) {
  const CliRun file = run({"report", "--format", "csv", trace_});
  const CliRun in = run({"report", "--format", "csv", "-"}, trace_);
  ASSERT_EQ(in.rc, 0) << in.err;
  EXPECT_EQ(in.out, file.out);
  const CliRun json = run({"report", "--format", "json", "-"}, trace_);
  EXPECT_NE(json.out.find("\"source\": \"-\""), std::string::npos);
}

TEST_F(Cli, WakeupEventWaking) {
  // With --wakeup-event waking, sched_wakeup no longer starts anything: no latency samples.
  const CliRun r = run({"report", "--wakeup-event", "waking", "--format", "csv", trace_});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(csv_rows_of(r.out, "1234,")[0], "1234,,\"cyclictest\",latency,0,,,,,,,,false,,0");
}

// ---- bundled recordings ------------------------------------------------------------------------

const fs::path data_dir = fs::path(RTLAT_SOURCE_DIR) / "data";

TEST_F(Cli, TraceDatGivesTheNumbersOfItsTextConversion) {
  const fs::path dat = data_dir / "cyclictest.dat", txt = data_dir / "cyclictest.txt";
  // Bundled in data/ (other tests read them unconditionally): missing is a broken checkout.
  ASSERT_TRUE(fs::exists(dat)) << dat;
  ASSERT_TRUE(fs::exists(txt)) << txt;
  const CliRun a = run({"report", "--format", "csv", dat.string()});
  // The text does not say which syscall numbering it has; the recording is x86_64's, and this
  // test may run on another architecture (scripts/cross-test).
  const CliRun b = run({"report", "--arch", "x86_64", "--format", "csv", txt.string()});
  ASSERT_EQ(a.rc, 0) << a.err;
  ASSERT_EQ(b.rc, 0) << b.err;
  EXPECT_GT(a.out.size(), csv_rows_of(a.out, "pid,").front().size() + 1) << "no task rows";
  EXPECT_EQ(a.out, b.out);
  expect_error(run({"report", "--buffer", "no-such-instance", dat.string()}), dat.string());

  // Redirected into stdin, the file is still recognised as a trace.dat.
  const CliRun in = run({"report", "--format", "csv", "-"}, dat.string());
  ASSERT_EQ(in.rc, 0) << in.err;
  EXPECT_EQ(in.out, a.out);

  // A truncated trace.dat: exit 2 naming the file (or "-" on stdin).
  const std::string cut = (dir_ / "cut.dat").string();
  {
    std::ifstream src(dat, std::ios::binary);
    std::string head(4096, '\0');
    src.read(head.data(), static_cast<std::streamsize>(head.size()));
    std::ofstream(cut, std::ios::binary) << head;
  }
  expect_error(run({"report", cut}), "rtlat: " + cut + ": ");
  expect_error(run({"report", "-"}, cut), "rtlat: -: ");
}

TEST_F(Cli, DerivedIrqIsMarkedInEveryFormat) {
  const fs::path txt = data_dir / "irq-derived.txt";
  ASSERT_TRUE(fs::exists(txt)) << txt;
  CliRun r = run({"report", "--comm", "^irq/", txt.string()});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\n  irq*      "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("* derived from scheduler events"), std::string::npos);
  r = run({"report", "--comm", "^irq/", "--format", "json", txt.string()});
  EXPECT_TRUE(JsonGrammar(r.out).ok());
  EXPECT_NE(r.out.find("\"derived\": true"), std::string::npos);
  r = run({"report", "--comm", "^irq/", "--format", "csv", txt.string()});
  const auto rows = csv_rows_of(r.out, "181,");
  ASSERT_EQ(rows.size(), rtlat::metric_count);
  EXPECT_NE(rows[3].find(",irq,"), std::string::npos);
  EXPECT_NE(rows[3].find(",true,"), std::string::npos) << rows[3];
}

// ---- usage and input errors
// ----------------------------------------------------------------------

TEST_F(Cli, UsageErrors) {
  expect_error(run({}), "no command");
  expect_error(run({"frobnicate"}), "unknown command 'frobnicate'");
  expect_error(run({"report"}), "no TRACE");
  expect_error(run({"report", trace_, trace_}), "more than one TRACE");
  expect_error(run({"report", "--bogus", trace_}), "unknown option '--bogus'");
  expect_error(run({"report", "--slo", "latency", trace_}), "--slo 'latency'");
  expect_error(run({"report", "--slo", "latency=50", trace_}), "bad duration '50'");
  expect_error(run({"report", "--slo", "latency=-5us", trace_}), "bad duration '-5us'");
  expect_error(run({"report", "--slo", "latency=5parsecs", trace_}), "bad duration '5parsecs'");
  expect_error(run({"report", "--slo", "lateness=5us", trace_}), "unknown metric 'lateness'");
  expect_error(run({"report", "--slo", "abc:latency=5us", trace_}), "'abc' is not a pid");
  expect_error(run({"report", "--slo"}), "--slo needs a value");
  expect_error(run({"report", "--pid", "12x", trace_}), "--pid: '12x'");
  expect_error(run({"report", "-p", "1,,2", trace_}), "-p: ''");
  expect_error(run({"report", "--window", "0", trace_}), "--window: '0'");
  expect_error(run({"report", "--top", "many", trace_}), "--top: 'many'");
  expect_error(run({"report", "--format", "xml", trace_}), "--format: 'xml'");
  expect_error(run({"report", "--wakeup-event", "poke", trace_}), "--wakeup-event: 'poke'");
  expect_error(run({"report", "--comm", "([", trace_}), "--comm '(['");
  expect_error(run({"report", "--arch", "pdp11", trace_}), "unknown architecture 'pdp11'");
  expect_error(run({"report", "--fail-on-violation=yes", trace_}), "takes no value");
  expect_error(run({"report", "--buffer", "foo", trace_}), "--buffer applies to trace.dat");
  expect_error(run({"report", "--max-finished-tasks", "-1", trace_}),
               "--max-finished-tasks: '-1' is not a non-negative integer");
  expect_error(run({"report", "--max-finished-tasks", "all", trace_}),
               "--max-finished-tasks: 'all'");
}

// ---- bounded memory -----------------------------------------------------------------------------

TEST_F(Cli, MaxFinishedTasksFoldsWithoutLosingSamples) {
  const std::string trace = std::string(RTLAT_SOURCE_DIR) + "/data/cyclictest.txt";
  const CliRun all = run({"report", trace, "--format", "json"});
  ASSERT_EQ(all.rc, 0) << all.err;
  EXPECT_EQ(all.out.find("\"folded\""), std::string::npos);
  const CliRun none = run({"report", trace, "--format", "json", "--max-finished-tasks", "none"});
  EXPECT_EQ(none.out, all.out);  // "none" is the offline default
  const CliRun big = run({"report", trace, "--format", "json", "--max-finished-tasks", "100000"});
  EXPECT_EQ(big.out, all.out);  // a bound never reached changes nothing
  const CliRun folded = run({"report", trace, "--format", "json", "--max-finished-tasks", "0"});
  ASSERT_EQ(folded.rc, 0) << folded.err;
  EXPECT_NE(folded.out.find("\n \"folded\": [\n  {\"comm\": "), std::string::npos) << folded.out;
  // The sample counts of the whole report are the same: every sample is in a task or a group.
  auto counts = [](const std::string& json) {
    std::uint64_t n = 0;
    for (std::size_t p = json.find("\"count\": "); p != std::string::npos;
         p = json.find("\"count\": ", p + 1))
      n += std::stoull(json.substr(p + 9));
    return n;
  };
  EXPECT_GT(counts(all.out), 0u);
  EXPECT_EQ(counts(folded.out), counts(all.out));
  const CliRun text = run({"report", trace, "--max-finished-tasks", "0"});
  ASSERT_EQ(text.rc, 0) << text.err;
  EXPECT_NE(text.out.find("\nfolded: "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("=== folded: "), std::string::npos) << text.out;
}

TEST_F(Cli, InputErrorsNameTheFile) {
  const std::string missing = (dir_ / "missing.txt").string();
  expect_error(run({"report", missing}), missing);

  // A malformed line of a known event: file and line.
  std::string bad = two_tasks;
  bad.replace(bad.find("cyclictest:1234 [19] CPU:001"), 28, "garbage");
  const std::string bad_path = write("bad.txt", bad);
  CliRun r = run({"report", bad_path});
  expect_error(r, bad_path);
  EXPECT_NE(r.err.find("line 3"), std::string::npos) << r.err;

  // Time going backwards on a CPU (the engine's error, attributed to the file).
  std::string back = two_tasks;
  back.replace(back.find("100.001000"), 10, "099.000000");
  const std::string back_path = write("back.txt", back);
  r = run({"report", back_path});
  expect_error(r, back_path);
  EXPECT_NE(r.err.find("backwards"), std::string::npos) << r.err;

  // The same through stdin is named "-".
  r = run({"report", "-"}, back_path);
  expect_error(r, "rtlat: -: ");
}

// A report on nothing must not pass a CI gate: an input without any event is an error.
TEST_F(Cli, InputWithoutEventsIsAnError) {
  expect_error(run({"report", write("empty.txt", "")}), "no trace events in the input");
  expect_error(run({"report", write("headers.txt", "cpus=2\n# tracer: nop\n")}),
               "no trace events in the input");
  expect_error(run({"report", "--fail-on-violation", "--slo", "latency=1us",
                    write("junk.txt", "hello\nworld\n")}),
               "no trace events recognized (2 lines skipped)");
}

// An endless input that is not a trace ends: 16 MiB without an event line is exit 2.
TEST_F(Cli, EndlessNonTraceInputEnds) {
  const CliRun r = run({"report", "/dev/urandom"});
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_NE(r.err.find("rtlat: /dev/urandom: line "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no trace event in the first 16 MiB: not a text trace"), std::string::npos)
      << r.err;
}

// A corrupt line of a known event names the file, the line and what is wrong (it was dropped).
TEST_F(Cli, CorruptKnownEventLineIsAnError) {
  const CliRun r = run({"report", write("cpu.txt",
                                        "cpus=2\n  a-1  [99999]  1.000002: "
                                        "sched_switch: a:1 [120] S ==> b:2 [120]\n")});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("cpu.txt: line 2: malformed sched_switch line: CPU 99999 out of range"),
            std::string::npos)
      << r.err;
}

// A pipe cannot be sniffed and seeked like a file: a trace.dat through one is named as such.
TEST_F(Cli, TraceDatThroughAPipeIsNamedNotMisread) {
  const fs::path err = dir_ / "pipe.err";
  const std::string cmd = "cat " + quote(std::string(RTLAT_SOURCE_DIR) + "/data/healthy.dat") +
                          " | " + quote(cli_) + " report - >/dev/null 2>" + quote(err.string());
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  const std::string msg = slurp(err);
  EXPECT_NE(msg.find("rtlat: -: line 1: this is a trace.dat, not text"), std::string::npos) << msg;
  // Redirected from the file, the same bytes are read as a trace.dat.
  const CliRun r = run({"report", "--format", "csv", "-"}, RTLAT_SOURCE_DIR "/data/healthy.dat");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\"rt-healthy\",latency,"), std::string::npos);
}

// ---- hardening: outputs, options, patterns
// ---------------------------------------------------------

// `-o` naming the input destroyed the trace (exit 0): every spelling of the same file, a
// symlink, a hard link, and the file stdin is redirected from are refused, the trace untouched.
TEST_F(Cli, OutputThatIsTheInputIsRefused) {
  const std::string before = slurp(trace_);
  const fs::path link = dir_ / "link.txt", hard = dir_ / "hard.txt";
  fs::create_symlink(trace_, link);
  fs::create_hard_link(trace_, hard);
  const std::string dot = (dir_ / "." / "two_tasks.txt").string();
  const std::string slashes = dir_.string() + "//two_tasks.txt";
  for (const std::string& out : {trace_, dot, slashes, link.string(), hard.string()}) {
    const CliRun r = run({"report", trace_, "-o", out});
    expect_error(r, "is the input trace");
    EXPECT_NE(r.err.find(out), std::string::npos) << r.err;
    EXPECT_EQ(slurp(trace_), before) << "the trace was changed through " << out;
  }
  // The symlink as the input, the file as the output.
  expect_error(run({"report", link.string(), "-o", trace_}), "is the input trace");
  // stdin redirected from the file.
  const CliRun r = run({"report", "-", "-o", trace_}, trace_);
  expect_error(r, "is the input trace (stdin)");
  EXPECT_EQ(slurp(trace_), before);
  EXPECT_TRUE(fs::is_symlink(link));
}

// The report reaches its file through a temporary one renamed into place: a failed run leaves
// the old report as it was, and nothing else behind.
TEST_F(Cli, OutputFileIsReplacedOnlyByACompleteReport) {
  const fs::path out = dir_ / "out" / "report.txt";
  fs::create_directories(out.parent_path());
  std::ofstream(out) << "old report\n";
  fs::permissions(out, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  CliRun r = run({"report", "-o", out.string(), (dir_ / "missing.txt").string()});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(slurp(out), "old report\n");
  r = run({"report", "-o", out.string(), "--format", "csv", trace_});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(slurp(out).rfind("pid,tgid,comm,metric,", 0), 0u);
  // The replaced file keeps its mode; no temporary file is left in the folder.
  EXPECT_EQ(fs::status(out).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(out.parent_path()))
    names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"report.txt"});
  // Through a symlink, the link stays and its target gets the report.
  const fs::path via = dir_ / "out" / "latest";
  fs::create_symlink("report.txt", via);
  r = run({"report", "-o", via.string(), "--format", "json", trace_});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(via));
  EXPECT_EQ(slurp(out).rfind("{\"trace\": ", 0), 0u);
  // Devices are written in place.
  EXPECT_EQ(run({"report", "-o", "/dev/null", trace_}).rc, 0);

  // A write that fails half-way (here: over a 1 KiB file size limit) leaves the old report, and
  // no temporary file, behind.
  std::ofstream(out) << "old report\n";
  const fs::path err = dir_ / "fsize.err";
  const std::string cmd = "ulimit -f 1; " + quote(cli_) + " report -o " + quote(out.string()) +
                          " --format json " + quote(trace_) + " 2>" + quote(err.string());
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status)) << "killed by a signal";
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_EQ(slurp(err), "rtlat: " + out.string() + ": write failed: File too large\n");
  EXPECT_EQ(slurp(out), "old report\n");
  names.clear();
  for (const auto& e : fs::directory_iterator(out.parent_path()))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"latest", "report.txt"}));
}

TEST_F(Cli, StdoutWriteFailureGivesTheReason) {
  const fs::path err = dir_ / "full.err";
  const std::string cmd =
      quote(cli_) + " report " + quote(trace_) + " >/dev/full 2>" + quote(err.string());
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_EQ(slurp(err), "rtlat: writing the report to stdout failed: No space left on device\n");
}

// --samples: every sample of the selected tasks, one row each in the order they complete, worked
// out by hand from two_tasks (see its comment) with a 40us latency bound: only cyclictest's
// first latency (50us) violates it. Text traces carry no tgid: the column stays empty.
TEST_F(Cli, SamplesCsvHasEverySample) {
  const fs::path csv = dir_ / "samples.csv";
  CliRun r = run({"report", "--slo", "latency=40us", "--samples", csv.string(), trace_});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(slurp(csv),
            "pid,tgid,comm,metric,start_ns,end_ns,value_ns,cpu,violation\n"
            "1234,,\"cyclictest\",latency,100001000000,100001050000,50000,1,true\n"
            "1234,,\"cyclictest\",response,100001000000,100001200000,200000,1,false\n"
            "1234,,\"cyclictest\",latency,100002000000,100002010000,10000,1,false\n"
            "1234,,\"cyclictest\",response,100002000000,100002100000,100000,1,false\n"
            "2000,,\"worker\",latency,200000000000,200000030000,30000,0,false\n"
            "2000,,\"worker\",response,200000000000,200000110000,110000,0,false\n");
  // Only the selected tasks; the report itself is unchanged.
  r = run({"report", "--comm", "^work", "--samples", csv.string(), trace_});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(slurp(csv),
            "pid,tgid,comm,metric,start_ns,end_ns,value_ns,cpu,violation\n"
            "2000,,\"worker\",latency,200000000000,200000030000,30000,0,false\n"
            "2000,,\"worker\",response,200000000000,200000110000,110000,0,false\n");
  EXPECT_EQ(r.out, run({"report", "--comm", "^work", trace_}).out);
  // A comm with a comma and a quote is quoted as --format csv quotes it: woken at 10.000000,
  // on CPU at +4us, asleep at +25us.
  const std::string odd = write("odd.txt", R"(cpus=1
          <idle>-0     [000]    10.000000: sched_wakeup:         a,"b:77 [19] CPU:000
          <idle>-0     [000]    10.000004: sched_switch:         swapper/0:0 [120] R ==> a,"b:77 [19]
           a,"b-77     [000]    10.000025: sched_switch:         a,"b:77 [19] S ==> swapper/0:0 [120]
)");
  r = run({"report", "--samples", csv.string(), odd});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(slurp(csv),
            "pid,tgid,comm,metric,start_ns,end_ns,value_ns,cpu,violation\n"
            "77,,\"a,\"\"b\",latency,10000000000,10000004000,4000,0,false\n"
            "77,,\"a,\"\"b\",response,10000000000,10000025000,25000,0,false\n");
  EXPECT_EQ(csv_rows_of(run({"report", "--format", "csv", odd}).out, "77,")[0].substr(0, 19),
            "77,,\"a,\"\"b\",latency");
}

// A failed write of the samples is an error naming the file, and no report is printed; the
// trace itself is never overwritten.
TEST_F(Cli, SamplesWriteFailureNamesTheFile) {
  expect_error(run({"report", "--samples", "/dev/full", trace_}),
               "rtlat: /dev/full: write failed: No space left on device");
  expect_error(run({"report", "--samples", trace_, trace_}),
               "--samples '" + trace_ + "' is the input trace");
  EXPECT_EQ(slurp(trace_), two_tasks);
  expect_error(run({"report", "--samples", "a.csv", "--samples", "b.csv", trace_}),
               "--samples given twice");
}

// The rows of one metric of a real recording agree with the JSON report on that task: a
// cyclictest thread of data/cyclictest.dat has 2001 latency samples.
TEST_F(Cli, SamplesAgreeWithTheJsonReport) {
  const std::string dat = std::string(RTLAT_SOURCE_DIR) + "/data/cyclictest.dat";
  const fs::path csv = dir_ / "samples.csv";
  const CliRun r =
      run({"report", "-p", "15735", "--format", "json", "--samples", csv.string(), dat});
  ASSERT_EQ(r.rc, 0) << r.err;
  // The task's latency object: count, min and max come first in it.
  const std::size_t task = r.out.find("{\"pid\": 15735,");
  ASSERT_NE(task, std::string::npos) << r.out.substr(0, 2000);
  const std::size_t lat = r.out.find("\"latency\": {", task);
  ASSERT_NE(lat, std::string::npos);
  const std::string head = r.out.substr(lat, 120);
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(head, m,
                        std::regex("^\"latency\": \\{\"count\": ([0-9]+), \"min_ns\": ([0-9]+), "
                                   "\"max_ns\": ([0-9]+),")))
      << head;
  std::uint64_t count = 0;
  std::int64_t min = std::numeric_limits<std::int64_t>::max(), max = 0;
  for (const std::string& row : csv_rows_of(slurp(csv), "15735,")) {
    // pid,tgid,"comm",metric,start_ns,end_ns,value_ns,cpu,violation
    std::vector<std::string> cells;
    std::istringstream is(row);
    for (std::string c; std::getline(is, c, ',');) cells.push_back(c);
    ASSERT_EQ(cells.size(), 9u) << row;
    if (cells[3] != "latency") continue;
    const std::int64_t v = std::stoll(cells[6]);
    EXPECT_EQ(v, std::stoll(cells[5]) - std::stoll(cells[4])) << row;
    ++count;
    min = std::min(min, v);
    max = std::max(max, v);
  }
  EXPECT_EQ(count, 2001u);
  EXPECT_EQ(std::to_string(count), m[1].str());
  EXPECT_EQ(std::to_string(min), m[2].str());
  EXPECT_EQ(std::to_string(max), m[3].str());
}

// "The last one wins" hid mistakes: options that take one value refuse a second.
TEST_F(Cli, SingleValueOptionsGivenTwiceAreUsageErrors) {
  const std::string out = (dir_ / "a.txt").string();
  expect_error(run({"report", "-o", out, "--output", out, trace_}), "--output given twice");
  expect_error(run({"report", "--format", "json", "--format=csv", trace_}), "--format given twice");
  expect_error(run({"report", "--window", "4", "--window", "8", trace_}), "--window given twice");
  expect_error(run({"report", "--top", "1", "--top", "2", trace_}), "--top given twice");
  expect_error(run({"report", "--comm", "a", "--comm", "b", trace_}),
               "--comm given twice (join the patterns with '|')");
  EXPECT_FALSE(fs::exists(out));
  // Repeatable ones stay repeatable.
  EXPECT_EQ(run({"report", "-p", "1234", "-p", "2000", "--slo", "latency=1ms", "--slo",
                 "response=1ms", trace_})
                .rc,
            0);
}

// std::regex backtracked: '((a*)*)*b' against a 15-character comm ran for seconds (and more
// nesting for minutes). RE2 is linear in the comm: the report finishes at once, selecting
// nothing, and a real pattern still selects.
TEST_F(Cli, CommPatternsCannotBacktrack) {
  const std::string t = write("aaa.txt",
                              "cpus=1\n"
                              "  aaaaaaaaaaaaaaa-5 [000] 1.000000: sched_switch: aaaaaaaaaaaaaaa:5 "
                              "[120] S ==> swapper/0:0 [120]\n");
  const fs::path err = dir_ / "re.err";
  for (const char* re : {"((a*)*)*b", "(a*)*b", "(((a+)+)+)+b", "(a|aa)*c"}) {
    const std::string cmd = "timeout 20 " + quote(cli_) + " report --format csv --comm " +
                            quote(re) + " " + quote(t) + " >/dev/null 2>" + quote(err.string());
    const int status = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << re << " (124: timed out) " << slurp(err);
  }
  CliRun r = run({"report", "--format", "csv", "--comm", "^a{15}$", t});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(csv_rows_of(r.out, "5,").size(), rtlat::metric_count);
  r = run({"report", "--comm", "(a)\\1", t});
  expect_error(r, "--comm '(a)\\1': bad regular expression: ");
  EXPECT_EQ(r.err.find("_GLIBCXX"), std::string::npos) << r.err;
}

// A trace.dat through a FIFO was probed (consuming its first bytes) and then read as a file of
// size 0. It gets the message a pipe on stdin gets.
TEST_F(Cli, TraceDatThroughAFifoIsNamedAsAPipe) {
  const fs::path fifo = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const fs::path err = dir_ / "fifo.err";
  const std::string cmd = "(cat " + quote(std::string(RTLAT_SOURCE_DIR) + "/data/format/tiny.dat") +
                          " >" + quote(fifo.string()) + " &) ; timeout 20 " + quote(cli_) +
                          " report " + quote(fifo.string()) + " >/dev/null 2>" +
                          quote(err.string());
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  const std::string msg = slurp(err);
  EXPECT_NE(msg.find("rtlat: " + fifo.string() + ": line 1: this is a trace.dat, not text"),
            std::string::npos)
      << msg;
  EXPECT_EQ(msg.find("file size"), std::string::npos) << msg;
}

// Notes name the file they are about.
TEST_F(Cli, NotesNameTheFile) {
  std::string dat = slurp(fs::path(RTLAT_SOURCE_DIR) / "data/format/tiny-v6.dat");
  const std::size_t at = dat.find("format:", dat.find("name: sched_wakeup\n"));
  ASSERT_NE(at, std::string::npos);
  dat.replace(at, 7, "fxrmat:");  // libtraceevent cannot parse this one format
  const std::string path = write("badformat.dat", dat);
  const CliRun r = run({"report", path});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.err.rfind("rtlat: " + path + ": note: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(" of unparsable format sched:sched_wakeup"), std::string::npos) << r.err;
}

// A trace that recorded only sched_switch (trace-cmd record -e sched_switch, common on Pi
// boards): irq/31-eth0 is switched in at 10, 110 and 210 and sleeps (S) 20, 30 and 25us later.
// The first activation began before the trace (its sleep was not seen), so derived irq has two
// samples, 30 and 25us. No wakeups and no timer markers: the report says what they prevented,
// one line each, and --top still ranks the IRQ thread first.
TEST_F(Cli, SwitchOnlyTraceSaysWhatIsMissing) {
  const std::string t = write("switch_only.txt", R"(cpus=1
          <idle>-0     [000]     1.000010000: sched_switch: swapper/0:0 [120] R ==> irq/31-eth0:80 [49]
     irq/31-eth0-80    [000]     1.000030000: sched_switch: irq/31-eth0:80 [49] S ==> bash:500 [120]
            bash-500   [000]     1.000110000: sched_switch: bash:500 [120] R+ ==> irq/31-eth0:80 [49]
     irq/31-eth0-80    [000]     1.000140000: sched_switch: irq/31-eth0:80 [49] S ==> bash:500 [120]
            bash-500   [000]     1.000210000: sched_switch: bash:500 [120] R+ ==> irq/31-eth0:80 [49]
     irq/31-eth0-80    [000]     1.000235000: sched_switch: irq/31-eth0:80 [49] S ==> swapper/0:0 [120]
)");
  CliRun r = run({"report", "--top", "3", t});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("  note: no wakeup events, so no latency or response; record: trace-cmd "
                       "record -e sched\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  note: no timer-sleep markers, so no relief; record: trace-cmd record "
                       "-e raw_syscalls:sys_enter\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("no sched_switch events"), std::string::npos);
  EXPECT_NE(r.out.find("=== irq/31-eth0  pid 80"), std::string::npos) << r.out;
  r = run({"report", "--top", "1", "--format", "csv", t});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(csv_rows_of(r.out, "80,")[3],
            "80,,\"irq/31-eth0\",irq,2,25000,30000,27500,25000,"
            "30000,30000,30000,true,,0");
}

}  // namespace

namespace {

std::size_t count_of(const std::string& s, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + 1)) ++n;
  return n;
}

// --perfetto: Chrome trace-event JSON of the worst windows; --perfetto-all: the whole trace.
TEST_F(Cli, PerfettoTraceOfTheWorstWindowsAndOfEverything) {
  const std::string dat = std::string(RTLAT_SOURCE_DIR) + "/data/misprio.dat";
  const std::string worst = (dir_ / "worst.json").string(), all = (dir_ / "all.json").string();
  CliRun r = run({"report", dat, "--comm", "^(ctl-loop|bg-hog)$", "--slo", "latency=1ms",
                  "--perfetto", worst, "-o", "/dev/null"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string w = slurp(worst);
  EXPECT_TRUE(JsonGrammar(w).ok()) << w.substr(0, 2000);
  EXPECT_NE(w.find("\"displayTimeUnit\": \"ns\""), std::string::npos);
  EXPECT_NE(w.find("\"name\": \"thread_name\", \"args\": {\"name\": \"CPU 1\"}"),
            std::string::npos);
  EXPECT_NE(w.find("\"name\": \"process_name\", \"args\": {\"name\": \"ctl-loop:19411\"}"),
            std::string::npos);
  // ctl-loop's worst latency (2.77 ms from 13476.714293263 s) with its verdict, in us.
  EXPECT_NE(
      w.find("\"ts\": 13476714293.263, \"dur\": 2773.937, \"name\": \"worst latency 2.77ms\""),
      std::string::npos)
      << w.substr(0, 3000);
  EXPECT_NE(w.find("\"verdict\": \"higher_priority\""), std::string::npos);
  // bg-hog's run on CPU 1 during it, as a slice on the CPU track.
  EXPECT_NE(
      w.find("\"tid\": 1, \"ts\": 13476714293.263, \"dur\": 2773.937, \"name\": \"bg-hog:19414\""),
      std::string::npos);
  EXPECT_GE(count_of(w, "\"ph\": \"i\""), 1u);  // wakeups

  r = run({"report", dat, "--perfetto", all, "--perfetto-all", "-o", "/dev/null"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string a = slurp(all);
  EXPECT_TRUE(JsonGrammar(a).ok());
  // Every sample is a slice: at least the 901 latency samples of ctl-loop, and many runs.
  EXPECT_GT(count_of(a, "\"ph\": \"X\""), 5000u);
  EXPECT_GE(count_of(a, "\"name\": \"latency "), 901u);
  EXPECT_GT(a.size(), 10 * w.size());

  expect_error(run({"report", dat, "--perfetto-all"}), "--perfetto-all needs --perfetto FILE");
}

// --html: one self-contained page, rendered by a real browser with its script run and no error.
TEST_F(Cli, HtmlReportRendersInABrowser) {
  const std::string page = (dir_ / "report.html").string();
  const CliRun r = run({"report", std::string(RTLAT_SOURCE_DIR) + "/data/misprio.dat", "--comm",
                        "^(ctl-loop|bg-hog)$", "--slo", "latency=1ms", "--explain", "all", "--html",
                        page, "-o", "/dev/null"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string html = slurp(page);
  // Self-contained: nothing fetched from anywhere.
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);

  ASSERT_EQ(std::system("command -v chromium >/dev/null"), 0) << "chromium missing: scripts/setup";
  // Renders `file`, printing the DOM after scripts ran; console errors go to `log`.
  auto render = [&](const std::string& file, const fs::path& dom, const fs::path& log) {
    const std::string cmd =
        "timeout 120 chromium --headless --no-sandbox --disable-gpu "
        "--user-data-dir=" +
        quote((dir_ / "profile").string()) + " --enable-logging=stderr --v=0 --dump-dom " +
        quote("file://" + file) + " >" + quote(dom.string()) + " 2>" + quote(log.string());
    return std::system(cmd.c_str());
  };
  // The check can fail: a page with a script error is caught.
  const std::string broken =
      write("broken.html", "<html><body><script>nosuch();</script></body></html>");
  ASSERT_EQ(render(broken, dir_ / "broken.dom", dir_ / "broken.log"), 0);
  EXPECT_NE(slurp(dir_ / "broken.log").find("Uncaught ReferenceError"), std::string::npos)
      << slurp(dir_ / "broken.log");

  ASSERT_EQ(render(page, dir_ / "dom", dir_ / "log"), 0) << slurp(dir_ / "log");
  const std::string dom = slurp(dir_ / "dom"), log = slurp(dir_ / "log");
  EXPECT_EQ(log.find("Uncaught"), std::string::npos) << log;
  EXPECT_NE(dom.find("data-ready=\"1\""), std::string::npos) << "the script did not run to its end";
  EXPECT_NE(dom.find("<tr data-name=\"ctl-loop\"><td><a href=\"#task-19411\">ctl-loop</a></td>"
                     "<td>19411</td><td class=\"viol\">2.77ms<br><small>100 over 1.00ms"),
            std::string::npos);
  EXPECT_NE(dom.find("<tr data-name=\"bg-hog\">"), std::string::npos);
  EXPECT_NE(dom.find("<b>higher_priority</b> (100%): runnable 2.77ms of 2.77ms behind "
                     "bg-hog:19414 (RT 90) on CPU 1"),
            std::string::npos);
  EXPECT_NE(dom.find("100 of 100 violations: higher_priority bg-hog:19414 (RT 90)"),
            std::string::npos);
  EXPECT_GE(count_of(dom, "class=\"timeline\""), 6u);  // 3 metrics x 2 tasks
  EXPECT_GE(count_of(dom, "class=\"slo\""), 2u);       // the latency SLO line of each task
}

}  // namespace

namespace {

// On a terminal a progress line is drawn on stderr (and erased); never in JSON, with -o -, or
// when stderr is not a terminal. `script` gives the run a pseudo-terminal.
TEST_F(Cli, ProgressLineOnlyOnATerminal) {
  ASSERT_EQ(std::system("command -v script >/dev/null"), 0);
  const std::string dat = std::string(RTLAT_SOURCE_DIR) + "/data/cyclictest.dat";
  auto on_tty = [&](const std::string& args) {
    const fs::path log = dir_ / "typescript";
    const std::string cmd = "RTLAT_PROGRESS_AFTER_MS=0 script -qfec " +
                            quote(quote(cli_) + " report " + quote(dat) + " " + args) + " " +
                            quote(log.string()) + " >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    return slurp(log);
  };
  const std::string text = on_tty("-o " + quote((dir_ / "r.txt").string()));
  EXPECT_NE(text.find("MB read"), std::string::npos) << text;
  EXPECT_NE(text.find("M events/s, ETA"), std::string::npos) << text;
  EXPECT_NE(text.find("\r\033[K"), std::string::npos) << "the line is not erased";
  EXPECT_EQ(on_tty("--format json -o " + quote((dir_ / "r.json").string())).find("MB read"),
            std::string::npos);
  EXPECT_EQ(on_tty("-o - >/dev/null").find("MB read"), std::string::npos);
  // Not a terminal: nothing but the report.
  const CliRun r = run({"report", dat, "-o", (dir_ / "r2.txt").string()});
  EXPECT_EQ(r.rc, 0);
  EXPECT_TRUE(r.err.empty()) << r.err;
}

}  // namespace

// ---- the text report's first screen -------------------------------------------------------------

namespace {

// One task of a JSON report, read with the few patterns this test needs.
struct JsonTask {
  std::string pid, comm;
  std::vector<std::optional<long long>> max;  // per metric, in all_metrics order
  std::optional<unsigned long long> violations;
  std::vector<std::string> verdict;  // per metric: its worst window's verdict kind, or "-"
};

std::vector<JsonTask> json_tasks(const std::string& json) {
  std::vector<JsonTask> out;
  const std::string start = "\n  {\"pid\": ";  // a task, not a task reference
  for (std::size_t p = json.find(start); p != std::string::npos;) {
    const std::size_t next = json.find(start, p + 1);
    const std::string t = json.substr(p, next == std::string::npos ? std::string::npos : next - p);
    JsonTask jt;
    jt.pid = t.substr(start.size(), t.find(',') - start.size());
    const std::size_t c = t.find("\"comm\": \"") + 9;
    jt.comm = t.substr(c, t.find('"', c) - c);
    for (std::size_t i = 0; i < rtlat::metric_count; ++i) {
      const std::string key =
          "\"" + std::string(rtlat::metric_name(rtlat::all_metrics[i])) + "\": {";
      const std::size_t m = t.find(key);
      const std::size_t end =
          i + 1 < rtlat::metric_count
              ? t.find("\"" + std::string(rtlat::metric_name(rtlat::all_metrics[i + 1])) + "\": {")
              : t.size();
      const std::string seg = t.substr(m, end - m);
      const std::size_t mx = seg.find("\"max_ns\": ") + 10;
      jt.max.push_back(seg.compare(mx, 4, "null") == 0
                           ? std::nullopt
                           : std::optional<long long>(std::stoll(seg.substr(mx))));
      const std::size_t slo = seg.find("\"slo_ns\": ") + 10;
      if (seg.compare(slo, 4, "null") != 0) {
        const std::size_t v = seg.find("\"violations\": ") + 14;
        jt.violations = jt.violations.value_or(0) + std::stoull(seg.substr(v));
      }
      const std::size_t vk = seg.find("\"verdict\": {\"kind\": \"");
      jt.verdict.push_back(
          vk == std::string::npos ? "-" : seg.substr(vk + 21, seg.find('"', vk + 21) - (vk + 21)));
    }
    out.push_back(jt);
    p = next;
  }
  return out;
}

}  // namespace

TEST_F(Cli, FirstScreenIsOneLinePerTaskByWorstValue) {
  const std::string demo = std::string(RTLAT_SOURCE_DIR) + "/data/demo.txt";
  const CliRun text = run({"report", demo, "--slo", "latency=500us", "--top", "5"});
  const CliRun json =
      run({"report", demo, "--slo", "latency=500us", "--top", "5", "--format", "json"});
  ASSERT_EQ(text.rc, 0) << text.err;
  ASSERT_EQ(json.rc, 0) << json.err;
  std::vector<JsonTask> tasks = json_tasks(json.out);
  ASSERT_EQ(tasks.size(), 5u) << json.out.substr(0, 500);
  const auto worst = [](const JsonTask& t) {
    long long w = -1;
    for (const auto& m : t.max)
      if (m) w = std::max(w, *m);
    return w;
  };
  std::stable_sort(tasks.begin(), tasks.end(), [&](const JsonTask& a, const JsonTask& b) {
    return worst(a) != worst(b) ? worst(a) > worst(b) : std::stoi(a.pid) < std::stoi(b.pid);
  });
  // The first screen sits between the trace summary and the first task's details.
  const std::size_t head = text.out.find("\ntasks by worst value (any metric)");
  const std::size_t details = text.out.find("\n=== ");
  ASSERT_NE(head, std::string::npos) << text.out;
  ASSERT_LT(head, details);
  const std::vector<std::string> lines =
      csv_rows_of(text.out.substr(head + 1, details - head), "  ");
  ASSERT_EQ(lines.size(), 1 + tasks.size()) << text.out.substr(head, details - head);
  std::istringstream hs(lines[0]);
  std::vector<std::string> header{std::istream_iterator<std::string>(hs), {}};
  EXPECT_EQ(header, (std::vector<std::string>{"pid", "comm", "latency", "response", "relief", "irq",
                                              "timer", "irq_lat", "viol", "verdict"}));
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const JsonTask& t = tasks[i];
    std::vector<std::string> want{t.pid, t.comm};
    std::size_t worst_metric = 0;
    for (std::size_t m = 0; m < t.max.size(); ++m) {
      want.push_back(t.max[m] ? rtlat::format_duration(*t.max[m]) : "-");
      if (t.max[m] && (!t.max[worst_metric] || *t.max[m] > *t.max[worst_metric])) worst_metric = m;
    }
    want.push_back(t.violations ? std::to_string(*t.violations) : "-");
    want.push_back(t.verdict[worst_metric]);
    std::istringstream ls(lines[1 + i]);
    const std::vector<std::string> got{std::istream_iterator<std::string>(ls), {}};
    EXPECT_EQ(got, want) << lines[1 + i];
    EXPECT_LE(lines[1 + i].size(), 100u);
  }
  // What the demo shows: bg-hog's 3.17ms response tops ctl-loop's 2.28ms latency, whose worst
  // case (response 2.53ms) was a higher-priority task ahead of it; ctl-loop violated 500us.
  EXPECT_EQ(tasks[0].comm, "bg-hog");
  EXPECT_EQ(tasks[1].comm, "ctl-loop");
  EXPECT_NE(lines[2].find("higher_priority"), std::string::npos) << lines[2];
  EXPECT_NE(tasks[1].violations.value_or(0), 0u);
}
