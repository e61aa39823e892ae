// libFuzzer target for the ring-buffer page decoder, the stage every trace.dat event goes
// through: one to four sub-buffers ("pages") decoded into Events with the event formats of a
// real file, loaded once. The first input byte picks that file, one per page layout
// (page_layouts.hpp); the rest are the pages, zero-padded to whole pages. Any bytes must give
// events or an InputError, never a crash or an out-of-bounds read. Seeds: real pages cut from
// data/format/*.dat by make_seeds.
#include <sys/mman.h>
#include <unistd.h>

#include <rtlat/source/tracedat.hpp>

#include <cstddef>
#include <cstdint>
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

int memfile() {
  static const int fd = memfd_create("fuzz_tracedat_page", 0);
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const rtlat::TraceDatSource& src = *layouts()[data[0] % rtlat_fuzz::page_layout_count];
  const TraceDatMeta& m = src.meta();
  ++data, --size;
  const std::size_t pages = std::min<std::size_t>((size + m.page_size - 1) / m.page_size, 4);
  const std::size_t bytes = pages * m.page_size;
  const int fd = memfile();
  if (fd < 0 || ftruncate(fd, 0) != 0 || ftruncate(fd, static_cast<off_t>(bytes)) != 0) return 0;
  if (pwrite(fd, data, std::min(size, bytes), 0) != static_cast<ssize_t>(std::min(size, bytes)))
    return 0;
  try {
    const File file("/proc/self/fd/" + std::to_string(fd));
    BufferRef buf;
    buf.page_size = m.page_size;
    const CpuDataRef cpu{1, 0, bytes};
    CpuStream stream(m, file, buf, cpu);
    DecodeContext ctx;
    rtlat::Event out[64];
    std::uint64_t sum = 0;
    for (std::size_t n; (n = stream.fill(out, 64, ctx)) != 0;)
      for (std::size_t i = 0; i < n; ++i) {
        // Touch what a consumer reads so sanitizers see any uninitialised or bad value.
        const rtlat::Event& e = out[i];
        sum += static_cast<std::uint64_t>(e.kind) + e.cpu + static_cast<std::uint64_t>(e.ts) +
               static_cast<std::uint64_t>(e.common_pid) + e.sw.prev_comm.view().size() +
               e.sw.next_comm.view().size() + static_cast<std::uint64_t>(e.prev_state);
      }
    if (sum == 1) __asm__ volatile("");  // keep the loop
  } catch (const rtlat::InputError&) {
  }
  return 0;
}
