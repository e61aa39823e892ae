// The metrics exposition (<rtlat/report/openmetrics.hpp>): exact text for a small Results worked
// out by hand, per-comm merging of tasks and folded groups, label escaping, both formats; then
// `rtlat report --format openmetrics` over bundled traces, checked by promtool and against the
// JSON report.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "rtlat/report/openmetrics.hpp"
#include "rtlat/results.hpp"
#include "support/skip.hpp"

namespace {

namespace fs = std::filesystem;

rtlat::MetricResult metric(std::uint64_t count, double mean, std::uint64_t violations,
                           std::vector<rtlat::HistogramBin> bins) {
  rtlat::MetricResult m;
  m.count = count;
  m.mean_ns = mean;
  m.slo_ns = 150;
  m.violations = violations;
  m.histogram = std::move(bins);
  return m;
}

// One task of comm `a"b` and a folded group of the same comm: one series, sums of both.
//   task: latency 72, 100, 170 ns (bins [64,80) [96,112) [160,192)), one above the 150 ns SLO
//   folded: latency 65 ns (bin [64,80))
// -> count 4, sum 407 ns; cumulative buckets over the quarter-octave grid from 64 to 192:
//    <=79: 2, <=95: 2, <=111: 3, <=127: 3, <=159: 3, <=191: 4.
rtlat::Results small() {
  rtlat::Results r;
  r.trace.source = "t.txt";
  r.trace.events = 100;
  r.trace.lost_events = 2;
  r.trace.lost_event_markers = 1;
  r.trace.implicit_switches = 3;
  r.trace.unobserved_latency = 4;
  r.trace.unobserved_response = 5;
  r.trace.unobserved_relief = 6;
  r.trace.unobserved_irq = 7;
  r.trace.skipped = 8;
  r.trace.out_of_order = 9;
  rtlat::TaskResult t;
  t.pid = 10;
  t.tgid = 10;
  t.comm = "a\"b";
  t[rtlat::Metric::latency] = metric(3, 114, 1, {{64, 80, 1}, {96, 112, 1}, {160, 192, 1}});
  t[rtlat::Metric::latency].verdicts.push_back(
      {rtlat::VerdictKind::higher_priority, std::nullopt, 1});
  r.tasks.push_back(t);
  rtlat::FoldedGroup g;
  g.comm = "a\"b";
  g.tasks = 2;
  g[rtlat::Metric::latency] = metric(1, 65, 0, {{64, 80, 1}});
  r.folded.push_back(g);
  return r;
}

constexpr const char* small_head = R"(# HELP rtlat rtlat's version and the trace source it reads
# TYPE rtlat info
rtlat_info{version="@VERSION@",source="t.txt"} 1
# HELP rtlat_events Events analysed
# TYPE rtlat_events counter
rtlat_events_total 100
# HELP rtlat_lost_events Events the trace source reported lost
# TYPE rtlat_lost_events counter
rtlat_lost_events_total 2
# HELP rtlat_lost_event_markers Times a CPU reported lost events
# TYPE rtlat_lost_event_markers counter
rtlat_lost_event_markers_total 1
# HELP rtlat_out_of_order_events Events older than one already analysed, dropped
# TYPE rtlat_out_of_order_events counter
rtlat_out_of_order_events_total 9
# HELP rtlat_implicit_switches Context switches the engine inferred from an event's common_pid
# TYPE rtlat_implicit_switches counter
rtlat_implicit_switches_total 3
# HELP rtlat_skipped_input Input the source skipped (unknown lines, unusable records)
# TYPE rtlat_skipped_input counter
rtlat_skipped_input_total 8
# HELP rtlat_unobserved_samples Samples dropped because an event they need was not observed
# TYPE rtlat_unobserved_samples counter
rtlat_unobserved_samples_total{metric="latency"} 4
rtlat_unobserved_samples_total{metric="response"} 5
rtlat_unobserved_samples_total{metric="relief"} 6
rtlat_unobserved_samples_total{metric="irq"} 7
rtlat_unobserved_samples_total{metric="timer"} 0
rtlat_unobserved_samples_total{metric="irq_latency"} 0
# HELP rtlat_aggregated_comms Comms beyond the series bound, their tasks summed into the (other comms) series
# TYPE rtlat_aggregated_comms gauge
rtlat_aggregated_comms 0
# HELP rtlat_tasks Tasks measured under the comm, folded ones included
# TYPE rtlat_tasks gauge
rtlat_tasks{comm="a\"b"} 3
# HELP rtlat_latency_seconds The latency metric's distribution
# TYPE rtlat_latency_seconds histogram
# UNIT rtlat_latency_seconds seconds
rtlat_latency_seconds_bucket{comm="a\"b",le="0.000000079"} 2
rtlat_latency_seconds_bucket{comm="a\"b",le="0.000000095"} 2
rtlat_latency_seconds_bucket{comm="a\"b",le="0.000000111"} 3
rtlat_latency_seconds_bucket{comm="a\"b",le="0.000000127"} 3
rtlat_latency_seconds_bucket{comm="a\"b",le="0.000000159"} 3
rtlat_latency_seconds_bucket{comm="a\"b",le="0.000000191"} 4
rtlat_latency_seconds_bucket{comm="a\"b",le="+Inf"} 4
rtlat_latency_seconds_count{comm="a\"b"} 4
rtlat_latency_seconds_sum{comm="a\"b"} 4.07e-07
)";

