// libFuzzer target for the text trace parser: any bytes must give events or an InputError,
// never a crash, hang or out-of-bounds read. Seeds: tests/traces/real/*.txt.
#include <rtlat/source/text.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

struct CountingSink {
  std::uint64_t events = 0;
  std::uint64_t checksum = 0;
  std::uint64_t tasks = 0;
  void feed(const rtlat::Event& e) {
    // Touch the fields a consumer reads so sanitizers see any uninitialised or bad value.
    ++events;
    checksum += static_cast<std::uint64_t>(e.kind) + static_cast<std::uint64_t>(e.cpu) +
                static_cast<std::uint64_t>(e.ts);
  }
  void task_info(const rtlat::TaskInfo& t) { tasks += t.comm.view().size(); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The first byte picks options so both prev_state decoders and two syscall tables get fuzzed.
  rtlat::TextOptions opts;
  if (size != 0) {
    opts.arch = (data[0] & 1) != 0 ? "x86_64" : "aarch64";
    if ((data[0] & 2) != 0) opts.preempt_flag = 0x800;
  }
  try {
    rtlat::TextSource src = rtlat::TextSource::from_string("fuzz", text, opts);
    CountingSink sink;
    src.read(sink);
    if (src.info().events != sink.events) __builtin_trap();
  } catch (const rtlat::InputError&) {
  }
  return 0;
}
