// Where a field lives in an event record (from its format, via libtraceevent), and reading it
// from a record on the per-event path.
#pragma once

#include <traceevent/event-parse.h>

#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <memory>
#include <string_view>

#include "rtlat/detail/always_inline.hpp"
#include "rtlat/detail/tracedat/bytes.hpp"
#include "rtlat/event.hpp"

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
template <bool Swap>
struct FieldReaderT {
  ByteOrder order{Swap};

  static RTLAT_ALWAYS_INLINE std::uint64_t top_aligned(const unsigned char* p,
                                                       unsigned shift) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    // Bring the field's bytes to the top of the word.
    if (host_is_big_endian()) v = bswap64(v);             // now as if read little endian
    if (Swap != host_is_big_endian()) return bswap64(v);  // file is big endian
    return v << shift;
  }
  RTLAT_ALWAYS_INLINE std::int64_t num(const unsigned char* rec, const FieldRef& f) const noexcept {
    if (f.kind != FieldRef::number) return 0;
    const std::uint64_t v = top_aligned(rec + f.offset, f.shift);
    return f.is_signed ? static_cast<std::int64_t>(v) >> f.shift
                       : static_cast<std::int64_t>(v >> f.shift);
  }
  RTLAT_ALWAYS_INLINE std::uint64_t unum(const unsigned char* rec,
                                         const FieldRef& f) const noexcept {
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
  static RTLAT_ALWAYS_INLINE void comm16(const unsigned char* p, Comm& out) noexcept {
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
  RTLAT_ALWAYS_INLINE void comm(const unsigned char* rec, std::uint32_t rec_size, const FieldRef& f,
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

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
