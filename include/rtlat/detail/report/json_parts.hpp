/// @file
/// The JSON report's pieces (strings, numbers, events, tasks, metrics), which the JSON and
/// Perfetto writers share; report/json.hpp assembles them into the report.
#pragma once

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "rtlat/report/event_fields.hpp"
#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {

namespace detail {

// Length of the valid UTF-8 sequence at s[i], or 0 when the bytes there are not one (overlong
// forms, surrogates, code points above U+10FFFF and truncated sequences are all invalid).
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // the allowed range of the second byte
  if (b0 >= 0xc2 && b0 <= 0xdf)
    len = 2;
  else if (b0 == 0xe0)
    len = 3, lo = 0xa0;
  else if (b0 == 0xed)
    len = 3, hi = 0x9f;
  else if (b0 >= 0xe1 && b0 <= 0xef)
    len = 3;
  else if (b0 == 0xf0)
    len = 4, lo = 0x90;
  else if (b0 == 0xf4)
    len = 4, hi = 0x8f;
  else if (b0 >= 0xf1 && b0 <= 0xf3)
    len = 4;
  else
    return 0;
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  return len;
}

}  // namespace detail

/// Effects: writes `s` as a JSON string literal in double quotes: quotes, backslashes and
/// control characters escaped, invalid UTF-8 bytes as U+FFFD, everything else as is.
/// Complexity: O(size). Throws: std::bad_alloc; whatever `os` throws when its exceptions are
/// enabled.
inline void write_json_string(std::ostream& os, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20 || c == 0x7f) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xf];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    const std::size_t len = detail::utf8_sequence_length(s, i);
    if (len == 0) {
      out += "\\ufffd";
      ++i;
    } else {
      out.append(s.data() + i, len);
      i += len;
    }
  }
  out += '"';
  os << out;
}

namespace detail {

inline void json_opt_int(std::ostream& os, const std::optional<std::int64_t>& v) {
  if (v)
    os << *v;
  else
    os << "null";
}

// The shortest text that reads back as the same double; null for NaN / infinity (not JSON).
inline void json_double(std::ostream& os, double v) {
  if (!std::isfinite(v)) {
    os << "null";
    return;
  }
  // Fixed notation ("200000", not "2e+05"): means are read by people and naive parsers. 512
  // bytes hold any double's shortest fixed form; the general form is the fallback regardless.
  char buf[512];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  if (r.ec != std::errc()) r = std::to_chars(buf, buf + sizeof buf, v);
  os << std::string_view(buf, static_cast<std::size_t>(r.ptr - buf));
}

// Where the report's JSON goes: laid out in lines and indents, which diff well, or on one line
// (JSON Lines). The writer's literals carry the layout; on one line their spaces and line breaks
// are left out. No key holds a space, and text from the trace goes through string(), never
// through a literal, so only layout is dropped.
struct JsonOut {
  std::ostream& stream;
  bool one_line = false;