constexpr const char* small_tail = R"(# HELP rtlat_violations Samples greater than the SLO bound
# TYPE rtlat_violations counter
rtlat_violations_total{comm="a\"b",metric="latency"} 1
# HELP rtlat_slo_seconds The SLO bound that applied
# TYPE rtlat_slo_seconds gauge
# UNIT rtlat_slo_seconds seconds
rtlat_slo_seconds{comm="a\"b",metric="latency"} 0.00000015
# HELP rtlat_verdicts SLO violations per verdict (explain all)
# TYPE rtlat_verdicts counter
rtlat_verdicts_total{comm="a\"b",metric="latency",verdict="higher_priority"} 1
# EOF
)";

std::string write(const rtlat::Results& r, const rtlat::OpenMetricsOptions& o = {}) {
  std::ostringstream os;
  rtlat::write_openmetrics(os, r, o);
  return os.str();
}

TEST(OpenMetrics, SmallResultsExactly) {
  // Between the latency histogram and the violations: one empty histogram family per other
  // metric (no comm has samples of it), whatever metrics rtlat has.
  std::string middle;
  for (rtlat::Metric m : rtlat::all_metrics) {
    if (m == rtlat::Metric::latency) continue;
    const std::string n = "rtlat_" + std::string(rtlat::metric_name(m)) + "_seconds";
    middle.append("# HELP ").append(n).append(" The ").append(rtlat::metric_name(m));
    middle.append(" metric's distribution\n# TYPE ").append(n).append(" histogram\n# UNIT ");
    middle.append(n).append(" seconds\n");
  }
  std::string head = small_head;
  head.replace(head.find("@VERSION@"), 9, rtlat::version);
  EXPECT_EQ(write(small()), head + middle + small_tail);
}

TEST(OpenMetrics, PrometheusTextFormatNamesCountersWithTotalAndHasNoEof) {
  rtlat::OpenMetricsOptions o;
  o.format = rtlat::ExpositionFormat::prometheus;
  const std::string s = write(small(), o);
  EXPECT_NE(s.find("# TYPE rtlat_info gauge\nrtlat_info{"), std::string::npos) << s;
  EXPECT_NE(s.find("# TYPE rtlat_violations_total counter\nrtlat_violations_total{"),
            std::string::npos);
  EXPECT_NE(s.find("# TYPE rtlat_events_total counter\nrtlat_events_total 100\n"),
            std::string::npos);
  EXPECT_EQ(s.find("# UNIT"), std::string::npos);
  EXPECT_EQ(s.find("# EOF"), std::string::npos);
  EXPECT_EQ(rtlat::exposition_content_type(o.format), "text/plain; version=0.0.4; charset=utf-8");
}

TEST(OpenMetrics, EveryMetricHasAHistogramFamilyAndAViolationSeries) {
  rtlat::Results r;
  rtlat::TaskResult t;
  t.pid = 1;
  t.comm = "x";
  for (rtlat::Metric m : rtlat::all_metrics) t[m] = metric(1, 1000, 0, {{1024, 1280, 1}});
  r.tasks.push_back(t);
  const std::string s = write(r);
  for (rtlat::Metric m : rtlat::all_metrics) {
    const std::string n(rtlat::metric_name(m));
    EXPECT_NE(s.find("# TYPE rtlat_" + n + "_seconds histogram\n"), std::string::npos) << n;
    EXPECT_NE(s.find("rtlat_" + n + "_seconds_bucket{comm=\"x\",le=\"0.000001279\"} 1\n"),
              std::string::npos)
        << n;
    EXPECT_NE(s.find("rtlat_violations_total{comm=\"x\",metric=\"" + n + "\"} 0\n"),
              std::string::npos)
        << n;
  }
}

