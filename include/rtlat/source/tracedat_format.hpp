// Event formats of a trace.dat, turned once per file into flat decode tables: for every event id
// its kind and the offsets of the fields the engine needs (via libtraceevent), so decoding an
// event is a table lookup and a few loads, never a name lookup.
#pragma once

#include <traceevent/event-parse.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rtlat/event.hpp"
#include "rtlat/prev_state.hpp"
#include "rtlat/source/ringbuffer.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

struct TepDeleter {
  void operator()(tep_handle* t) const noexcept { tep_free(t); }
};
using TepPtr = std::unique_ptr<tep_handle, TepDeleter>;

// Where a field lives in a record.
struct FieldRef {
  enum Kind : std::uint8_t { absent, number, inline_string, data_loc, rel_loc };
  std::uint16_t offset = 0;
  std::uint16_t size = 0;
  Kind kind = absent;
  bool is_signed = false;
  std::uint8_t shift = 0;  // 64 - 8 * size: moves a number's bytes to the top of a word and back

  std::uint32_t end() const noexcept { return kind == absent ? 0u : std::uint32_t{offset} + size; }

  static FieldRef of(const tep_format_field* f) noexcept {
    FieldRef r;
    if (f == nullptr || f->offset < 0 || f->size < 0 || f->offset > 0xffff || f->size > 0xffff)
      return r;
    r.offset = static_cast<std::uint16_t>(f->offset);
    r.size = static_cast<std::uint16_t>(f->size);
    r.is_signed = (f->flags & TEP_FIELD_IS_SIGNED) != 0;
    if (f->flags & TEP_FIELD_IS_DYNAMIC)
      r.kind = (f->flags & TEP_FIELD_IS_RELATIVE) ? rel_loc : data_loc;
    else if (f->flags & TEP_FIELD_IS_ARRAY)
      r.kind = inline_string;
    else
      r.kind = number;
    if ((r.kind == data_loc || r.kind == rel_loc) && r.size != 4) r.kind = absent;
    if (r.kind == number && r.size != 1 && r.size != 2 && r.size != 4 && r.size != 8)
      r.kind = absent;
    if (r.kind == number) r.shift = static_cast<std::uint8_t>(64 - 8 * r.size);
    return r;
  }
};

// Reads fields of one record; the record size was checked against the decoder's min_size, and
// the page buffer has 8 readable bytes past its end, so a number is one unaligned 8-byte load
// shifted into place (no switch on the size).
// Swap: the file's byte order differs from the host's (a compile-time choice: this is the
// innermost loop).
#define RTLAT_HOT inline __attribute__((always_inline))
template <bool Swap>
struct FieldReaderT {
  ByteOrder order{Swap};

  static RTLAT_HOT std::uint64_t top_aligned(const unsigned char* p, unsigned shift) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    // Bring the field's bytes to the top of the word.
    if (host_is_big_endian()) v = bswap64(v);             // now as if read little endian
    if (Swap != host_is_big_endian()) return bswap64(v);  // file is big endian
    return v << shift;
  }
  RTLAT_HOT std::int64_t num(const unsigned char* rec, const FieldRef& f) const noexcept {
    if (f.kind != FieldRef::number) return 0;
    const std::uint64_t v = top_aligned(rec + f.offset, f.shift);
    return f.is_signed ? static_cast<std::int64_t>(v) >> f.shift
                       : static_cast<std::int64_t>(v >> f.shift);
  }
  RTLAT_HOT std::uint64_t unum(const unsigned char* rec, const FieldRef& f) const noexcept {
    if (f.kind != FieldRef::number) return 0;
    return top_aligned(rec + f.offset, f.shift) >> f.shift;
  }
  // A string field, cut at its NUL; empty when absent or out of the record.
  std::string_view str(const unsigned char* rec, std::uint32_t rec_size,
                       const FieldRef& f) const noexcept {
    std::uint32_t off = f.offset, len = f.size;
    if (f.kind == FieldRef::data_loc || f.kind == FieldRef::rel_loc) {
      const std::uint32_t v = order.u32(rec + f.offset);
      off = v & 0xffffu;
      len = v >> 16;
      if (f.kind == FieldRef::rel_loc) off += std::uint32_t{f.offset} + 4u;
    } else if (f.kind != FieldRef::inline_string) {
      return {};
    }
    if (off > rec_size || len > rec_size - off) return {};
    const char* s = reinterpret_cast<const char*>(rec + off);
    const void* nul = std::memchr(s, 0, len);
    return std::string_view(
        s, nul == nullptr ? len : static_cast<std::size_t>(static_cast<const char*>(nul) - s));
  }
  // A char[16] comm at p, cut at its first NUL (at most 15 characters), zero-padded.
  static RTLAT_HOT void comm16(const unsigned char* p, Comm& out) noexcept {
#if defined(__SSE2__)
    // Without a branch: the NUL bytes as a bit mask (byte 15 always counts as one), and every
    // byte before the first one kept.
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const unsigned nul =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128()))) | 0x8000u;
    const __m128i len = _mm_set1_epi8(static_cast<char>(__builtin_ctz(nul)));
    const __m128i index = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out.data),
                     _mm_and_si128(v, _mm_cmpgt_epi8(len, index)));
