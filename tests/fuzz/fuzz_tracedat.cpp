// libFuzzer target for the trace.dat reader: any bytes must give events or an InputError, never
// a crash, hang or out-of-bounds read. Seeds: data/format/*.dat (see CMakeLists.txt).
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

struct CountingSink {
  std::uint64_t events = 0;
  std::uint64_t checksum = 0;
  void feed(const rtlat::Event& e) {
    // Touch what a consumer reads so sanitizers see any uninitialised or bad value.
    ++events;
    checksum += static_cast<std::uint64_t>(e.kind) + e.cpu + static_cast<std::uint64_t>(e.ts) +
                static_cast<std::uint64_t>(e.common_pid) + e.sw.prev_comm.view().size();
  }
  void task_info(const rtlat::TaskInfo& t) { checksum += t.comm.view().size(); }
};

// The reader works on files: keep one in memory, rewritten for every input.
int memfile() {
  static const int fd = memfd_create("fuzz_tracedat", 0);
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = memfile();
  if (fd < 0) return 0;
  if (ftruncate(fd, 0) != 0) return 0;
  std::size_t done = 0;
  while (done < size) {
    const ssize_t w = pwrite(fd, data + done, size - done, static_cast<off_t>(done));
    if (w <= 0) return 0;
    done += static_cast<std::size_t>(w);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  try {
    rtlat::TraceDatOptions opts;
    opts.decode_threads = 0;
    rtlat::TraceDatSource src(path, opts);
    CountingSink sink;
    src.read(sink);
    // Every instance buffer too, a worker and the helping caller on the last one.
    const auto names = src.buffer_names();
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i].empty()) continue;
      rtlat::TraceDatOptions o;
      o.buffer = names[i];
      o.decode_threads = i + 1 == names.size() ? 1 : 0;
      rtlat::TraceDatSource inst(path, o);
      inst.read(sink);
    }
  } catch (const rtlat::InputError&) {
  }
  return 0;
}
