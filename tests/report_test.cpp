// Reports from hand-built Results: JSON schema, nulls and escaping; text order, layout and
// limits; CSV rows; --top selection; how events and their fields are named.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "rtlat/report/csv.hpp"
#include "rtlat/report/event_fields.hpp"
#include "rtlat/report/json.hpp"
#include "rtlat/report/text.hpp"

namespace {

using rtlat::Event;
using rtlat::EventKind;
using rtlat::Metric;
using rtlat::MetricResult;
using rtlat::PrevState;
using rtlat::Results;
using rtlat::TaskResult;
using rtlat::WorstWindow;

// ---- a small strict JSON reader, enough to check the report's structure and values ----------

struct Json;
using JsonObject = std::vector<std::pair<std::string, Json>>;
using JsonArray = std::vector<Json>;
struct Json {
  enum class Type { null, boolean, number, string, array, object } type = Type::null;
  bool b = false;
  std::string num;  // the literal text, so integers are compared exactly
  std::string str;
  std::shared_ptr<JsonArray> arr;
  std::shared_ptr<JsonObject> obj;

  bool is_null() const { return type == Type::null; }
  std::int64_t i() const {
    EXPECT_EQ(type, Type::number);
    EXPECT_EQ(num.find_first_of(".eE"), std::string::npos) << num << " is not an integer";
    return std::stoll(num);
  }
  double d() const {
    EXPECT_EQ(type, Type::number);
    return std::stod(num);
  }
  const Json& operator[](const std::string& k) const {
    if (type != Type::object) throw std::runtime_error("not an object, looking up " + k);
    for (const auto& [key, v] : *obj)
      if (key == k) return v;
    throw std::runtime_error("missing key " + k);
  }
  const Json& operator[](std::size_t n) const {
    if (type != Type::array || n >= arr->size()) throw std::runtime_error("bad array index");
    return (*arr)[n];
  }
  std::size_t size() const { return type == Type::array ? arr->size() : obj->size(); }
  std::set<std::string> keys() const {
    std::set<std::string> k;
    for (const auto& kv : *obj) k.insert(kv.first);
    return k;
  }
};

class JsonReader {
 public:
  explicit JsonReader(std::string_view s) : s_(s) {}
  Json parse() {
    Json v = value();
    ws();
    if (p_ != s_.size()) fail("trailing text");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("JSON: " + what + " at " + std::to_string(p_));
  }
  void ws() {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\n' || s_[p_] == '\t' || s_[p_] == '\r'))
      ++p_;
  }
  bool lit(std::string_view l) {
    if (s_.substr(p_, l.size()) != l) return false;
    p_ += l.size();
    return true;
  }
  Json value() {
    ws();
    if (p_ >= s_.size()) fail("unexpected end");
    Json v;
    const char c = s_[p_];
    if (lit("null")) return v;
    if (lit("true") || lit("false")) {
      v.type = Json::Type::boolean;
      v.b = s_[p_ - 1] == 'e' && s_[p_ - 2] == 'u';
      return v;
    }
    if (c == '"') {
      v.type = Json::Type::string;
      v.str = string();
      return v;
    }
    if (c == '[') {
      ++p_;
      v.type = Json::Type::array;
      v.arr = std::make_shared<JsonArray>();
      ws();
      if (lit("]")) return v;
      for (;;) {
        v.arr->push_back(value());
        ws();
        if (lit("]")) return v;
        if (!lit(",")) fail("expected , or ]");
      }
    }
    if (c == '{') {
      ++p_;
      v.type = Json::Type::object;
      v.obj = std::make_shared<JsonObject>();
      ws();
      if (lit("}")) return v;
      for (;;) {
        ws();
        if (p_ >= s_.size() || s_[p_] != '"') fail("expected key");
        std::string k = string();
        for (const auto& kv : *v.obj)
          if (kv.first == k) fail("duplicate key " + k);
        ws();
        if (!lit(":")) fail("expected :");
        v.obj->emplace_back(k, value());
        ws();
        if (lit("}")) return v;
        if (!lit(",")) fail("expected , or }");
      }
    }
    // number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    const std::size_t start = p_;
    if (s_[p_] == '-') ++p_;
    auto digits = [&] {
      const std::size_t d = p_;
      while (p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '9') ++p_;
      return p_ - d;
    };
    if (p_ < s_.size() && s_[p_] == '0')
      ++p_;
    else if (digits() == 0)
      fail("bad value");
    if (p_ < s_.size() && s_[p_] == '.') {
      ++p_;
      if (digits() == 0) fail("bad fraction");
    }
    if (p_ < s_.size() && (s_[p_] == 'e' || s_[p_] == 'E')) {
      ++p_;
      if (p_ < s_.size() && (s_[p_] == '+' || s_[p_] == '-')) ++p_;
      if (digits() == 0) fail("bad exponent");
    }
    v.type = Json::Type::number;
    v.num = std::string(s_.substr(start, p_ - start));
    return v;
  }
  static void utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }
  std::string string() {
    ++p_;  // opening quote
    std::string out;
    for (;;) {
      if (p_ >= s_.size()) fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(s_[p_++]);
      if (c == '"') return out;
      if (c < 0x20) fail("raw control character in string");
      if (c >= 0x80) {  // must be valid UTF-8: accept only what the writer's rules accept
        const std::size_t len = rtlat::detail::utf8_sequence_length(s_, p_ - 1);
        if (len == 0) fail("invalid UTF-8");
        out.append(s_.data() + p_ - 1, len);
        p_ += len - 1;
        continue;
      }
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      if (p_ >= s_.size()) fail("bad escape");
      const char e = s_[p_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          if (p_ + 4 > s_.size()) fail("bad \\u");
          const unsigned cp =
              static_cast<unsigned>(std::stoul(std::string(s_.substr(p_, 4)), nullptr, 16));
          p_ += 4;
          utf8(out, cp);
          break;
        }
        default:
          fail("bad escape");
      }
    }
  }
  std::string_view s_;
  std::size_t p_ = 0;
};