#else
    if (!host_is_big_endian()) {
      // Two words, cut at the first NUL with the classic zero-byte test.
      std::uint64_t w[2];
      std::memcpy(w, p, 16);
      w[1] &= 0x00ffffffffffffffull;  // at most 15 characters: byte 15 is always a NUL
      // The lowest set bit of z marks the first zero byte (bit 8k+7 for byte k).
      const std::uint64_t z0 = (w[0] - 0x0101010101010101ull) & ~w[0] & 0x8080808080808080ull;
      if (z0 != 0) {
        w[0] &= (1ull << (__builtin_ctzll(z0) & 56)) - 1;
        w[1] = 0;
      } else {
        const std::uint64_t z1 = (w[1] - 0x0101010101010101ull) & ~w[1] & 0x8080808080808080ull;
        w[1] &= (1ull << (__builtin_ctzll(z1) & 56)) - 1;
      }
      std::memcpy(out.data, w, 16);
      return;
    }
    std::size_t n = 0;
    while (n < Comm::capacity - 1 && p[n] != 0) ++n;
    std::memset(out.data, 0, Comm::capacity);
    std::memcpy(out.data, p, n);
#endif
  }
  // The same string straight into a Comm (truncated to 15 characters, zero-padded).
  RTLAT_HOT void comm(const unsigned char* rec, std::uint32_t rec_size, const FieldRef& f,
                      Comm& out) const noexcept {
    if (f.kind == FieldRef::inline_string && f.size >= 16) {
      comm16(rec + f.offset, out);
      return;
    }
    std::memset(out.data, 0, Comm::capacity);
    const std::string_view s = str(rec, rec_size, f);
    if (!s.empty())  // an absent string has no data pointer at all
      std::memcpy(out.data, s.data(),
                  s.size() < Comm::capacity - 1 ? s.size() : Comm::capacity - 1);
  }
};

#undef RTLAT_HOT

// What to do with a given event id.
enum class Decode : std::uint8_t {
  unknown,  // no format for this id: counted as skipped
  other,
  sched_switch,
  wakeup,  // sched_wakeup, sched_wakeup_new, sched_waking (kind says which)
  process_exit,
  process_fork,
  raw_sys_enter,
  timer_syscall,  // syscalls:sys_enter_nanosleep / clock_nanosleep[_time64]
  hrtimer_start,
  irq_entry,  // hard or threaded (kind says which)
  irq_exit,
};

struct EventDecoder {
  Decode how = Decode::unknown;
  EventKind kind = EventKind::other;
  // The fields sit where every 64-bit little-endian kernel since 4.x puts them (checked against
  // the format once): decoded with fixed offsets instead of through f[].
  bool std_layout = false;
  std::uint32_t min_size = 0;  // records shorter than this cannot hold the fields: skipped
  std::uint32_t id = 0;
  Comm name{};
  // Meaning depends on `how`: see EventTable::build.
  FieldRef f[7];
};

// ---- prev_state preemption flag, read from sched_switch's print fmt ----------------------------

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
        const char c = s_[pos_];
        int d;
        if (c >= '0' && c <= '9')
          d = c - '0';
        else if (c >= 'a' && c <= 'f')
          d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
          d = c - 'A' + 10;
        else
          break;
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
        const char c = text[i];
        int d;
        if (c >= '0' && c <= '9')
          d = c - '0';
        else if (c >= 'a' && c <= 'f')
          d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
          d = c - 'A' + 10;
        else
          break;
        addr = addr * 16 + static_cast<std::uint64_t>(d);
      }
      if (i > line && i < pos && i - line <= 16 && text[i] == ' ') return addr;
    }
    pos = end;
  }
  return std::nullopt;
}

// Looks for a symbol in kallsyms text handed over in pieces, so that the search can stop where
// the symbol is (hrtimer_wakeup sits in the first fifth of a typical 5 MB kallsyms) without the
// whole text ever being read, decompressed or held.
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

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
