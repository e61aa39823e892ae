// libFuzzer target for the trace.dat metadata parser: the initial header, header_page, event
// formats, kallsyms, saved cmdlines, options (v6 list, v7 sections, compressed or not; rtlat's
// tgid map among them) and the buffers' per-CPU data locations, up to the decode tables:
// everything TraceDatSource's constructor does. No event data is read. Any bytes must give a
// source or an InputError, never a crash, hang or out-of-bounds read. Seeds: data/format/*.dat
// without their CPU data, with a tgid map (make_seeds).
#include <sys/mman.h>
#include <unistd.h>

#include <rtlat/source/tracedat.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

// libtraceevent 1.7 leaks small buffers when tep_parse_event meets a malformed format; that is
// not this reader's memory.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libtraceevent.so\n";
}

namespace {

int memfile() {
  static const int fd = memfd_create("fuzz_tracedat_meta", 0);
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = memfile();
  if (fd < 0 || ftruncate(fd, 0) != 0) return 0;
  for (std::size_t done = 0; done < size;) {
    const ssize_t w = pwrite(fd, data + done, size - done, static_cast<off_t>(done));
    if (w <= 0) return 0;
    done += static_cast<std::size_t>(w);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  try {
    rtlat::TraceDatSource src(path);
    std::uint64_t sum = src.info().cpus + rtlat::detail::tracedat_meta(src).decode.events.size() +
                        src.clock().size();
    for (const auto& n : src.notes()) sum += n.size();
    for (const auto& b : src.buffer_names()) sum += b.size();
    if (sum == 1) __asm__ volatile("");
  } catch (const rtlat::InputError&) {
  }
  return 0;
}
