/// @file
/// Durations as people write them: "2000ns", "50us", "1.5ms", "2s" (and "µs").
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace rtlat {
inline namespace v1 {

/// Parses a non-negative duration with a mandatory unit (ns, us, µs, ms, s; no spaces) into
/// nanoseconds. Returns: nullopt for anything else (no unit, negative, garbage, more than
/// INT64_MAX ns). Fractions are rounded to the nearest nanosecond (half up; digits beyond the
/// ninth are ignored). Throws: nothing.
inline std::optional<std::int64_t> parse_duration(std::string_view s) noexcept {
  std::size_t i = 0;
  std::uint64_t whole = 0;
  bool digits = false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (whole > (UINT64_MAX - 9) / 10) return std::nullopt;
    whole = whole * 10 + static_cast<std::uint64_t>(s[i] - '0');
    digits = true;
    ++i;
  }
  std::uint64_t frac = 0, frac_scale = 1;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (frac_scale < 1000000000ULL) {  // 9 digits: frac * mul * 2 fits in 64 bits
        frac = frac * 10 + static_cast<std::uint64_t>(s[i] - '0');
        frac_scale *= 10;
      }
      digits = true;
      ++i;
    }
  }
  if (!digits) return std::nullopt;
  const std::string_view unit = s.substr(i);
  std::uint64_t mul = 0;
  if (unit == "ns")
    mul = 1;
  else if (unit == "us" || unit == "\xC2\xB5s")
    mul = 1000;
  else if (unit == "ms")
    mul = 1000000;
  else if (unit == "s")
    mul = 1000000000;
  else
    return std::nullopt;
  if (whole > static_cast<std::uint64_t>(INT64_MAX) / mul) return std::nullopt;
  // frac / frac_scale * mul, rounded half up, without floating point.
  const std::uint64_t frac_ns = (frac * mul * 2 / frac_scale + 1) / 2;
  const std::uint64_t total = whole * mul + frac_ns;
  if (total > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<std::int64_t>(total);
}

/// A compact human form of `ns` nanoseconds: "850ns", "12.3us", "1.50ms", "2.000s" (whole
/// ns below 1us, then one, two or three decimals; rounded, so not meant to be parsed back
/// exactly). Throws: std::bad_alloc.
inline std::string format_duration(std::int64_t ns) {
  char buf[48];
  const double v = static_cast<double>(ns);
  const double a = std::fabs(v);
  if (a < 1e3)
    std::snprintf(buf, sizeof buf, "%lldns", static_cast<long long>(ns));
  else if (a < 1e6)
    std::snprintf(buf, sizeof buf, "%.1fus", v / 1e3);
  else if (a < 1e9)
    std::snprintf(buf, sizeof buf, "%.2fms", v / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%.3fs", v / 1e9);
  return buf;
}

}  // namespace v1
}  // namespace rtlat
