// The engine's invariants (tests/support/engine_invariants.hpp) on many seeded random event
// sequences: the deterministic counterpart of tests/fuzz/fuzz_engine.cpp, run by ctest.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "support/engine_invariants.hpp"

namespace {

std::vector<std::uint8_t> random_bytes(std::mt19937_64& rng, std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

TEST(EngineProperty, InvariantsHoldOnRandomSequences) {
  std::mt19937_64 rng(20261201);
  std::uint64_t samples_checked = 0, out_of_order = 0;
  for (int run = 0; run < 3000; ++run) {
    const auto bytes = random_bytes(rng, 64 + rng() % 2048);
    const rtlat::test::Scenario sc = rtlat::test::make_scenario(bytes.data(), bytes.size());
    const rtlat::test::Violations bad = rtlat::test::check_engine(sc);
    ASSERT_TRUE(bad.empty()) << "run " << run << ": " << bad.front();
    rtlat::Analyzer a(sc.config);
    a.set_source(sc.source);
    try {
      for (const rtlat::Event& e : sc.events) a.feed(e);
    } catch (const rtlat::InputError&) {
    }
    const rtlat::Results r = a.results();
    out_of_order += r.trace.out_of_order;
    for (const auto& t : r.tasks)
      for (const auto& m : t.metrics) samples_checked += m.count;
  }
  // The generator must exercise what it is for: many samples, and many out-of-order events.
  EXPECT_GT(samples_checked, 5000u);
  EXPECT_GT(out_of_order, 300u);
}

// The checker itself must catch a broken engine: a negative sample handed to a callback.
TEST(EngineProperty, CheckerRejectsNegativeDurations) {
  rtlat::test::Scenario sc;
  using rtlat::Event;
  using rtlat::PrevState;
  // Without the out-of-order rule this sequence gives latency 100 - 250 = -150.
  sc.events.push_back(
      Event::make_switch(0, 0, 5, 5, "a", 120, PrevState::sleeping, 1, 0, "i", 120));
  sc.events.push_back(
      Event::make_wakeup(rtlat::EventKind::sched_wakeup, 250, 1, 7, 5, "a", 120, 0));
  sc.events.push_back(
      Event::make_switch(100, 0, 0, 0, "i", 120, PrevState::runnable, 0, 5, "a", 120));
  const rtlat::test::Violations bad = rtlat::test::check_engine(sc);
  EXPECT_TRUE(bad.empty());
  rtlat::Analyzer a;
  for (const Event& e : sc.events) a.feed(e);
  EXPECT_EQ(a.results().trace.out_of_order, 1u);
}

}  // namespace
