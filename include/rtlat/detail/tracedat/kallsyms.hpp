// Finding hrtimer_wakeup in a kallsyms text without holding (or even reading) all of it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rtlat/detail/tracedat/bytes.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// The address of `symbol` in /proc/kallsyms text ("ffffffff81234560 t hrtimer_wakeup").
inline std::optional<std::uint64_t> kallsyms_lookup(std::string_view text,
                                                    std::string_view symbol) {
  // Line starts are tracked as the search moves on, never searched back for: a text holding
  // the name many times on one long line stays linear.
  std::size_t pos = 0, line = 0, scanned = 0;  // `line` starts the line holding `scanned`
  while ((pos = text.find(symbol, pos)) != std::string_view::npos) {
    const std::size_t end = pos + symbol.size();
    const bool whole_end = end == text.size() || text[end] == '\n' || text[end] == '\t' ||
                           text[end] == ' ' || text[end] == '\r';
    if (whole_end && pos >= 2 && text[pos - 1] == ' ') {
      const std::size_t nl = text.substr(scanned, pos - scanned).rfind('\n');
      if (nl != std::string_view::npos) line = scanned + nl + 1;
      scanned = pos;
      std::uint64_t addr = 0;
      std::size_t i = line;
      for (; i < pos && i - line <= 16; ++i) {  // an address has at most 16 hex digits
        const int d = hex_digit(text[i]);
        if (d < 0) break;
        addr = addr * 16 + static_cast<std::uint64_t>(d);
      }
      if (i > line && i < pos && i - line <= 16 && text[i] == ' ') return addr;
    }
    pos = end;
  }
  return std::nullopt;
}

// Looks for a symbol in kallsyms text handed over in pieces, so that the search can stop where
// the symbol is (hrtimer_wakeup sits early in a typical kallsyms) without the whole text ever
// being read, decompressed or held.
class KallsymsScan {
 public:
  explicit KallsymsScan(std::string_view symbol) : symbol_(symbol) {}

  // Takes the next piece; returns true once the symbol is found (then address() has it).
  bool feed(std::string_view piece) {
    if (found_) return true;
    // Only whole lines are searched; a partial last line waits for the rest.
    if (!carry_.empty()) {
      const std::size_t nl = piece.find('\n');
      if (nl == std::string_view::npos) {
        // No kallsyms line is this long: drop it rather than grow without bound.
        if (carry_.size() + piece.size() > max_line) carry_.clear();
        carry_.append(piece.substr(0, std::min(piece.size(), max_line)));
        return false;
      }
      carry_.append(piece.substr(0, nl + 1));
      if (search(carry_)) return true;
      carry_.clear();
      piece.remove_prefix(nl + 1);
    }
    const std::size_t last = piece.rfind('\n');
    if (last == std::string_view::npos) {
      carry_.assign(piece.substr(0, std::min(piece.size(), max_line)));
      return false;
    }
    if (search(piece.substr(0, last + 1))) return true;
    carry_.assign(piece.substr(last + 1, max_line));
    return false;
  }
  // Call at the end of the text: searches an unterminated last line.
  bool finish() {
    if (!found_ && !carry_.empty()) search(carry_);
    carry_.clear();
    return found_;
  }
  std::optional<std::uint64_t> address() const {
    return found_ ? std::optional<std::uint64_t>(addr_) : std::nullopt;
  }

 private:
  bool search(std::string_view lines) {
    if (auto a = kallsyms_lookup(lines, symbol_)) {
      found_ = true;
      addr_ = *a;
    }
    return found_;
  }
  static constexpr std::size_t max_line = 64u << 10;
  std::string_view symbol_;
  std::string carry_;
  bool found_ = false;
  std::uint64_t addr_ = 0;
};

// The one kallsyms symbol rtlat needs: hrtimer_start of this function is a timer sleep.
inline constexpr std::string_view kallsyms_symbol = "hrtimer_wakeup";
inline constexpr std::uint32_t kallsyms_piece = 256u << 10;

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
