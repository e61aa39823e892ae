// Event formats: each checked to have the exact shape the kernel writes, then parsed by
// libtraceevent (fields only), within the limits on their number and size.
#pragma once

#include <traceevent/event-parse.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rtlat/detail/tracedat/limits.hpp"
#include "rtlat/detail/tracedat/meta.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// Why `text` (up to its print fmt) does not have the exact shape the kernel writes ("name: N",
// "ID: N", "format:", then "\tfield:DECL;\toffset:N;\tsize:N;\tsigned:N;" lines), or "" when it
// has. libtraceevent's field parser dereferences NULL on some malformed declarations (found by
// fuzzing: a NUL byte inside "char comm[...]"), so nothing else is handed to it.
inline std::string format_problem(std::string_view text) {
  auto ident = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  auto digits = [](std::string_view v) {
    if (v.empty() || v.size() > 9) return false;
    for (char c : v)
      if (c < '0' || c > '9') return false;
    return true;
  };
  auto take = [](std::string_view& v, std::string_view prefix) {
    if (v.substr(0, prefix.size()) != prefix) return false;
    v.remove_prefix(prefix.size());
    return true;
  };
  auto number_until = [&](std::string_view& v, char end) {
    const std::size_t at = v.find(end);
    if (at == std::string_view::npos || !digits(v.substr(0, at))) return false;
    v.remove_prefix(at + 1);
    return true;
  };
  // An array size is what the kernel's macro expanded to: a number, a name, or a simple integer
  // expression of them ("char func[30+1]" in ftrace:branch, "[8*2]", "[(16)]").
  auto size_char = [&](char c) {
    return ident(c) || c == ' ' || c == '+' || c == '-' || c == '*' || c == '/';
  };
  auto decl_ok = [&](std::string_view d) {
    if (d.empty() || d.size() > 256 || !ident(d.back())) {
      if (d.empty() || d.back() != ']') return false;
    }
    bool in_bracket = false;
    int parens = 0;
    for (char c : d) {
      if (c == '[') {
        if (in_bracket) return false;
        in_bracket = true;
      } else if (c == ']') {
        if (!in_bracket || parens != 0) return false;
        in_bracket = false;
      } else if (in_bracket && c == '(') {
        ++parens;
      } else if (in_bracket && c == ')') {
        if (--parens < 0) return false;
      } else if (in_bracket ? !size_char(c) : !(ident(c) || c == ' ' || c == '*')) {
        return false;
      }
    }
    return !in_bracket;
  };
  auto field_ok = [&](std::string_view line) {
    if (!take(line, "\tfield:")) return false;
    const std::size_t semi = line.find(';');
    if (semi == std::string_view::npos || !decl_ok(line.substr(0, semi))) return false;
    line.remove_prefix(semi + 1);
    if (!take(line, "\toffset:") || !number_until(line, ';')) return false;
    if (!take(line, "\tsize:") || !number_until(line, ';')) return false;
    if (!line.empty() && (!take(line, "\tsigned:") || !number_until(line, ';'))) return false;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    return line.empty();
  };
  int line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.substr(0, 10) == "print fmt:") {
      if (line_no >= 3) return {};
      break;
    }
    ++line_no;
    for (char c : line)
      if ((c < 0x20 || c > 0x7e) && c != '\t')
        return "line " + std::to_string(line_no) + " holds a control or non-ASCII byte";
    switch (line_no) {
      case 1: {
        bool ok = take(line, "name: ") && !line.empty();
        for (char c : line) ok = ok && ident(c);
        if (!ok) return "line 1 is not \"name: NAME\"";
        continue;
      }
      case 2:
        if (!take(line, "ID: ") || !digits(line)) return "line 2 is not \"ID: NUMBER\"";
        continue;
      case 3:
        if (line != "format:") return "line 3 is not \"format:\"";
        continue;
      default:
        break;
    }
    if (!line.empty() && !field_ok(line))
      return "line " + std::to_string(line_no) + " is not a \"field:\" line the kernel writes";
  }
  return line_no < 3 ? "cut short before its fields" : "no \"print fmt:\" line";
}

inline bool plausible_format(std::string_view text) {
  return format_problem(text).empty();
}

// "system:event" for messages, from the format's own name line when it has a readable one.
inline std::string format_label(std::string_view text, const char* system) {
  std::string label = system;
  label += ':';
  std::string_view name;
  if (text.substr(0, 6) == "name: ")
    name = text.substr(6, text.find('\n') - std::min<std::size_t>(text.find('\n'), 6));
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) ok = ok && c > 0x20 && c < 0x7f;
  label += ok ? std::string(name) : std::string("?");
  return label;
}

