// The parts of a text trace line that every format shares: the task column (with an optional
// tgid column), the CPU, the optional irq-flags column, the timestamp and the event name; and the
// per-CPU "lost events" lines. Formats handled:
//   trace-cmd report:  "      cyclictest-2166  [000]    57.608518: sched_switch:   ..."
//   tracefs trace:     "          <idle>-0       [001] d..2.   237.222523: sched_switch: ..."
//   with record-tgid:  "            bash-3329    (   3329) [001] .....   237.418835: sys_enter:
//   ..."
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rtlat/detail/text/scan.hpp"
#include "rtlat/detail/vocabulary.hpp"
#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {
namespace text {

struct LineHead {
  std::string_view comm;  // task column; "<...>" when the tracer did not know it
  Pid pid = 0;
  Pid tgid = -1;  // -1: no tgid column, or "(-------)"
  bool tgid_column = false;
  bool flags_column = false;  // irq-info ("d..2.") present
  std::string_view flags;     // that column ("d..2."), empty without one
  bool latency = false;       // trace-cmd report -l: CPU and flags in one column, no brackets
  std::uint32_t cpu = 0;
  Timestamp ts = 0;
  std::string_view event;    // "sched_switch"
  std::string_view payload;  // the fields after "sched_switch:", leading blanks removed
};

// The task column ends at the blank before "[CPU]"; it is "comm-pid" (the pid after the LAST '-',
// since comms contain '-', ' ', ':' and '/') optionally followed by "(tgid)".
inline bool parse_task_column(std::string_view task, LineHead& h) noexcept {
  task = trim_right(task);
  h.tgid = -1;
  h.tgid_column = false;
  if (!task.empty() && task.back() == ')') {
    const std::size_t lp = task.rfind('(');
    if (lp == std::string_view::npos) return false;
    const std::string_view inner = trim(task.substr(lp + 1, task.size() - lp - 2));
    if (inner.empty()) return false;
    if (inner.find_first_not_of('-') == std::string_view::npos) {
      h.tgid = -1;
    } else if (!parse_int(inner, h.tgid) || h.tgid < 0) {
      return false;
    }
    h.tgid_column = true;
    task = trim_right(task.substr(0, lp));
  }
  const std::size_t dash = task.rfind('-');
  if (dash == std::string_view::npos) return false;
  // "log--5" is pid -5 (the kernel prints "%s-%d"), not the comm "log-": a negative pid is corrupt.
  if (dash != 0 && task[dash - 1] == '-') return false;
  const std::string_view pid = task.substr(dash + 1);
  if (pid.empty() || pid[0] == '-' || !parse_int(pid, h.pid)) return false;
  h.comm = trim_left(task.substr(0, dash));
  return true;
}

// Parses "TIMESTAMP:" at `pos` (after blanks); on success `pos` is just past the colon.
inline bool parse_ts_token(std::string_view line, std::size_t& pos, Timestamp& ts) noexcept {
  while (pos < line.size() && is_blank(line[pos])) ++pos;
  const std::string_view tok = token_at(line, pos);
  if (tok.size() < 2 || tok.back() != ':') return false;
  if (!parse_timestamp(tok.substr(0, tok.size() - 1), ts)) return false;
  pos += tok.size();
  return true;
}

// After "TIMESTAMP:": an optional "(+N)" (trace-cmd report --ts-diff), then "event_name:".
inline bool parse_event_name(std::string_view line, std::size_t pos, LineHead& h) noexcept {
  while (pos < line.size() && is_blank(line[pos])) ++pos;
  if (pos + 2 < line.size() && line[pos] == '(' && line[pos + 1] == '+') {
    const std::string_view diff = token_at(line, pos);
    std::uint64_t d = 0;
    if (diff.back() != ')' || !parse_u64(diff.substr(2, diff.size() - 3), d)) return false;
    pos += diff.size();
    while (pos < line.size() && is_blank(line[pos])) ++pos;
  }
  const std::size_t name_start = pos;
  while (pos < line.size()) {
    const char c = line[pos];
    if (!(is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')) break;
    ++pos;
  }
  if (pos == name_start || pos >= line.size() || line[pos] != ':') return false;
  h.event = line.substr(name_start, pos - name_start);
  h.payload = trim_left(line.substr(pos + 1));
  return true;
}

// The text after a "[CPU]" bracket that ends at `close`: optional flags, the timestamp, the event.
inline bool parse_after_cpu(std::string_view line, std::size_t close, LineHead& h) noexcept {
  std::size_t pos = close + 1;
  if (pos >= line.size() || !is_blank(line[pos])) return false;
  h.flags_column = false;
  h.flags = {};
  h.latency = false;
  if (!parse_ts_token(line, pos, h.ts)) {
    while (pos < line.size() && is_blank(line[pos])) ++pos;
    const std::string_view flags = token_at(line, pos);
    if (flags.empty() || flags.size() > 8) return false;
    pos += flags.size();
    if (!parse_ts_token(line, pos, h.ts)) return false;
    h.flags_column = true;
    h.flags = flags;
  }
  return parse_event_name(line, pos, h);
}

// `trace-cmd report -l` (latency format) has no brackets: "cyclicte-9045    0d..2.   395.073644:"
// with the CPU number glued to the flags (whose first character is never a digit).
inline bool parse_latency_head(std::string_view line, LineHead& h) noexcept {
  std::size_t from = 0;
  while (true) {
    const std::size_t colon = line.find(':', from);
    if (colon == std::string_view::npos) return false;
    from = colon + 1;
    std::size_t ts_start = colon;
    while (ts_start != 0 && !is_blank(line[ts_start - 1])) --ts_start;
    if (ts_start == 0 || !parse_timestamp(line.substr(ts_start, colon - ts_start), h.ts)) continue;
    std::size_t end = ts_start;
    while (end != 0 && is_blank(line[end - 1])) --end;
    std::size_t start = end;
    while (start != 0 && !is_blank(line[start - 1])) --start;
    const std::string_view tok = line.substr(start, end - start);
    std::size_t digits = 0;
    while (digits < tok.size() && is_digit(tok[digits])) ++digits;
    const std::size_t nflags = tok.size() - digits;
    std::uint64_t cpu = 0;
    if (start == 0 || digits == 0 || nflags < 4 || nflags > 6 ||
        !parse_u64(tok.substr(0, digits), cpu) || cpu >= max_cpus)
      return false;
    if (!parse_event_name(line, colon + 1, h) || !parse_task_column(line.substr(0, start), h))
      return false;
    h.cpu = static_cast<std::uint32_t>(cpu);
    h.flags_column = true;
    h.flags = tok.substr(digits);
    h.latency = true;
    return true;
  }
}

// False for anything that is not an event line (headers, function-tracer lines, garbage).
inline bool parse_head(std::string_view line, LineHead& h) noexcept {
  std::size_t from = 0;
  while (true) {
    const std::size_t open = line.find('[', from);
    if (open == std::string_view::npos) return parse_latency_head(line, h);
    from = open + 1;
    if (open == 0 || !is_blank(line[open - 1])) continue;
    std::size_t close = open + 1;
    while (close < line.size() && is_digit(line[close]) && close - open <= 6) ++close;
    if (close == open + 1 || close >= line.size() || line[close] != ']') continue;
    std::uint64_t cpu = 0;
    if (!parse_u64(line.substr(open + 1, close - open - 1), cpu) || cpu >= max_cpus) continue;
    if (!parse_after_cpu(line, close, h)) continue;
    if (!parse_task_column(line.substr(0, open), h)) return false;
    h.cpu = static_cast<std::uint32_t>(cpu);
    return true;
  }
}

// The known event a line that parse_head() rejected claims to be: a known event name followed by
// ':' after a blank ("... 57.608518: sched_switch: ..."); empty when it names none.
inline std::string_view claimed_event(std::string_view line) noexcept {
  for (const TraceEventName& k : known_events) {
    std::size_t from = 0;
    while (true) {
      const std::size_t at = line.find(k.name, from);
      if (at == std::string_view::npos) break;
      const std::size_t end = at + k.name.size();
      if (at != 0 && is_blank(line[at - 1]) && end < line.size() && line[end] == ':') return k.name;
      from = at + 1;
    }
  }
  return {};
}

// Why the prefix of a line that claims the event `name` does not parse: the part that is wrong,
// quoted. Only called on that error path.
inline std::string diagnose_head(std::string_view line, std::string_view name) {
  const std::string_view prefix = trim_right(line.substr(0, line.find(name)));
  const auto quote = [](std::string_view v) { return "'" + std::string(v.substr(0, 80)) + "'"; };
  // The timestamp: the last token ("57.608518:"), or the one before a --ts-diff "(+N)".
  std::size_t ts_end = prefix.size();
  std::size_t ts_start = prefix.rfind(' ');
  ts_start = ts_start == std::string_view::npos ? 0 : ts_start + 1;
  if (prefix.substr(ts_start, 2) == "(+") {
    ts_end = trim_right(prefix.substr(0, ts_start)).size();
    ts_start = prefix.substr(0, ts_end).rfind(' ');
    ts_start = ts_start == std::string_view::npos ? 0 : ts_start + 1;
  }
  const std::string_view ts = prefix.substr(ts_start, ts_end - ts_start);
  Timestamp ns = 0;
  if (ts.size() < 2 || ts.back() != ':' || !parse_timestamp(ts.substr(0, ts.size() - 1), ns))
    return "bad timestamp " + quote(ts) + " (expected SECONDS.FRACTION: from 0 to 2^63 ns)";
  const std::size_t open = prefix.find(" [");
  if (open == std::string_view::npos) return "no [CPU] column";
  const std::size_t close = prefix.find(']', open);
  if (close == std::string_view::npos) return "no ']' after the CPU";
  const std::string_view cpu_text = prefix.substr(open + 2, close - open - 2);
  std::uint64_t cpu = 0;
  if (!parse_u64(cpu_text, cpu))
    return "bad CPU " + quote(prefix.substr(open + 1, close - open)) + " (expected [N])";
  if (cpu >= max_cpus) {
    return "CPU " + std::string(cpu_text) + " out of range (rtlat reads CPUs 0 to " +
           std::to_string(max_cpus - 1) + ")";
  }
  LineHead h;
  if (!parse_task_column(prefix.substr(0, open + 1), h))
    return "bad task column " + quote(trim(prefix.substr(0, open))) + " (expected COMM-PID)";
  return "unreadable line prefix " + quote(prefix);
}

enum class CpuLineKind : std::uint8_t { lost, ignored };

// "CPU:1 [LOST 123 EVENTS]" / "CPU:1 [LOST EVENTS]" (tracefs) and "CPU:1 [123 EVENTS DROPPED]" /
// "CPU:1 [EVENTS DROPPED]" (trace-cmd report); both precede the first event after the loss on
// that CPU. "CPU:1 [SUBBUFFER START]" (trace-cmd report --debug) is recognised and ignored.
// `count` is 0 when the tracer did not know how many were lost.
inline bool parse_cpu_line(std::string_view line, CpuLineKind& kind, std::uint32_t& cpu,
                           std::uint64_t& count) noexcept {
  if (!starts_with(line, "CPU:")) return false;
  const std::size_t sp = line.find(" [", 4);
  std::uint64_t c = 0;
  if (sp == std::string_view::npos || !parse_u64(line.substr(4, sp - 4), c) || c >= max_cpus)
    return false;
  const std::size_t close = line.find(']', sp);
  if (close == std::string_view::npos) return false;
  const std::string_view inner = line.substr(sp + 2, close - sp - 2);
  cpu = static_cast<std::uint32_t>(c);
  count = 0;
  kind = CpuLineKind::lost;
  if (inner == "LOST EVENTS" || inner == "EVENTS DROPPED") return true;
  if (starts_with(inner, "LOST ") && inner.size() > 12 &&
      inner.substr(inner.size() - 7) == " EVENTS")
    return parse_u64(inner.substr(5, inner.size() - 12), count);
  if (inner.size() > 15 && inner.substr(inner.size() - 15) == " EVENTS DROPPED")
    return parse_u64(inner.substr(0, inner.size() - 15), count);
  if (inner == "SUBBUFFER START") {
    kind = CpuLineKind::ignored;
    return true;
  }
  return false;
}

}  // namespace text
}  // namespace detail
}  // namespace v1
}  // namespace rtlat
