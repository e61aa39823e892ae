// libFuzzer target for the engine's invariants (tests/support/engine_invariants.hpp): any event
// sequence, in or out of order, must give non-negative samples and results consistent with
// them. A broken invariant aborts with what broke.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "../support/engine_invariants.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const rtlat::test::Scenario sc = rtlat::test::make_scenario(data, size);
  const rtlat::test::Violations bad = rtlat::test::check_engine(sc);
  if (!bad.empty()) {
    for (const auto& b : bad) std::fprintf(stderr, "engine invariant broken: %s\n", b.c_str());
    std::abort();
  }
  return 0;
}