// The event id of a format whose second line is "ID: N", else -1.
inline std::int64_t format_id(std::string_view text) {
  const std::size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return -1;
  std::string_view line = text.substr(nl + 1);
  line = line.substr(0, line.find('\n'));
  if (line.substr(0, 4) != "ID: " || line.size() == 4 || line.size() > 4 + 9) return -1;
  std::int64_t id = 0;
  for (char c : line.substr(4)) {
    if (c < '0' || c > '9') return -1;
    id = id * 10 + (c - '0');
  }
  return id;
}

inline void format_failed(TraceDatMeta& m, std::string_view text, const char* system,
                          const std::string& why) {
  ++m.format_failures;
  m.failed_formats.push_back({format_label(text, system) + " (" + why + ")", format_id(text)});
}

inline void parse_one_format(TraceDatMeta& m, std::string_view text, const char* system) {
  const std::string_view raw = text;
  if (std::string why = format_problem(text); !why.empty()) {
    format_failed(m, raw, system, why);
    return;
  }
  // libtraceevent is given the fields only: its print fmt parser dereferences NULL on formats
  // whose arguments name a missing field (found by fuzzing), and nothing here prints events. The
  // one thing read from a print fmt, sched_switch's preemption flag, is parsed from the raw text.
  std::string fields;
  const std::size_t pf = text.find("\nprint fmt:");
  if (pf != std::string_view::npos) {
    fields.assign(text.substr(0, pf + 1));
    fields += "print fmt: \"\"\n";
    text = fields;
  }
  if (const tep_errno e = tep_parse_event(m.tep.get(), text.data(), text.size(), system);
      e != TEP_ERRNO__SUCCESS) {
    char buf[128] = "";
    tep_strerror(m.tep.get(), e, buf, sizeof buf);
    format_failed(m, raw, system, std::string("libtraceevent: ") + buf);
    return;
  }
  if (std::string_view(system) == "sched" && raw.substr(0, 19) == "name: sched_switch\n")
    m.sched_switch_format = std::string(raw);
}

// Counts one format of `size` bytes against the limits on formats (their number, their text, and
// the part libtraceevent keeps); reads and parses it, and keeps its text in `stored` if given.
template <class C>
void take_format(TraceDatMeta& m, C& c, const char* what, const char* system,
                 std::vector<std::string>* stored) {
  const std::uint64_t size = c.u64(what);
  if (++m.format_count > max_formats)
    c.fail("more than " + std::to_string(max_formats) + " event formats: the reader's limit");
  if (size > max_format_text_bytes - m.format_text)
    c.fail(over_limit("event format text", m.format_text + size, max_format_text_bytes));
  const auto text = c.bytes(size, "format text");
  if (stored != nullptr) stored->emplace_back(text);
  m.format_text += size;
  const std::size_t pf = text.find("\nprint fmt:");
  m.format_fields += pf == std::string_view::npos ? text.size() : pf;
  if (m.format_fields > max_format_field_bytes)
    c.fail(over_limit("event format fields", m.format_fields, max_format_field_bytes));
  parse_one_format(m, text, system);
}

template <class C>
void parse_ftrace_formats(TraceDatMeta& m, C& c) {
  const std::uint32_t n = c.u32("ftrace format count");
  if (n > 100000) c.fail("absurd ftrace format count " + std::to_string(n));
  std::vector<std::string>* stored = m.stored != nullptr ? &m.stored->ftrace_formats : nullptr;
  for (std::uint32_t i = 0; i < n; ++i) take_format(m, c, "ftrace format size", "ftrace", stored);
}

template <class C>
void parse_event_formats(TraceDatMeta& m, C& c) {
  const std::uint32_t systems = c.u32("event system count");
  if (systems > 100000) c.fail("absurd event system count " + std::to_string(systems));
  for (std::uint32_t s = 0; s < systems; ++s) {
    const std::string sys(c.cstr("system name"));
    const std::uint32_t n = c.u32("event count");
    if (n > 100000) c.fail("absurd event count " + std::to_string(n));
    std::vector<std::string>* stored = nullptr;
    if (m.stored != nullptr)
      stored = &m.stored->event_systems.emplace_back(sys, std::vector<std::string>{}).second;
    for (std::uint32_t i = 0; i < n; ++i)
      take_format(m, c, "event format size", sys.c_str(), stored);
  }
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
