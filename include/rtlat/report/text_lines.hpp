/// @file
/// The text report's line tools: printable names, printf into a string, times, and lines
/// wrapped at text_report_columns.
#pragma once

#include <algorithm>
#include <cinttypes>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "rtlat/duration.hpp"
#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {

/// The widest line the text report writes.
inline constexpr std::size_t text_report_columns = 100;

namespace detail {

inline std::string printable(std::string_view s, std::size_t max_len = 32) {
  s = s.substr(0, max_len);
  if (std::all_of(s.begin(), s.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c >= 0x20 && c < 0x7f;
      }))
    return std::string(s);  // the common case: one copy
  std::string out;
  out.reserve(std::min(s.size(), max_len));
  for (std::size_t i = 0; i < s.size() && out.size() < max_len; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  return out;
}

template <class... Args>
std::string fmt(const char* f, Args... args) {
  char buf[256];
  const int n = std::snprintf(buf, sizeof buf, f, args...);
  if (n < 0) return std::string();
  if (static_cast<std::size_t>(n) < sizeof buf)
    return std::string(buf, static_cast<std::size_t>(n));
  std::string big(static_cast<std::size_t>(n) + 1, '\0');
  std::snprintf(big.data(), big.size(), f, args...);
  big.pop_back();
  return big;
}

// Seconds with microsecond digits, as trace-cmd prints timestamps: "1234.567890".
inline std::string seconds(Timestamp ns) {
  const bool neg = ns < 0;
  const std::uint64_t a = neg ? 0 - static_cast<std::uint64_t>(ns) : static_cast<std::uint64_t>(ns);
  return fmt("%s%" PRIu64 ".%06" PRIu64, neg ? "-" : "", a / 1000000000u, (a / 1000u) % 1000000u);
}

inline std::string opt_duration(const std::optional<std::int64_t>& v) {
  return v ? format_duration(*v) : std::string("-");
}

// A space that wrapped_line() never breaks at ("comm:pid [prio]" stays together).
inline constexpr char glue = '\x1f';

// Writes `head` + `body`, wrapping `body` at spaces so no line exceeds the column limit;
// continuation lines start at the body's column (or 8 when the head is very wide).
inline void emit_line(std::ostream& os, std::string& line) {
  while (!line.empty() && line.back() == ' ') line.pop_back();
  for (char& c : line)
    if (c == glue) c = ' ';
  os << line << '\n';
}
inline void wrapped_line(std::ostream& os, const std::string& head, std::string_view body) {
  const std::size_t limit = text_report_columns;
  std::string line = head;
  if (line.size() > limit) line.resize(limit);
  const std::size_t indent = line.size() <= 70 ? line.size() : 8;
  while (!body.empty()) {
    const std::size_t room = limit - line.size();
    if (body.size() <= room) {
      line += body;
      break;
    }
    std::size_t cut = body.rfind(' ', room);
    if (cut == std::string_view::npos || cut == 0) cut = room;  // one token wider than the room
    line += body.substr(0, cut);
    body.remove_prefix(cut);
    while (!body.empty() && body.front() == ' ') body.remove_prefix(1);
    emit_line(os, line);
    line.assign(indent, ' ');
  }
  emit_line(os, line);
}

}  // namespace detail

}  // namespace v1
}  // namespace rtlat
