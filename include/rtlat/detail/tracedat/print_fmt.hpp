// The one thing read from a print fmt: sched_switch's prev_state preemption flag.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "rtlat/detail/tracedat/bytes.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// Evaluates the constant integer expressions the kernel leaves in print fmts: numbers (decimal,
// hex, with U/L suffixes), parentheses, unary ~ -, and binary * + - << >> & ^ |.
class ConstExpr {
 public:
  explicit ConstExpr(std::string_view s) : s_(s) {}
  std::optional<std::uint64_t> eval() {
    auto v = parse_or();
    skip_ws();
    if (!v || pos_ != s_.size()) return std::nullopt;
    return v;
  }

 private:
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n')) ++pos_;
  }
  bool eat(std::string_view tok) {
    skip_ws();
    if (s_.substr(pos_, tok.size()) != tok) return false;
    // Do not take "<" of "<<" etc. as a shorter operator: callers ask for the long forms first.
    pos_ += tok.size();
    return true;
  }
  // Takes the one-character operator c unless it is the first half of a doubled one ("|" of "||").
  bool eat_single(char c) {
    skip_ws();
    if (pos_ >= s_.size() || s_[pos_] != c || (pos_ + 1 < s_.size() && s_[pos_ + 1] == c)) {
      return false;
    }
    ++pos_;
    return true;
  }
  std::optional<std::uint64_t> parse_or() {
    auto v = parse_xor();
    while (v && eat_single('|')) {
      auto r = parse_xor();
      if (!r) return std::nullopt;
      *v |= *r;
    }
    return v;
  }
  std::optional<std::uint64_t> parse_xor() {
    auto v = parse_and();
    while (v && eat("^")) {
      auto r = parse_and();
      if (!r) return std::nullopt;
      *v ^= *r;
    }
    return v;
  }
  std::optional<std::uint64_t> parse_and() {
    auto v = parse_shift();
    while (v && eat_single('&')) {
      auto r = parse_shift();
      if (!r) return std::nullopt;
      *v &= *r;
    }
    return v;
  }
  std::optional<std::uint64_t> parse_shift() {
    auto v = parse_add();
    while (v) {
      if (eat("<<")) {
        auto r = parse_add();
        if (!r || *r >= 64) return std::nullopt;
        *v <<= *r;
      } else if (eat(">>")) {
        auto r = parse_add();
        if (!r || *r >= 64) return std::nullopt;
        *v >>= *r;
      } else {
        break;
      }
    }
    return v;
  }
  std::optional<std::uint64_t> parse_add() {
    auto v = parse_mul();
    while (v) {
      if (eat("+")) {
        auto r = parse_mul();
        if (!r) return std::nullopt;
        *v += *r;
      } else if (eat("-")) {
        auto r = parse_mul();
        if (!r) return std::nullopt;
        *v -= *r;
      } else {
        break;
      }
    }
    return v;
  }
  std::optional<std::uint64_t> parse_mul() {
    auto v = parse_unary();
    while (v && eat("*")) {
      auto r = parse_unary();
      if (!r) return std::nullopt;
      *v *= *r;
    }
    return v;
  }
  std::optional<std::uint64_t> parse_unary() {
    if (++depth_ > 64) return std::nullopt;
    std::optional<std::uint64_t> v;
    if (eat("~")) {
      v = parse_unary();
      if (v) v = ~*v;
    } else if (eat("-")) {
      v = parse_unary();
      if (v) v = 0 - *v;
    } else if (eat("(")) {
      v = parse_or();
      if (v && !eat(")")) v.reset();
    } else {
      v = parse_number();
    }
    --depth_;
    return v;
  }
  std::optional<std::uint64_t> parse_number() {
    skip_ws();
    const std::size_t start = pos_;
    std::uint64_t v = 0;
    if (s_.substr(pos_, 2) == "0x" || s_.substr(pos_, 2) == "0X") {
      pos_ += 2;
      const std::size_t digits = pos_;
      while (pos_ < s_.size()) {
        const int d = hex_digit(s_[pos_]);
        if (d < 0) break;
        v = v * 16 + static_cast<std::uint64_t>(d);
        ++pos_;
      }
      if (pos_ == digits) return std::nullopt;
    } else {
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        v = v * 10 + static_cast<std::uint64_t>(s_[pos_] - '0');
        ++pos_;
      }
      if (pos_ == start) return std::nullopt;
    }
    while (pos_ < s_.size() &&
           (s_[pos_] == 'u' || s_[pos_] == 'U' || s_[pos_] == 'l' || s_[pos_] == 'L'))
      ++pos_;
    return v;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

// Finds the flag in `REC->prev_state & <expr> ? "+" : ""` of a sched_switch format file (the
// whole format text or just its print fmt). Empty when the pattern is not there.
inline std::optional<std::uint32_t> preempt_flag_from_format(std::string_view fmt) {
  const std::size_t plus = fmt.find("? \"+\"");
  if (plus == std::string_view::npos) return std::nullopt;
  const std::string_view key = "REC->prev_state";
  const std::size_t rec = fmt.rfind(key, plus);
  if (rec == std::string_view::npos) return std::nullopt;
  std::string_view expr = fmt.substr(rec + key.size(), plus - rec - key.size());
  while (!expr.empty() && (expr.front() == ' ' || expr.front() == '\t')) expr.remove_prefix(1);
  if (expr.empty() || expr.front() != '&') return std::nullopt;
  expr.remove_prefix(1);
  auto v = ConstExpr(expr).eval();
  // A single bit above the state bits; anything else is not a flag we understand.
  if (!v || *v == 0 || (*v & (*v - 1)) != 0 || *v > 0x80000000u) return std::nullopt;
  return static_cast<std::uint32_t>(*v);
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