TEST(OpenMetrics, TasksOfOneCommShareSeriesUnlessByTgid) {
  rtlat::Results r;
  for (int i = 0; i < 3; ++i) {
    rtlat::TaskResult t;
    t.pid = 100 + i;
    t.tgid = i < 2 ? 100 : 102;
    t.comm = "w";
    t[rtlat::Metric::latency] = metric(2, 1000, 1, {{1024, 1280, 2}});
    r.tasks.push_back(t);
  }
  const std::string s = write(r);
  EXPECT_NE(s.find("rtlat_latency_seconds_count{comm=\"w\"} 6\n"), std::string::npos) << s;
  EXPECT_NE(s.find("rtlat_violations_total{comm=\"w\",metric=\"latency\"} 3\n"), std::string::npos);
  EXPECT_EQ(s.find("tgid"), std::string::npos);
  rtlat::OpenMetricsOptions o;
  o.by_tgid = true;
  const std::string t = write(r, o);
  EXPECT_NE(t.find("rtlat_latency_seconds_count{comm=\"w\",tgid=\"100\"} 4\n"), std::string::npos)
      << t;
  EXPECT_NE(t.find("rtlat_latency_seconds_count{comm=\"w\",tgid=\"102\"} 2\n"), std::string::npos);
}

TEST(OpenMetrics, LabelValuesAreEscapedAndValidUtf8) {
  rtlat::Results r;
  r.trace.source = "a\\b\nc";
  rtlat::TaskResult t;
  t.pid = 1;
  t.comm = std::string("k\xC3\xA9\xC3", 4);  // "ké" then a truncated two-byte character
  t[rtlat::Metric::latency] = metric(1, 5, 0, {{5, 6, 1}});
  r.tasks.push_back(t);
  const std::string s = write(r);
  EXPECT_NE(s.find("source=\"a\\\\b\\nc\""), std::string::npos) << s;
  EXPECT_NE(s.find("rtlat_tasks{comm=\"k\xC3\xA9\xEF\xBF\xBD\"} 1\n"), std::string::npos) << s;
  // A value below 64 ns: single-nanosecond bins below 4, octaves [4, 8) ... above.
  EXPECT_NE(s.find("{comm=\"k\xC3\xA9\xEF\xBF\xBD\",le=\"0.000000007\"} 1\n"), std::string::npos);
}

// Every sample line of an exposition: "name{labels}" -> value.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t sp = line.rfind(' ');
    out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return out;
}

// A task of comm `comm` with `n` latency samples of 1000 ns, `v` of them above the 150 ns SLO.
rtlat::TaskResult task(const std::string& comm, std::uint64_t n, std::uint64_t v) {
  rtlat::TaskResult t;
  t.pid = static_cast<rtlat::Pid>(std::hash<std::string>{}(comm) % 30000 + 2);
  t.comm = comm;
  t[rtlat::Metric::latency] = metric(n, 1000, v, {{1024, 1280, n}});
  return t;
}

TEST(OpenMetricsBound, CommsBeyondTheCapShareOneSeriesSetAndAreCounted) {
  // Five comms and the engine's own (other comms) folded group; room for three: by violations,
  // then samples, then name -> c0 (a violation), c4, c3. c1 and c2 are summed with the folded
  // group into (other comms), whose own comms are not counted as aggregated.
  rtlat::Results r;
  r.tasks = {task("c0", 1, 1), task("c1", 2, 0), task("c2", 3, 0), task("c3", 4, 0),
             task("c4", 5, 0)};
  rtlat::FoldedGroup g;
  g.comm = std::string(rtlat::other_comms);
  g.tasks = 7;
  g[rtlat::Metric::latency] = metric(10, 1000, 0, {{1024, 1280, 10}});
  r.folded.push_back(g);
  rtlat::OpenMetricsOptions o;
  o.max_comms = 3;
  const auto s = samples(write(r, o));
  EXPECT_EQ(s.at("rtlat_aggregated_comms"), 2);
  std::map<std::string, double> tasks;
  for (const auto& [k, v] : s)
    if (k.rfind("rtlat_tasks{", 0) == 0) tasks[k] = v;
  const std::map<std::string, double> want_tasks = {{"rtlat_tasks{comm=\"(other comms)\"}", 9},
                                                    {"rtlat_tasks{comm=\"c0\"}", 1},
                                                    {"rtlat_tasks{comm=\"c3\"}", 1},
                                                    {"rtlat_tasks{comm=\"c4\"}", 1}};
  EXPECT_EQ(tasks, want_tasks);
  EXPECT_EQ(s.at("rtlat_latency_seconds_count{comm=\"(other comms)\"}"), 2 + 3 + 10);
  EXPECT_EQ(s.at("rtlat_latency_seconds_bucket{comm=\"(other comms)\",le=\"0.000001279\"}"), 15);
  EXPECT_EQ(s.at("rtlat_violations_total{comm=\"c0\",metric=\"latency\"}"), 1);
  EXPECT_EQ(s.count("rtlat_latency_seconds_count{comm=\"c1\"}"), 0u);
  // The whole exposition: 8 + M unobserved + 4 label sets x (tasks + 1 bucket, +Inf, count,
  // sum, violations, slo).
  EXPECT_EQ(s.size(), 8 + rtlat::metric_count + std::size_t{4} * 7);
  // Unbounded: every comm its own.
  EXPECT_EQ(samples(write(r)).at("rtlat_aggregated_comms"), 0);
  EXPECT_EQ(samples(write(r)).count("rtlat_tasks{comm=\"c1\"}"), 1u);
}

