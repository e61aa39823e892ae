// Byte order: unaligned loads in a recording's byte order, which may differ from the host's; and
// the value of a hexadecimal digit, for the numbers kallsyms and print fmts hold as text.
#pragma once

#include <cstdint>
#include <cstring>

namespace rtlat {
inline namespace v1 {
namespace detail {

inline std::uint16_t bswap16(std::uint16_t v) noexcept {
  return static_cast<std::uint16_t>((v >> 8) | (v << 8));
}
inline std::uint32_t bswap32(std::uint32_t v) noexcept {
  return __builtin_bswap32(v);
}
inline std::uint64_t bswap64(std::uint64_t v) noexcept {
  return __builtin_bswap64(v);
}

// Unaligned loads in the file's byte order.
struct ByteOrder {
  bool swap = false;  // file order differs from the host's

  std::uint16_t u16(const unsigned char* p) const noexcept {
    std::uint16_t v;
    std::memcpy(&v, p, 2);
    return swap ? bswap16(v) : v;
  }
  std::uint32_t u32(const unsigned char* p) const noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return swap ? bswap32(v) : v;
  }
  std::uint64_t u64(const unsigned char* p) const noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return swap ? bswap64(v) : v;
  }
  // An unsigned number of 1, 2, 4 or 8 bytes (other sizes read as 0).
  std::uint64_t uint(const unsigned char* p, unsigned size) const noexcept {
    switch (size) {
      case 1:
        return *p;
      case 2:
        return u16(p);
      case 4:
        return u32(p);
      case 8:
        return u64(p);
      default:
        return 0;
    }
  }
  // The same, sign-extended.
  std::int64_t sint(const unsigned char* p, unsigned size) const noexcept {
    switch (size) {
      case 1:
        return static_cast<std::int8_t>(*p);
      case 2:
        return static_cast<std::int16_t>(u16(p));
      case 4:
        return static_cast<std::int32_t>(u32(p));
      case 8:
        return static_cast<std::int64_t>(u64(p));
      default:
        return 0;
    }
  }
};

constexpr bool host_is_big_endian() noexcept {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  return true;
#else
  return false;
#endif
}

// The value of the hexadecimal digit c, or -1 when c is not one.
constexpr int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
