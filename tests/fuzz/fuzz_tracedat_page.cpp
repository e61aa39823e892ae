// libFuzzer target for the ring-buffer page decoder, the stage every trace.dat event goes
// through: one to four sub-buffers ("pages") decoded into Events with the event formats of a
// real file, loaded once. The first input byte picks that file, one per page layout
// (page_layouts.hpp); the rest are the pages, zero-padded to whole pages, decoded in memory by
// the PageDecoder. Any bytes must give events or a corrupt page, never a crash or an
// out-of-bounds read. Seeds: real pages cut from data/format/*.dat by make_seeds.
#include <rtlat/detail/tracedat/page.hpp>
#include <rtlat/source/tracedat.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "page_layouts.hpp"

// libtraceevent 1.7 leaks small buffers when tep_parse_event meets a malformed format; that is
// not this reader's memory.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libtraceevent.so\n";
}

namespace {

using namespace rtlat::detail;

const std::vector<std::unique_ptr<rtlat::TraceDatSource>>& layouts() {
  static const auto all = [] {
    std::vector<std::unique_ptr<rtlat::TraceDatSource>> v;
    for (const char* name : rtlat_fuzz::page_layouts)
      v.push_back(std::make_unique<rtlat::TraceDatSource>(std::string(RTLAT_SOURCE_DIR) +
                                                          "/data/format/" + name));
    return v;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const rtlat::TraceDatSource& src = *layouts()[data[0] % rtlat_fuzz::page_layout_count];
  const TraceDatMeta& m = rtlat::detail::tracedat_meta(src);
  ++data, --size;
  // The decoder needs no file: the pages are decoded in memory, as a live source would.
  const std::size_t pages = std::min<std::size_t>((size + m.page_size - 1) / m.page_size, 4);
  std::vector<unsigned char> buf(pages * m.page_size + 8, 0);  // 8 readable bytes past the end
  std::memcpy(buf.data(), data, std::min(size, pages * m.page_size));
  PageDecoder dec(m.decode, m.layout, m.order, 1);
  rtlat::Event out[64];
  std::uint64_t sum = 0;
  for (std::size_t p = 0; p < pages; ++p) {
    if (!dec.load(buf.data() + p * m.page_size, m.page_size)) break;
    while (dec.status() == PageDecoder::Status::record) {
      const std::size_t n = dec.fill(out, 64);
      for (std::size_t i = 0; i < n; ++i) {
        // Touch what a consumer reads so sanitizers see any uninitialised or bad value.
        const rtlat::Event& e = out[i];
        sum += static_cast<std::uint64_t>(e.kind) + e.cpu + static_cast<std::uint64_t>(e.ts) +
               static_cast<std::uint64_t>(e.common_pid) + e.sw.prev_comm.view().size() +
               e.sw.next_comm.view().size() + static_cast<std::uint64_t>(e.prev_state);
      }
    }
    if (dec.status() == PageDecoder::Status::corrupt) break;
  }
  if (sum == 1) __asm__ volatile("");  // keep the loop
  return 0;
}
