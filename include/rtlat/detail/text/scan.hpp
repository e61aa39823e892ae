// Allocation-free scanning primitives for text traces: trimming, exact integers, timestamps and
// `key=value` lookup. Everything works on string_views into the caller's line buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {
namespace text {

constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
constexpr bool is_blank(char c) noexcept {
  return c == ' ' || c == '\t';
}

inline std::string_view trim_left(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size() && is_blank(s[i])) ++i;
  return s.substr(i);
}
inline std::string_view trim_right(std::string_view s) noexcept {
  std::size_t n = s.size();
  while (n != 0 && (is_blank(s[n - 1]) || s[n - 1] == '\r')) --n;
  return s.substr(0, n);
}
inline std::string_view trim(std::string_view s) noexcept {
  return trim_right(trim_left(s));
}

inline bool starts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}
inline bool ends_with(std::string_view s, std::string_view suffix) noexcept {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The whole of `s` is a decimal number (leading zeros allowed: "000" is a CPU in trace output).
inline bool parse_u64(std::string_view s, std::uint64_t& out) noexcept {
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (const char c : s) {
    if (!is_digit(c)) return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

inline bool parse_i64(std::string_view s, std::int64_t& out) noexcept {
  const bool neg = !s.empty() && s[0] == '-';
  std::uint64_t mag = 0;
  if (!parse_u64(neg ? s.substr(1) : s, mag)) return false;
  const auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (neg) {
    if (mag > max + 1) return false;
    out =
        mag == max + 1 ? std::numeric_limits<std::int64_t>::min() : -static_cast<std::int64_t>(mag);
  } else {
    if (mag > max) return false;
    out = static_cast<std::int64_t>(mag);
  }
  return true;
}

// A signed decimal that must fit T (pid, prio, irq number).
template <class T>
inline bool parse_int(std::string_view s, T& out) noexcept {
  std::int64_t v = 0;
  if (!parse_i64(s, v)) return false;
  if (v < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
      v > static_cast<std::int64_t>(std::numeric_limits<T>::max()))
    return false;
  out = static_cast<T>(v);
  return true;
}

// "57.608317" (µs resolution) -> 57608317000, "57.608317540" -> 57608317540; any 1..9 fraction
// digits scale exactly, never through floating point. A bare integer (tracefs with a counter
// clock) is taken as it is.
inline bool parse_timestamp(std::string_view s, std::int64_t& ns) noexcept {
  const std::size_t dot = s.find('.');
  std::uint64_t sec = 0;
  if (!parse_u64(s.substr(0, dot), sec)) return false;
  if (dot == std::string_view::npos) {
    if (sec > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
    ns = static_cast<std::int64_t>(sec);
    return true;
  }
  const std::string_view frac = s.substr(dot + 1);
  std::uint64_t f = 0;
  if (frac.size() > 9 || !parse_u64(frac, f)) return false;
  for (std::size_t i = frac.size(); i < 9; ++i) f *= 10;
  constexpr std::uint64_t giga = 1000000000ULL;
  if (sec > (static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) - f) / giga)
    return false;
  ns = static_cast<std::int64_t>(sec * giga + f);
  return true;
}

// Where the value of `key` (given with its '=', e.g. "pid=") starts, searching from `from`. The
// key must begin a word (start of `s` or after a blank), so "pid=" never matches "prev_pid=".
inline std::size_t find_key(std::string_view s, std::string_view key,
                            std::size_t from = 0) noexcept {
  while (from <= s.size()) {
    const std::size_t p = s.find(key, from);
    if (p == std::string_view::npos) return p;
    if (p == 0 || is_blank(s[p - 1])) return p + key.size();
    from = p + 1;
  }
  return std::string_view::npos;
}

// The blank-delimited token starting at `pos`.
inline std::string_view token_at(std::string_view s, std::size_t pos) noexcept {
  if (pos >= s.size()) return {};
  std::size_t e = pos;
  while (e < s.size() && !is_blank(s[e])) ++e;
  return s.substr(pos, e - pos);
}

// A pid: a decimal that fits Pid and is not negative.
inline bool parse_pid(std::string_view s, Pid& out) noexcept {
  return parse_int(s, out) && out >= 0;
}

// A CPU number as an event field gives it: below max_cpus.
template <class T>
inline bool parse_cpu(std::string_view s, T& out) noexcept {
  return parse_int(s, out) && out >= 0 && static_cast<std::size_t>(out) < max_cpus;
}

// The numeric value of `key` (a blank-delimited token); false when absent or not a number.
template <class T>
inline bool key_int(std::string_view s, std::string_view key, T& out,
                    std::size_t from = 0) noexcept {
  const std::size_t p = find_key(s, key, from);
  return p != std::string_view::npos && parse_int(token_at(s, p), out);
}

// The pid value of `key`; false when absent, not a number or negative.
inline bool key_pid(std::string_view s, std::string_view key, Pid& out,
                    std::size_t from = 0) noexcept {
  const std::size_t p = find_key(s, key, from);
  return p != std::string_view::npos && parse_pid(token_at(s, p), out);
}

// A string value that may contain blanks ("Web Content"): everything from `key` up to the blank
// before `next_key`. `next` receives where `next_key` starts, for the following lookups.
inline bool key_text(std::string_view s, std::string_view key, std::string_view next_key,
                     std::string_view& out, std::size_t& next, std::size_t from = 0) noexcept {
  const std::size_t p = find_key(s, key, from);
  if (p == std::string_view::npos) return false;
  const std::size_t n = find_key(s, next_key, p);
  if (n == std::string_view::npos) return false;
  next = n - next_key.size();
  out = trim_right(s.substr(p, next - p));
  return true;
}

}  // namespace text
}  // namespace detail
}  // namespace v1
}  // namespace rtlat