  JsonOut& operator<<(const char* literal) {
    if (!one_line) {
      stream << literal;
      return *this;
    }
    for (; *literal != '\0'; ++literal)
      if (*literal != ' ' && *literal != '\n') stream.put(*literal);
    return *this;
  }
  template <class T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  JsonOut& operator<<(T v) {
    stream << v;
    return *this;
  }
  void string(std::string_view s) { write_json_string(stream, s); }
};

inline void json_event(JsonOut& os, const Event& e) {
  os << "{\"ts_ns\": " << e.ts << ", \"cpu\": " << e.cpu << ", \"pid\": " << e.common_pid
     << ", \"event\": ";
  os.string(event_display_name(e));
  os << ", \"fields\": {";
  bool first = true;
  for (const EventField& f : event_fields(e)) {
    if (!first) os << ", ";
    first = false;
    os.string(f.name);
    os << ": ";
    switch (f.type) {
      case EventField::Type::integer:
        os << f.integer;
        break;
      case EventField::Type::string:
        os.string(f.str());
        break;
      case EventField::Type::null:
        os << "null";
        break;
    }
  }
  os << "}}";
}

inline void json_task_ref(JsonOut& os, const std::optional<TaskRef>& t) {
  if (!t) {
    os << "null";
    return;
  }
  os << "{\"pid\": " << t->pid << ", \"comm\": ";
  os.string(t->comm.view());
  os << ", \"prio\": " << t->prio << ", \"class\": ";
  os.string(task_class_name(t->cls()));
  os << "}";
}

inline void json_breakdown(JsonOut& os, const Breakdown& b, const char* indent) {
  os << "[";
  for (std::size_t i = 0; i < b.parts.size(); ++i) {
    const BreakdownPart& p = b.parts[i];
    os << (i == 0 ? "\n" : ",\n") << indent << "   {\"state\": ";
    os.string(part_state_name(p.state));
    os << ", \"ns\": " << p.ns << ", \"cpu\": " << p.cpu << ", \"task\": ";
    json_task_ref(os, p.task);
    if (p.waker) {
      const WakerActivity& w = *p.waker;
      os << ", \"waker\": {\"ran_ns\": " << w.ran_ns << ", \"runnable_ns\": " << w.runnable_ns
         << ", \"blocked_ns\": " << w.blocked_ns << ", \"unknown_ns\": " << w.unknown_ns
         << ", \"behind\": ";
      json_task_ref(os, w.behind);
      os << ", \"behind_ns\": " << w.behind_ns << "}";
    }
    if (p.interrupt) {
      os << ", \"interrupt\": {\"softirq\": " << (p.interrupt->softirq ? "true" : "false")
         << ", \"number\": " << p.interrupt->number << ", \"name\": ";
      os.string(p.interrupt->name);
      os << ", \"after\": " << (p.interrupt->after ? "true" : "false") << "}";
    }
    if (p.idle_state) os << ", \"idle_state\": " << *p.idle_state;
    if (p.state == PartState::timer_delay && p.task) {
      os << ", \"irqs\": ";
      os.string(part_irqs_name(p));
      if (!p.irqs_off_caller.empty()) {
        os << ", \"irqs_off_caller\": ";
        os.string(p.irqs_off_caller);
      }
    }
    if (p.uninterruptible) os << ", \"uninterruptible\": true";
    os << "}";
  }
  os << "]";
}

inline void json_verdict(JsonOut& os, const Verdict& v) {
  os << "{\"kind\": ";
  os.string(verdict_kind_name(v.kind));
  os << ", \"text\": ";
  os.string(v.text);
  os << ", \"share\": ";
  json_double(os.stream, v.share);
  os << ", \"culprit\": ";
  json_task_ref(os, v.culprit);
  os << "}";
}

inline void json_metric(JsonOut& os, const MetricResult& m, const char* indent,
                        bool timer = false) {
  os << "{\"count\": " << m.count << ", \"min_ns\": ";
  json_opt_int(os.stream, m.min_ns);
  os << ", \"max_ns\": ";
  json_opt_int(os.stream, m.max_ns);
  os << ", \"mean_ns\": ";
  if (m.mean_ns)
    json_double(os.stream, *m.mean_ns);
  else
    os << "null";
  os << ",\n" << indent << " \"p50_ns\": ";
  json_opt_int(os.stream, m.p50_ns);
  os << ", \"p90_ns\": ";
  json_opt_int(os.stream, m.p90_ns);
  os << ", \"p99_ns\": ";
  json_opt_int(os.stream, m.p99_ns);
  os << ", \"p999_ns\": ";
  json_opt_int(os.stream, m.p999_ns);
  os << ", \"derived\": " << (m.derived ? "true" : "false") << ", \"slo_ns\": ";
  json_opt_int(os.stream, m.slo_ns);
  os << ", \"violations\": " << m.violations;
  if (timer) os << ", \"unobserved\": " << m.unobserved;
  if (!m.verdicts.empty()) {
    os << ",\n" << indent << " \"verdicts\": [";
    for (std::size_t i = 0; i < m.verdicts.size(); ++i) {
      const VerdictCount& c = m.verdicts[i];
      os << (i == 0 ? "" : ", ") << "{\"kind\": ";
      os.string(verdict_kind_name(c.kind));
      os << ", \"count\": " << c.count << ", \"culprit\": ";
      json_task_ref(os, c.culprit);
      os << "}";
    }
    os << "]";
  }
  os << ",\n" << indent << " \"worst\": ";
  if (!m.worst) {
    os << "null}";
    return;
  }
  const WorstWindow& w = *m.worst;
  os << "{\"start_ns\": " << w.start_ns << ", \"end_ns\": " << w.end_ns << ", \"cpu\": " << w.cpu
     << ", \"elided\": " << w.elided << ", \"events\": [";
  for (std::size_t i = 0; i < w.events.size(); ++i) {
    os << (i == 0 ? "\n" : ",\n") << indent << "   ";
    json_event(os, w.events[i]);
  }
  os << "]";
  if (w.breakdown) {
    os << ",\n" << indent << "  \"breakdown\": ";
    json_breakdown(os, *w.breakdown, indent);
    os << ",\n"
       << indent << "  \"breakdown_covered_ns\": " << w.breakdown->covered_ns
       << ", \"history_too_short\": " << (w.breakdown->history_too_short ? "true" : "false");
  }
  if (w.verdict) {
    os << ",\n" << indent << "  \"verdict\": ";
    json_verdict(os, *w.verdict);
  }
  if (w.timer_split) {
    const TimerSplit& sp = *w.timer_split;
    os << ",\n" << indent << "  \"split\": {\"irq_delay_ns\": ";
    if (sp.irq_delay_ns)
      os << *sp.irq_delay_ns;
    else
      os << "null";
    os << ", \"wakeup_ns\": ";
    if (sp.wakeup_ns)
      os << *sp.wakeup_ns;
    else
      os << "null";
    os << ", \"to_wakeup_ns\": " << sp.to_wakeup_ns << ", \"scheduling_ns\": " << sp.scheduling_ns
       << "}";
  }
  if (w.irq_split) {
    os << ",\n"
       << indent << "  \"split\": {\"handler_ns\": " << w.irq_split->handler_ns
       << ", \"scheduling_ns\": " << w.irq_split->scheduling_ns << "}";
  }
  os << "}}";
}

inline void json_task(JsonOut& os, const TaskResult& t) {
  os << "{\"pid\": " << t.pid << ", \"tgid\": ";
  if (t.tgid)
    os << *t.tgid;
  else
    os << "null";
  os << ", \"comm\": ";
  os.string(t.comm);
  os << ",\n   \"metrics\": {";
  for (std::size_t i = 0; i < metric_count; ++i) {
    const Metric m = all_metrics[i];
    os << (i == 0 ? "\n" : ",\n") << "    ";
    os.string(metric_name(m));
    os << ": ";
    json_metric(os, t[m], "     ", m == Metric::timer || m == Metric::irq_latency);
  }
  os << "}}";
}

inline void json_metrics(JsonOut& os, const std::array<MetricResult, metric_count>& metrics) {
  os << ",\n   \"metrics\": {";
  for (std::size_t i = 0; i < metric_count; ++i) {
    os << (i == 0 ? "\n" : ",\n") << "    ";
    os.string(metric_name(all_metrics[i]));
    os << ": ";
    json_metric(os, metrics[i], "     ");
  }
  os << "}}";
}

inline void json_folded(JsonOut& os, const FoldedGroup& g) {
  os << "{\"comm\": ";
  os.string(g.comm);
  os << ", \"tasks\": " << g.tasks << ", \"first_seen_ns\": " << g.first_seen_ns
     << ", \"last_seen_ns\": " << g.last_seen_ns;
  json_metrics(os, g.metrics);
}

}  // namespace detail