TEST(OpenMetricsBound, SeriesAcrossExpositionsStayAndCountersOnlyGrow) {
  rtlat::OpenMetricsOptions o;
  o.max_comms = 2;
  rtlat::OpenMetricsSeries kept;
  rtlat::Results r1;
  r1.tasks = {task("a", 5, 0), task("b", 4, 0), task("c", 3, 0)};
  std::ostringstream os1;
  rtlat::write_openmetrics(os1, r1, o, kept);
  const auto s1 = samples(os1.str());
  const std::set<std::pair<std::string, std::string>> own = {{"a", ""}, {"b", ""}};
  EXPECT_EQ(kept.own, own);
  // Later: c overtakes a and b, a new comm d arrives with violations and the most samples. On
  // its own d would take a slot; across the session a and b keep theirs, c and d are summed.
  rtlat::Results r2;
  r2.tasks = {task("a", 6, 0), task("b", 4, 0), task("c", 50, 0), task("d", 90, 9)};
  const auto alone = samples(write(r2, o));
  EXPECT_EQ(alone.count("rtlat_tasks{comm=\"d\"}"), 1u);
  EXPECT_EQ(alone.count("rtlat_tasks{comm=\"a\"}"), 0u);
  std::ostringstream os2;
  rtlat::write_openmetrics(os2, r2, o, kept);
  const auto s2 = samples(os2.str());
  EXPECT_EQ(kept.own, own);
  EXPECT_EQ(s2.at("rtlat_aggregated_comms"), 2);
  EXPECT_EQ(s2.at("rtlat_latency_seconds_count{comm=\"(other comms)\"}"), 140);
  EXPECT_EQ(s2.at("rtlat_violations_total{comm=\"(other comms)\",metric=\"latency\"}"), 9);
  EXPECT_EQ(s2.count("rtlat_tasks{comm=\"d\"}"), 0u);
  // Every series of the first exposition is in the second, and none of its counts fell.
  for (const auto& [k, v] : s1) {
    ASSERT_EQ(s2.count(k), 1u) << k;
    if (k.find("rtlat_slo_seconds") == std::string::npos) {
      EXPECT_GE(s2.at(k), v) << k;
    }
  }
}

// The CLI over bundled traces: promtool accepts the file, and each comm's series hold the sums
// of its tasks in the JSON report.
struct ShRun {
  int rc = -1;
  std::string out;
};

ShRun sh(const std::string& cmd) {
  ShRun r;
  const fs::path out = fs::temp_directory_path() / ("rtlat_om_test." + std::to_string(::getpid()));
  const int status = std::system((cmd + " >" + out.string() + " 2>&1").c_str());
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream f(out);
  std::ostringstream s;
  s << f.rdbuf();
  r.out = s.str();
  fs::remove(out);
  return r;
}