Json parse_json(const std::string& s) {
  return JsonReader(s).parse();
}

// ---- hand-built results ---------------------------------------------------------------------

MetricResult metric(std::uint64_t count, std::int64_t min, std::int64_t max, double mean,
                    std::int64_t p50, std::int64_t p90, std::int64_t p99, std::int64_t p999) {
  MetricResult m;
  m.count = count;
  m.min_ns = min;
  m.max_ns = max;
  m.mean_ns = mean;
  m.p50_ns = p50;
  m.p90_ns = p90;
  m.p99_ns = p99;
  m.p999_ns = p999;
  return m;
}

TaskResult task(rtlat::Pid pid, std::optional<rtlat::Pid> tgid, std::string comm) {
  TaskResult t;
  t.pid = pid;
  t.tgid = tgid;
  t.comm = std::move(comm);
  return t;
}

// A latency window of cyclictest (pid 1234) woken on CPU 2 while swapper ran, and a few other
// kinds of events so every field layout is exercised.
WorstWindow latency_window() {
  WorstWindow w;
  w.start_ns = 5'000'000'000;
  w.end_ns = 5'000'012'345;
  w.cpu = 2;
  w.elided = 3;
  w.events = {
      Event::make_wakeup(EventKind::sched_waking, 5'000'000'000, 2, 0, 1234, "cyclictest", 19, 2),
      Event::make_irq(EventKind::irq_entry, 5'000'001'000, 2, 0, 19, "eth0"),
      Event::make_irq(EventKind::irq_exit, 5'000'002'500, 2, 0, 19, {}, 1),
      Event::make_switch(5'000'012'345, 2, 0, 0, "swapper/2", 120, PrevState::runnable, 0, 1234,
                         "cyclictest", 19),
  };
  return w;
}

Results sample_results() {
  Results r;
  r.trace.source = "traces/demo.txt";
  r.trace.events = 123456;
  r.trace.cpus = 4;
  r.trace.start_ns = 5'000'000'000;
  r.trace.end_ns = 7'500'000'000;
  r.trace.lost_events = 17;
  r.trace.implicit_switches = 5;
  r.trace.unobserved_latency = 2;
  r.trace.unobserved_response = 3;
  r.trace.unobserved_relief = 4;
  r.trace.unobserved_irq = 6;
  r.trace.lost_event_markers = 7;
  r.trace.skipped = 8;
  r.trace.out_of_order = 9;

  TaskResult cyc = task(1234, 1230, "cyclictest");
  cyc[Metric::latency] = metric(1000, 2100, 12345, 4500.25, 4000, 6000, 9000, 12000);
  cyc[Metric::latency].slo_ns = 10000;
  cyc[Metric::latency].violations = 4;
  cyc[Metric::latency].worst = latency_window();
  cyc[Metric::response] = metric(999, 30000, 90000, 41000.5, 40000, 50000, 80000, 90000);
  cyc[Metric::irq].derived = true;
  r.tasks.push_back(cyc);
  r.tasks.push_back(task(77, std::nullopt, "kworker/0:1"));  // no sample in any metric
  return r;
}

const std::set<std::string> metric_keys = {"count",   "min_ns", "max_ns",     "mean_ns",
                                           "p50_ns",  "p90_ns", "p99_ns",     "p999_ns",
                                           "derived", "slo_ns", "violations", "worst"};

// ---- JSON -------------------------------------------------------------------------------------

// Each metric reads and writes its own counter: reports iterate all_metrics through it.
TEST(TraceStats, UnobservedIsEachMetricsOwnCounter) {
  rtlat::TraceStats s;
  s.unobserved_latency = 11;
  s.unobserved_response = 12;
  s.unobserved_relief = 13;
  s.unobserved_irq = 14;
  s.unobserved_timer = 15;
  s.unobserved_irq_latency = 16;
  s.unobserved_timer_no_request = 99;
  s.unobserved_timer_clock = 98;
  const rtlat::TraceStats& c = s;
  std::uint64_t expect = 11;
  for (Metric m : rtlat::all_metrics) EXPECT_EQ(c.unobserved(m), expect++) << rtlat::metric_name(m);
  ++s.unobserved(Metric::irq);
  s.unobserved(Metric::irq_latency) = 40;
  EXPECT_EQ(s.unobserved_irq, 15u);
  EXPECT_EQ(s.unobserved_irq_latency, 40u);
  EXPECT_EQ(s.unobserved_timer, 15u);
  EXPECT_EQ(rtlat::detail::unobserved_list(s),
            "latency 11, response 12, relief 13, irq 15, timer 15, irq_latency 40");
}

TEST(JsonReport, TraceKeysAndValues) {
  std::ostringstream os;
  rtlat::write_json(os, sample_results());
  const Json j = parse_json(os.str());
  EXPECT_EQ(j.keys(), (std::set<std::string>{"trace", "tasks"}));
  const Json& t = j["trace"];
  EXPECT_EQ(
      t.keys(),
      (std::set<std::string>{
          "source", "events", "cpus", "start_ns", "end_ns", "lost_events", "implicit_switches",
          "unobserved_latency", "unobserved_response", "unobserved_relief", "unobserved_irq",
          "unobserved_timer", "unobserved_timer_no_request", "unobserved_timer_clock",
          "unobserved_irq_latency", "lost_event_markers", "skipped", "out_of_order"}));
  EXPECT_EQ(t["source"].str, "traces/demo.txt");
  EXPECT_EQ(t["events"].i(), 123456);
  EXPECT_EQ(t["cpus"].i(), 4);
  EXPECT_EQ(t["start_ns"].i(), 5'000'000'000);
  EXPECT_EQ(t["end_ns"].i(), 7'500'000'000);
  EXPECT_EQ(t["lost_events"].i(), 17);
  EXPECT_EQ(t["implicit_switches"].i(), 5);
  EXPECT_EQ(t["unobserved_latency"].i(), 2);
  EXPECT_EQ(t["unobserved_response"].i(), 3);
  EXPECT_EQ(t["unobserved_relief"].i(), 4);
  EXPECT_EQ(t["unobserved_irq"].i(), 6);
  EXPECT_EQ(t["lost_event_markers"].i(), 7);
  EXPECT_EQ(t["skipped"].i(), 8);
  EXPECT_EQ(t["out_of_order"].i(), 9);
}

TEST(JsonReport, TaskMetricsAndWorstWindow) {
  std::ostringstream os;
  rtlat::write_json(os, sample_results());
  const Json j = parse_json(os.str());
  ASSERT_EQ(j["tasks"].size(), 2u);
  const Json& cyc = j["tasks"][0];
  EXPECT_EQ(cyc.keys(), (std::set<std::string>{"pid", "tgid", "comm", "metrics"}));
  EXPECT_EQ(cyc["pid"].i(), 1234);
  EXPECT_EQ(cyc["tgid"].i(), 1230);
  EXPECT_EQ(cyc["comm"].str, "cyclictest");
  std::set<std::string> metric_names;
  for (Metric m : rtlat::all_metrics) metric_names.insert(std::string(rtlat::metric_name(m)));
  EXPECT_EQ(cyc["metrics"].keys(), metric_names);

  const Json& lat = cyc["metrics"]["latency"];
  EXPECT_EQ(lat.keys(), metric_keys);
  EXPECT_EQ(lat["count"].i(), 1000);
  EXPECT_EQ(lat["min_ns"].i(), 2100);
  EXPECT_EQ(lat["max_ns"].i(), 12345);
  EXPECT_EQ(lat["mean_ns"].num, "4500.25");
  EXPECT_EQ(lat["p50_ns"].i(), 4000);
  EXPECT_EQ(lat["p90_ns"].i(), 6000);
  EXPECT_EQ(lat["p99_ns"].i(), 9000);
  EXPECT_EQ(lat["p999_ns"].i(), 12000);
  EXPECT_EQ(lat["derived"].type, Json::Type::boolean);
  EXPECT_FALSE(lat["derived"].b);
  EXPECT_EQ(lat["slo_ns"].i(), 10000);
  EXPECT_EQ(lat["violations"].i(), 4);

  const Json& w = lat["worst"];
  EXPECT_EQ(w.keys(), (std::set<std::string>{"start_ns", "end_ns", "cpu", "elided", "events"}));
  EXPECT_EQ(w["start_ns"].i(), 5'000'000'000);
  EXPECT_EQ(w["end_ns"].i(), 5'000'012'345);
  EXPECT_EQ(w["cpu"].i(), 2);
  EXPECT_EQ(w["elided"].i(), 3);
  ASSERT_EQ(w["events"].size(), 4u);
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_EQ(w["events"][i].keys(),
              (std::set<std::string>{"ts_ns", "cpu", "pid", "event", "fields"}));

  const Json& waking = w["events"][0];
  EXPECT_EQ(waking["ts_ns"].i(), 5'000'000'000);
  EXPECT_EQ(waking["cpu"].i(), 2);
  EXPECT_EQ(waking["pid"].i(), 0);
  EXPECT_EQ(waking["event"].str, "sched_waking");
  EXPECT_EQ(waking["fields"].keys(), (std::set<std::string>{"comm", "pid", "prio", "target_cpu"}));
  EXPECT_EQ(waking["fields"]["comm"].str, "cyclictest");
  EXPECT_EQ(waking["fields"]["pid"].i(), 1234);
  EXPECT_EQ(waking["fields"]["prio"].i(), 19);
  EXPECT_EQ(waking["fields"]["target_cpu"].i(), 2);

  const Json& entry = w["events"][1];
  EXPECT_EQ(entry["event"].str, "irq_handler_entry");
  EXPECT_EQ(entry["fields"].keys(), (std::set<std::string>{"irq", "name"}));
  EXPECT_EQ(entry["fields"]["irq"].i(), 19);
  EXPECT_EQ(entry["fields"]["name"].str, "eth0");
  const Json& exit = w["events"][2];
  EXPECT_EQ(exit["event"].str, "irq_handler_exit");
  EXPECT_EQ(exit["fields"].keys(), (std::set<std::string>{"irq", "ret"}));
  EXPECT_EQ(exit["fields"]["ret"].i(), 1);

  const Json& sw = w["events"][3];
  EXPECT_EQ(sw["ts_ns"].i(), 5'000'012'345);
  EXPECT_EQ(sw["event"].str, "sched_switch");
  const Json& f = sw["fields"];
  EXPECT_EQ(f.keys(),
            (std::set<std::string>{"prev_comm", "prev_pid", "prev_prio", "prev_state",
                                   "prev_state_raw", "next_comm", "next_pid", "next_prio"}));
  EXPECT_EQ(f["prev_comm"].str, "swapper/2");
  EXPECT_EQ(f["prev_pid"].i(), 0);
  EXPECT_EQ(f["prev_prio"].i(), 120);
  EXPECT_EQ(f["prev_state"].str, "R");
  EXPECT_EQ(f["prev_state_raw"].i(), 0);
  EXPECT_EQ(f["next_comm"].str, "cyclictest");
  EXPECT_EQ(f["next_pid"].i(), 1234);
  EXPECT_EQ(f["next_prio"].i(), 19);

  const Json& resp = cyc["metrics"]["response"];
  EXPECT_EQ(resp["mean_ns"].num, "41000.5");
  EXPECT_TRUE(resp["slo_ns"].is_null());
  EXPECT_EQ(resp["violations"].i(), 0);
  EXPECT_TRUE(resp["worst"].is_null());
  EXPECT_TRUE(cyc["metrics"]["irq"]["derived"].b);
}

TEST(JsonReport, TaskWithoutSamplesHasNullsEverywhere) {
  std::ostringstream os;
  rtlat::write_json(os, sample_results());
  const Json j = parse_json(os.str());
  const Json& kw = j["tasks"][1];
  EXPECT_EQ(kw["pid"].i(), 77);
  EXPECT_TRUE(kw["tgid"].is_null());
  EXPECT_EQ(kw["comm"].str, "kworker/0:1");
  for (const char* name : {"latency", "response", "relief", "irq"}) {
    SCOPED_TRACE(name);
    const Json& m = kw["metrics"][name];
    EXPECT_EQ(m.keys(), metric_keys);
    EXPECT_EQ(m["count"].i(), 0);
    for (const char* k : {"min_ns", "max_ns", "mean_ns", "p50_ns", "p90_ns", "p99_ns", "p999_ns",
                          "slo_ns", "worst"})
      EXPECT_TRUE(m[k].is_null()) << k;
    EXPECT_FALSE(m["derived"].b);
    EXPECT_EQ(m["violations"].i(), 0);
  }
}

TEST(JsonReport, ExactOutputForAnEmptyTrace) {
  Results r;
  r.trace.source = "-";
  std::ostringstream os;
  rtlat::write_json(os, r);
  EXPECT_EQ(
      os.str(),
      "{\"trace\": {\"source\": \"-\", \"events\": 0, \"cpus\": 0, \"start_ns\": 0, "
      "\"end_ns\": 0,\n  \"lost_events\": 0, \"implicit_switches\": 0, "
      "\"unobserved_latency\": 0,\n  \"unobserved_response\": 0, \"unobserved_relief\": 0, "
      "\"unobserved_irq\": 0, \"lost_event_markers\": 0, \"skipped\": 0, \"out_of_order\": 0,\n  "
      "\"unobserved_timer\": 0, \"unobserved_timer_no_request\": 0, \"unobserved_timer_clock\": 0, "
      "\"unobserved_irq_latency\": 0},\n \"tasks\": []}\n");
}

std::string json_str(std::string_view s) {
  std::ostringstream os;
  rtlat::write_json_string(os, s);
  return os.str();
}

TEST(JsonReport, StringEscaping) {
  EXPECT_EQ(json_str("plain"), "\"plain\"");
  EXPECT_EQ(json_str("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
  EXPECT_EQ(json_str("\n\t\r\b\f"), "\"\\n\\t\\r\\b\\f\"");
  EXPECT_EQ(json_str(std::string_view("\x01\x1f\x7f\0", 4)), "\"\\u0001\\u001f\\u007f\\u0000\"");
  // Valid UTF-8 passes through: é (2 bytes), € (3), 😀 (4).
  EXPECT_EQ(json_str("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
            "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
  // Invalid: a lone continuation byte, 0xff, a truncated sequence at the end (a comm cut at 15
  // bytes), an overlong '/', a UTF-16 surrogate, a code point above U+10FFFF.
  EXPECT_EQ(json_str("a\x80z"), "\"a\\ufffdz\"");
  EXPECT_EQ(json_str("\xff"), "\"\\ufffd\"");
  EXPECT_EQ(json_str("abc\xe2\x82"), "\"abc\\ufffd\\ufffd\"");
  EXPECT_EQ(json_str("\xc0\xaf"), "\"\\ufffd\\ufffd\"");
  EXPECT_EQ(json_str("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
  EXPECT_EQ(json_str("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

TEST(JsonReport, HostileCommStaysValidJson) {
  Results r;
  r.trace.source = "dir \"x\"\\trace\n.txt";
  r.tasks.push_back(task(5, 5, std::string("ev\"il\\\n\x01\xff\xc3", 10)));
  std::ostringstream os;
  rtlat::write_json(os, r);
  const Json j = parse_json(os.str());
  EXPECT_EQ(j["trace"]["source"].str, "dir \"x\"\\trace\n.txt");
  EXPECT_EQ(j["tasks"][0]["comm"].str, "ev\"il\\\n\x01\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(JsonReport, MeansInFixedNotation) {
  const auto mean_text = [](double mean) {
    Results r;
    r.tasks.push_back(task(5, 5, "x"));
    r.tasks[0][Metric::latency].mean_ns = mean;
    std::ostringstream os;
    rtlat::write_json(os, r);
    return parse_json(os.str())["tasks"][0]["metrics"]["latency"]["mean_ns"].num;
  };
  EXPECT_EQ(mean_text(200000.0), "200000");
  EXPECT_EQ(mean_text(1e21), "1000000000000000000000");
  EXPECT_EQ(mean_text(0.5), "0.5");
  EXPECT_EQ(mean_text(1e300).size(), 301u);
  EXPECT_EQ(mean_text(1e300).substr(0, 4), "1000");
  EXPECT_NEAR(std::stod(mean_text(1234.5678)), 1234.5678, 1e-9);
}

TEST(JsonReport, NonFiniteMeanIsNull) {
  Results r;
  r.tasks.push_back(task(5, 5, "x"));
  r.tasks[0][Metric::relief].mean_ns = std::nan("");
  std::ostringstream os;
  rtlat::write_json(os, r);
  EXPECT_TRUE(parse_json(os.str())["tasks"][0]["metrics"]["relief"]["mean_ns"].is_null());
}

// ---- event naming and fields -------------------------------------------------------------------

std::map<std::string, std::string> fields_of(const Event& e) {
  std::map<std::string, std::string> m;
  for (const rtlat::EventField& f : rtlat::event_fields(e)) {
    switch (f.type) {
      case rtlat::EventField::Type::integer:
        m[std::string(f.name)] = std::to_string(f.integer);
        break;
      case rtlat::EventField::Type::string:
        m[std::string(f.name)] = "'" + std::string(f.str()) + "'";
        break;
      case rtlat::EventField::Type::null:
        m[std::string(f.name)] = "null";
        break;
    }
  }
  return m;
}

using FieldMap = std::map<std::string, std::string>;

TEST(EventFields, NamesAndFieldsPerKind) {
  const Event ts_sys = Event::make_timer_sleep(1, 0, 10, rtlat::TimerSleepSource::syscall, 230);
  EXPECT_EQ(rtlat::event_display_name(ts_sys), "sys_enter");
  EXPECT_EQ(fields_of(ts_sys), (FieldMap{{"source", "'syscall'"}, {"nr", "230"}}));
  const Event ts_hr = Event::make_timer_sleep(1, 0, 10, rtlat::TimerSleepSource::hrtimer);
  EXPECT_EQ(rtlat::event_display_name(ts_hr), "hrtimer_start");
  EXPECT_EQ(fields_of(ts_hr), (FieldMap{{"source", "'hrtimer'"}, {"nr", "null"}}));

  const Event sys = Event::make_syscall(1, 0, 10, 1);
  EXPECT_EQ(rtlat::event_display_name(sys), "sys_enter");
  EXPECT_EQ(fields_of(sys), (FieldMap{{"nr", "1"}}));

  const Event other = Event::make_other(1, 0, 10, "softirq_raise", 42);
  EXPECT_EQ(rtlat::event_display_name(other), "softirq_raise");
  EXPECT_EQ(fields_of(other), (FieldMap{{"name", "'softirq_raise'"}}));

  const Event fork = Event::make_fork(1, 0, 10, 10, 11, "child");
  EXPECT_EQ(rtlat::event_display_name(fork), "sched_process_fork");
  EXPECT_EQ(fields_of(fork),
            (FieldMap{{"parent_pid", "10"}, {"child_pid", "11"}, {"child_comm", "'child'"}}));

  const Event ex = Event::make_exit(1, 0, 10, 10, "dying", 120);
  EXPECT_EQ(rtlat::event_display_name(ex), "sched_process_exit");
  EXPECT_EQ(fields_of(ex), (FieldMap{{"comm", "'dying'"}, {"pid", "10"}, {"prio", "120"}}));

  const Event wn = Event::make_wakeup(EventKind::sched_wakeup_new, 1, 0, 10, 11, "new", 120, 3);
  EXPECT_EQ(rtlat::event_display_name(wn), "sched_wakeup_new");
  EXPECT_EQ(fields_of(wn),
            (FieldMap{{"comm", "'new'"}, {"pid", "11"}, {"prio", "120"}, {"target_cpu", "3"}}));

  const Event te = Event::make_irq(EventKind::irq_thread_entry, 1, 0, 99, 33, "nvme0q1");
  EXPECT_EQ(rtlat::event_display_name(te), "irq_threaded_handler_entry");
  EXPECT_EQ(fields_of(te), (FieldMap{{"irq", "33"}, {"name", "'nvme0q1'"}}));
  const Event tx = Event::make_irq(EventKind::irq_thread_exit, 1, 0, 99, 33, {}, 0);
  EXPECT_EQ(rtlat::event_display_name(tx), "irq_threaded_handler_exit");
  EXPECT_EQ(fields_of(tx), (FieldMap{{"irq", "33"}, {"ret", "0"}}));

  const Event lost = Event::make_lost(1, 3, 250);
  EXPECT_EQ(rtlat::event_display_name(lost), "lost_events");
  EXPECT_EQ(lost.common_pid, -1);
  EXPECT_EQ(fields_of(lost), (FieldMap{{"count", "250"}}));
}

std::string state_text(PrevState s, std::uint32_t raw) {
  return std::string(rtlat::prev_state_field("prev_state", s, raw).str());
}

TEST(EventFields, PrevStateLettersAsTheKernelPrintsThem) {
  // 4.14+ layout: letters from the raw bits.
  EXPECT_EQ(state_text(PrevState::sleeping, 0x1), "S");
  EXPECT_EQ(state_text(PrevState::blocked, 0x2), "D");
  EXPECT_EQ(state_text(PrevState::sleeping, 0x80), "I");
  EXPECT_EQ(state_text(PrevState::blocked, 0x40), "P");
  EXPECT_EQ(state_text(PrevState::stopped, 0x8), "t");
  EXPECT_EQ(state_text(PrevState::dead, 0x20), "Z");
  EXPECT_EQ(state_text(PrevState::runnable, 0x0), "R");
  EXPECT_EQ(state_text(PrevState::preempted, 0x100), "R+");
  // Pre-4.14 preemption flag and a text source without the raw value: the class letter.
  EXPECT_EQ(state_text(PrevState::preempted, 0x800), "R+");
  EXPECT_EQ(state_text(PrevState::sleeping, 0x0), "S");
  EXPECT_EQ(state_text(PrevState::blocked, 0x0), "D");
  // A raw value that disagrees with the source's decision (another layout): the class letter.
  EXPECT_EQ(state_text(PrevState::dead, 0x40), "X");
  EXPECT_EQ(state_text(PrevState::blocked, 0x1002), "D");
}

// ---- text ---------------------------------------------------------------------------------------

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream is(s);
  for (std::string l; std::getline(is, l);) out.push_back(l);
  return out;
}

TaskResult with_latency_max(rtlat::Pid pid, std::string comm, std::int64_t max) {
  TaskResult t = task(pid, pid, std::move(comm));
  t[Metric::latency] = metric(10, 1000, max, 2000, 1500, 1800, max, max);
  return t;
}

std::string text_of(const Results& r, rtlat::TextReportOptions opt = {}) {
  std::ostringstream os;
  rtlat::write_text(os, r, opt);
  return os.str();
}

TEST(TextReport, TasksSortedByWorstLatencyThenPid) {
  Results r;
  r.tasks.push_back(with_latency_max(300, "mid", 5000));
  TaskResult resp_only = task(50, 50, "resp_only");
  resp_only[Metric::response] = metric(1, 9000, 9000, 9000, 9000, 9000, 9000, 9000);
  r.tasks.push_back(resp_only);
  r.tasks.push_back(with_latency_max(400, "worst", 9000));
  r.tasks.push_back(task(10, 10, "idle_task"));  // no samples: hidden
  TaskResult relief_only = task(20, 20, "relief_only");
  relief_only[Metric::relief] = metric(1, 1, 1, 1, 1, 1, 1, 1);
  r.tasks.push_back(relief_only);
  r.tasks.push_back(with_latency_max(200, "tie_low_pid", 5000));

  const std::string out = text_of(r);
  const std::vector<std::string> expected = {"worst  pid 400", "tie_low_pid  pid 200",
                                             "mid  pid 300", "relief_only  pid 20",
                                             "resp_only  pid 50"};
  std::size_t pos = 0;
  for (const std::string& e : expected) {
    const std::size_t at = out.find("=== " + e);
    ASSERT_NE(at, std::string::npos) << e << "\n" << out;
    EXPECT_GT(at, pos) << e << " out of order\n" << out;
    pos = at;
  }
  EXPECT_EQ(out.find("idle_task"), std::string::npos);
  EXPECT_NE(out.find("\n1 task without samples not shown\n"), std::string::npos) << out;

  rtlat::TextReportOptions all;
  all.show_tasks_without_samples = true;
  const std::string shown = text_of(r, all);
  EXPECT_NE(shown.find("=== idle_task  pid 10  tgid 10"), std::string::npos);
  EXPECT_EQ(shown.find("without samples not shown"), std::string::npos);
  // idle_task has no latency sample: after the tasks that have one, before pid 20 (by pid).
  EXPECT_GT(shown.find("=== idle_task"), shown.find("=== mid"));
  EXPECT_LT(shown.find("=== idle_task"), shown.find("=== relief_only"));
}

TEST(TextReport, MetricLinesWorstWindowAndElidedLine) {
  const std::string out = text_of(sample_results());
  // Summary header.
  EXPECT_NE(out.find("rtlat report: traces/demo.txt\n"), std::string::npos) << out;
  EXPECT_NE(out.find("123456 events, 4 cpus, 2.500s (5.000000 .. 7.500000 s)"), std::string::npos)
      << out;
  EXPECT_NE(out.find("17 lost events (7 markers), 5 implicit switches, 9 out of order, 8 skipped"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("unobserved samples: latency 2, response 3, relief 4, irq 6"),
            std::string::npos);
  EXPECT_NE(out.find("  note: events older than ones already read were dropped, not measured: "
                     "input not in time order\n"),
            std::string::npos);
  EXPECT_NE(out.find("note: switch-ins were not recorded"), std::string::npos);
  // The per-metric lines: latency with its SLO and violations, irq marked derived.
  EXPECT_NE(out.find("=== cyclictest  pid 1234  tgid 1230 ="), std::string::npos) << out;
  EXPECT_NE(out.find("  latency      1000    2.1us   12.3us    4.5us    4.0us    6.0us    9.0us"
                     "   12.0us   10.0us      4\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  relief          0        -        -        -        -        -        -"
                     "        -        -      -\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  irq*            0"), std::string::npos);
  EXPECT_NE(out.find("* derived from scheduler events"), std::string::npos);
  // The window: times relative to its start in microseconds, tasks as comm-pid.
  EXPECT_NE(out.find("worst latency 12.3us: 5.000000 .. 5.000012 s, cpu 2, 4 events (+3 elided)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("    +     0.000us   2 <idle>-0 sched_waking      cyclictest:1234 [19] "
                     "CPU:002\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("    +     1.000us   2 <idle>-0 irq_handler_entry irq=19 name=eth0\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("    +     2.500us   2 <idle>-0 irq_handler_exit  irq=19 ret=1\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("    +    12.345us   2 <idle>-0 sched_switch      swapper/2:0 [120] R ==> "
                     "cyclictest:1234 [19]\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("    ... 3 more events elided\n"), std::string::npos);
  // The kworker has no samples.
  EXPECT_NE(out.find("1 task without samples not shown"), std::string::npos);
}

TEST(TextReport, NoUnobservedNoteWhenEverythingWasSeen) {
  Results r = sample_results();
  r.trace.unobserved_latency = 0;
  r.trace.unobserved_response = r.trace.unobserved_relief = r.trace.unobserved_irq = 0;
  r.trace.out_of_order = 0;
  const std::string out = text_of(r);
  EXPECT_EQ(out.find("note:"), std::string::npos);
  EXPECT_NE(out.find("unobserved samples: latency 0, response 0, relief 0, irq 0"),
            std::string::npos);
}

TEST(TextReport, NoLineOver100ColumnsAndAsciiOnly) {
  Results r = sample_results();
  r.trace.source = "/very/long/path/" + std::string(150, 'x') + "/trace.txt";
  r.trace.events = UINT64_MAX;
  r.trace.lost_events = r.trace.implicit_switches = r.trace.skipped = UINT64_MAX;
  r.trace.unobserved_latency = UINT64_MAX;
  TaskResult t = task(2147483647, 2147483647, "\xe2\x82\xac" + std::string(30, 'c'));
  t.exited = true;
  for (Metric m : rtlat::all_metrics) {
    t[m] = metric(UINT64_MAX, INT64_MAX, INT64_MAX, 9.2e18, INT64_MAX, INT64_MAX, INT64_MAX,
                  INT64_MAX);
    t[m].slo_ns = INT64_MAX;
    t[m].violations = UINT64_MAX;
    t[m].derived = true;
    WorstWindow w;
    w.start_ns = 1;
    w.end_ns = INT64_MAX;
    w.cpu = 65535;
    w.elided = UINT64_MAX;
    const std::string comm(15, 'w');
    w.events.push_back(Event::make_switch(INT64_MAX, 65535, 2147483647, 2147483647, comm, -32768,
                                          PrevState::blocked, 0x2, 2147483646, comm, -32768));
    w.events.push_back(Event::make_wakeup(EventKind::sched_wakeup_new, -5'000'000'000, 65535,
                                          -2147483647 - 1, 2147483647, comm, 32767, -32768));
    w.events.push_back(
        Event::make_irq(EventKind::irq_thread_entry, 2, 65535, 2147483647, 2147483647, comm));
    w.events.push_back(Event::make_fork(3, 1, 2147483647, 2147483647, 2147483646, comm));
    w.events.push_back(Event::make_other(4, 1, 5, std::string(15, '\x01')));
    t[m].worst = w;
  }
  r.tasks.push_back(t);
  const std::string out = text_of(r);
  for (const std::string& l : lines_of(out)) {
    EXPECT_LE(l.size(), 100u) << l;
    for (char c : l) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << l;
    EXPECT_TRUE(l.empty() || l.back() != ' ') << "trailing space: " << l;
  }
  // Nothing was cut away by wrapping.
  EXPECT_NE(out.find("==> wwwwwwwwwwwwwww:2147483646 [-32768]"), std::string::npos) << out;
  EXPECT_NE(out.find("... 18446744073709551615 more events elided"), std::string::npos);
  EXPECT_NE(out.find("-5000000.001us"), std::string::npos) << out;  // before the window start
}

TEST(TextReport, LongSwitchWrapsBeforeTheArrow) {
  Results r;
  TaskResult t = task(4194301, 4194301, "long-task-name1");
  t[Metric::latency] = metric(1, 1500, 1500, 1500, 1500, 1500, 1500, 1500);
  WorstWindow w;
  w.start_ns = 10'000;
  w.end_ns = 11'500;
  w.cpu = 1;
  w.events.push_back(Event::make_switch(11'500, 1, 4194302, 4194302, "other-longname2", 120,
                                        PrevState::preempted, 0x100, 4194301, "long-task-name1",
                                        49));
  t[Metric::latency].worst = w;
  r.tasks.push_back(t);
  const std::string out = text_of(r);
  // 4 + 13 (time) + 5 (cpu) + 24 (task) + 13 (event): the fields start at column 59.
  EXPECT_NE(out.find("    +     1.500us   1 other-longname2-4194302 sched_switch "
                     "other-longname2:4194302 [120] R+\n" +
                     std::string(59, ' ') + "==> long-task-name1:4194301 [49]\n"),
            std::string::npos)
      << out;
}

// ---- CSV ----------------------------------------------------------------------------------------

TEST(CsvReport, OneRowPerTaskAndMetric) {
  Results r = sample_results();
  r.tasks[1].comm = "say \"hi\",\nbye";
  r.tasks[0][Metric::response].mean_ns = 2e5;  // fixed notation, not "2e+05"
  std::ostringstream os;
  rtlat::write_csv(os, r);
  const std::vector<std::string> expected = {
      "pid,tgid,comm,metric,count,min_ns,max_ns,mean_ns,p50_ns,p90_ns,p99_ns,p999_ns,derived,"
      "slo_ns,violations",
      "1234,1230,\"cyclictest\",latency,1000,2100,12345,4500.25,4000,6000,9000,12000,false,10000,4",
      "1234,1230,\"cyclictest\",response,999,30000,90000,200000,40000,50000,80000,90000,false,,0",
      "1234,1230,\"cyclictest\",relief,0,,,,,,,,false,,0",
      "1234,1230,\"cyclictest\",irq,0,,,,,,,,true,,0",
      "1234,1230,\"cyclictest\",timer,0,,,,,,,,false,,0",
      "1234,1230,\"cyclictest\",irq_latency,0,,,,,,,,false,,0",
      "77,,\"say \"\"hi\"\",?bye\",latency,0,,,,,,,,false,,0",
      "77,,\"say \"\"hi\"\",?bye\",response,0,,,,,,,,false,,0",
      "77,,\"say \"\"hi\"\",?bye\",relief,0,,,,,,,,false,,0",
      "77,,\"say \"\"hi\"\",?bye\",irq,0,,,,,,,,false,,0",
      "77,,\"say \"\"hi\"\",?bye\",timer,0,,,,,,,,false,,0",
      "77,,\"say \"\"hi\"\",?bye\",irq_latency,0,,,,,,,,false,,0",
  };
  EXPECT_EQ(lines_of(os.str()), expected);
}

// ---- --top
// ----------------------------------------------------------------------------------------

TEST(TopTasks, KeepsTheNWorstValuesOfAnyMetric) {
  Results r;
  r.tasks.push_back(task(1, 1, "none"));
  r.tasks.push_back(with_latency_max(2, "small", 100));
  r.tasks.push_back(with_latency_max(3, "big", 900));
  r.tasks.push_back(with_latency_max(4, "medium", 500));
  Results two = r;
  rtlat::keep_top(two, 2);
  ASSERT_EQ(two.tasks.size(), 2u);
  EXPECT_EQ(two.tasks[0].pid, 3);
  EXPECT_EQ(two.tasks[1].pid, 4);
  Results many = r;
  rtlat::keep_top(many, 10);
  ASSERT_EQ(many.tasks.size(), 4u);
  EXPECT_EQ(many.tasks[3].pid, 1);  // no sample: last
  Results zero = r;
  rtlat::keep_top(zero, 0);
  EXPECT_TRUE(zero.tasks.empty());
}

// A Pi trace that recorded only sched_switch has no latency anywhere; `--top 3` printed nothing
// although an IRQ thread had 175 derived irq samples. Tasks with samples rank first, by their
// worst value in any metric.
TEST(TopTasks, RanksByAnyMetricWithSampledTasksFirst) {
  Results r;
  r.tasks.push_back(task(10, 10, "idle-ish"));
  r.tasks.push_back(task(11, 11, "bash"));
  TaskResult irq = task(12, 12, "irq/31-eth0");
  irq[Metric::irq].count = 175;
  irq[Metric::irq].max_ns = 40'000;
  irq[Metric::irq].derived = true;
  r.tasks.push_back(irq);
  TaskResult resp = with_latency_max(13, "ctl", 5'000);
  resp[Metric::response].count = 1;
  resp[Metric::response].max_ns = 90'000;  // its worst value: response, above irq/31's 40us
  r.tasks.push_back(resp);
  rtlat::keep_top(r, 3);
  ASSERT_EQ(r.tasks.size(), 3u);
  EXPECT_EQ(r.tasks[0].pid, 13);
  EXPECT_EQ(r.tasks[1].pid, 12);
  EXPECT_EQ(r.tasks[2].pid, 10);  // without samples: after, by pid
}

}  // namespace