namespace detail {

// The report's members, without the braces around them.
inline void json_report_members(JsonOut& os, const Results& r) {
  const TraceStats& t = r.trace;
  os << "\"trace\": {\"source\": ";
  os.string(t.source);
  os << ", \"events\": " << t.events << ", \"cpus\": " << t.cpus << ", \"start_ns\": " << t.start_ns
     << ", \"end_ns\": " << t.end_ns << ",\n  \"lost_events\": " << t.lost_events
     << ", \"implicit_switches\": " << t.implicit_switches;
  // "unobserved_<metric>" per metric; the members added after the first four keep their place
  // in the schema (report/json.hpp), between them.
  for (Metric m : all_metrics) {
    os << (m == Metric::response || m == Metric::timer ? ",\n  " : ", ");
    os.string("unobserved_" + std::string(metric_name(m)));
    os << ": " << t.unobserved(m);
    if (m == Metric::irq)
      os << ", \"lost_event_markers\": " << t.lost_event_markers << ", \"skipped\": " << t.skipped
         << ", \"out_of_order\": " << t.out_of_order;
    if (m == Metric::timer)
      os << ", \"unobserved_timer_no_request\": " << t.unobserved_timer_no_request
         << ", \"unobserved_timer_clock\": " << t.unobserved_timer_clock;
  }
  if (t.waking_fallback) os << ", \"waking_fallback\": true";
  os << "},\n \"tasks\": [";
  for (std::size_t i = 0; i < r.tasks.size(); ++i) {
    os << (i == 0 ? "\n  " : ",\n  ");
    json_task(os, r.tasks[i]);
  }
  os << "]";
  if (!r.folded.empty()) {
    os << ",\n \"folded\": [";
    for (std::size_t i = 0; i < r.folded.size(); ++i) {
      os << (i == 0 ? "\n  " : ",\n  ");
      json_folded(os, r.folded[i]);
    }
    os << "]";
  }
}

}  // namespace detail

}  // namespace v1
}  // namespace rtlat