TEST(OpenMetricsCli, ReportFileIsAcceptedByPromtoolAndMatchesJson) {
  RTLAT_SKIP_UNLESS_PROGRAM("promtool");
  RTLAT_SKIP_UNLESS_PROGRAM("python3");
  const char* cli = std::getenv("RTLAT_CLI");
  ASSERT_NE(cli, nullptr);
  const fs::path prom =
      fs::temp_directory_path() / ("rtlat_om." + std::to_string(::getpid()) + ".prom");
  for (const char* trace : {"cyclictest.dat", "misprio.dat", "irq-threaded.txt"}) {
    const std::string src = std::string(RTLAT_SOURCE_DIR) + "/data/" + trace;
    const std::string args = " report " + src + " --slo latency=50us --slo response=200us";
    ShRun r = sh(std::string(cli) + args + " --format openmetrics -o " + prom.string());
    ASSERT_EQ(r.rc, 0) << trace << ": " << r.out;
    r = sh("promtool check metrics <" + prom.string());
    EXPECT_EQ(r.rc, 0) << trace << ": " << r.out;
    EXPECT_EQ(r.out, "") << trace;
    // Per comm and metric from the JSON: sample count and violations summed over its tasks.
    const std::string py = R"py(
import json, re, sys
d = json.load(open(sys.argv[1]))
exp = {}
for t in d["tasks"] + d.get("folded", []):
    for m, v in t["metrics"].items():
        if v["count"]:
            c = exp.setdefault((t["comm"], m), [0, 0])
            c[0] += v["count"]; c[1] += v["violations"]
got = {}
for l in open(sys.argv[2]):
    m = re.match(r'rtlat_(\w+)_seconds_count\{comm="(.*)"\} (\d+)$', l)
    if m: got.setdefault((m[2], m[1]), [0, 0])[0] = int(m[3])
    m = re.match(r'rtlat_violations_total\{comm="(.*)",metric="(\w+)"\} (\d+)$', l)
    if m: got.setdefault((m[1], m[2]), [0, 0])[1] = int(m[3])
bad = [k for k in exp if '"' not in k[0] and exp[k] != got.get(k)]
print(len(exp), "pairs", "bad:", [(k, exp[k], got.get(k)) for k in bad])
sys.exit(1 if bad or not exp or len(got) != len(exp) else 0)
)py";
    const fs::path json = prom.string() + ".json", script = prom.string() + ".py";
    ASSERT_EQ(sh(std::string(cli) + args + " --format json -o " + json.string()).rc, 0);
    std::ofstream(script) << py;
    r = sh("python3 " + script.string() + " " + json.string() + " " + prom.string());
    EXPECT_EQ(r.rc, 0) << trace << ": " << r.out;
    fs::remove(json);
    fs::remove(script);
  }
  fs::remove(prom);
}

TEST(OpenMetricsCli, MetricsCommsBoundsTheLabelSets) {
  RTLAT_SKIP_UNLESS_PROGRAM("promtool");
  const char* cli = std::getenv("RTLAT_CLI");
  ASSERT_NE(cli, nullptr);
  const std::string base = std::string(cli) + " report " + RTLAT_SOURCE_DIR +
                           "/data/cyclictest.dat --slo latency=50us --format openmetrics";
  const ShRun all = sh(base + " --metrics-comms 0");
  ASSERT_EQ(all.rc, 0) << all.out;
  const auto unbounded = samples(all.out);
  double comms = 0, tasks = 0;
  for (const auto& [k, v] : unbounded)
    if (k.rfind("rtlat_tasks{", 0) == 0) {
      ++comms;
      tasks += v;
    }
  ASSERT_GT(comms, 5);
  const ShRun five = sh(base + " --metrics-comms 5 | promtool check metrics");
  EXPECT_EQ(five.rc, 0) << five.out;
  const auto bounded = samples(sh(base + " --metrics-comms 5").out);
  double with_series = 0, tasks_bounded = 0;
  for (const auto& [k, v] : bounded)
    if (k.rfind("rtlat_tasks{", 0) == 0) ++with_series, tasks_bounded += v;
  EXPECT_EQ(with_series, 6);  // five and (other comms)
  EXPECT_EQ(tasks_bounded, tasks);
  EXPECT_EQ(bounded.at("rtlat_aggregated_comms"), comms - 5);
  EXPECT_EQ(sh(base + " --metrics-comms x").rc, 2);
}

TEST(OpenMetricsCli, UnknownFormatNamesTheChoices) {
  const char* cli = std::getenv("RTLAT_CLI");
  ASSERT_NE(cli, nullptr);
  const ShRun r =
      sh(std::string(cli) + " report " + RTLAT_SOURCE_DIR + "/data/cyclictest.txt --format prom");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.out.find("--format: 'prom' (text|json|csv|openmetrics)"), std::string::npos) << r.out;
}

// The example alerting rule: promtool accepts it, and its unit test (a rising violation counter
// fires, a steady one does not) passes.
TEST(OpenMetricsRules, ExampleAlertingRuleChecksAndFiresOnARisingCounter) {
  RTLAT_SKIP_UNLESS_PROGRAM("promtool");
  const std::string src = RTLAT_SOURCE_DIR;
  ShRun r = sh("promtool check rules " + src + "/examples/prometheus/rtlat-alerts.yml");
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("SUCCESS: 2 rules found"), std::string::npos) << r.out;
  r = sh("cd " + src + "/tests/prometheus && promtool test rules rtlat-alerts.test.yml");
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("SUCCESS"), std::string::npos) << r.out;
}

}  // namespace
