// libFuzzer target for the text trace parser: any bytes must give events or an InputError,
// never a crash, hang or out-of-bounds read. The events it gives must come out in time order
// (the reorder window holds more events than a fuzz input has), and fed to the engine they must
// keep every engine invariant (tests/support/engine_invariants.hpp): no negative sample from
// any text. Seeds: tests/traces/real/*.txt.
#include <rtlat/source/text.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "../support/engine_invariants.hpp"

namespace {

struct CollectingSink {
  std::vector<rtlat::Event> events;
  std::uint64_t tasks = 0;
  void feed(const rtlat::Event& e) { events.push_back(e); }
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
  rtlat::test::Scenario sc;
  try {
    rtlat::TextSource src = rtlat::TextSource::from_string("fuzz", text, opts);
    CollectingSink sink;
    src.read(sink);
    if (src.info().events != sink.events.size()) __builtin_trap();
    if (sink.events.size() <= rtlat::detail::text::ReorderWindow::default_capacity) {
      for (std::size_t i = 1; i < sink.events.size(); ++i)
        if (sink.events[i].ts < sink.events[i - 1].ts) __builtin_trap();
    }
    // Short histories: what is fuzzed here is the parser; the engine's own target covers them.
    sc.config.history = 64;
    sc.config.sched_history = 64;
    sc.source = src.info();
    sc.events = std::move(sink.events);
  } catch (const rtlat::InputError&) {
    return 0;
  }
  const rtlat::test::Violations bad = rtlat::test::check_engine(sc);
  if (!bad.empty()) {
    for (const auto& b : bad) std::fprintf(stderr, "engine invariant broken: %s\n", b.c_str());
    __builtin_trap();
  }
  return 0;
}
