// The files whose event formats and page layout fuzz_tracedat_page decodes pages with, one per
// layout the page decoder has a path for; make_seeds picks the same index for a page of a file
// with that layout. Names are under data/format.
#pragma once

#include <rtlat/source/tracedat.hpp>

#include <cstddef>

namespace rtlat_fuzz {

inline constexpr const char* page_layouts[] = {
    "v6.dat",        // little-endian, 64-bit long: the fixed-offset decoders
    "v6-be.dat",     // big-endian, 64-bit long: byte-swapped fields, type_len in the top bits
    "be32.dat",      // big-endian, 32-bit long: 4-byte commit word, data at 12
    "tsc2nsec.dat",  // little-endian, with TSC2NSEC and OFFSET conversion
};
inline constexpr std::size_t page_layout_count = sizeof page_layouts / sizeof page_layouts[0];

// The index of the layout a file's pages are decoded with.
inline std::size_t page_layout_of(const rtlat::detail::TraceDatMeta& m) {
  if (m.long_size == 4) return 2;
  if (m.order.swap != rtlat::detail::host_is_big_endian()) return 1;
  if (m.tsc_mult != 0) return 3;
  return 0;
}

}  // namespace rtlat_fuzz
