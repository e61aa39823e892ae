// The snapshot a long run takes every interval (`rtlat live --listen`): results() without the
// worst windows, so what it allocates, and frees again at the next interval, stays a fraction of
// the windows it would otherwise copy only to drop.
#include <gtest/gtest.h>

#include <rtlat/rtlat.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <new>
#include <optional>

#include "support/counting_new.hpp"
#include "support/fork_stream.hpp"

namespace rtlat::test {
namespace {

using namespace rtlat::soak;

template <class F>
std::uint64_t bytes_allocated_by(F&& f) {
  rtlat_test::alloc::bytes = 0;
  rtlat_test::alloc::counting = true;
  f();
  rtlat_test::alloc::counting = false;
  return rtlat_test::alloc::bytes;
}

void expect_same_but_windows(const MetricResult& lean, const MetricResult& full) {
  EXPECT_FALSE(lean.worst.has_value());
  EXPECT_EQ(lean.count, full.count);
  EXPECT_EQ(lean.min_ns, full.min_ns);
  EXPECT_EQ(lean.max_ns, full.max_ns);
  EXPECT_EQ(lean.mean_ns, full.mean_ns);
  EXPECT_EQ(lean.p99_ns, full.p99_ns);
  EXPECT_EQ(lean.violations, full.violations);
  EXPECT_EQ(lean.verdicts.size(), full.verdicts.size());
  ASSERT_EQ(lean.histogram.size(), full.histogram.size());
  for (std::size_t i = 0; i < lean.histogram.size(); ++i) {
    EXPECT_EQ(lean.histogram[i].lower_ns, full.histogram[i].lower_ns);
    EXPECT_EQ(lean.histogram[i].count, full.histogram[i].count);
  }
}

// The bytes of the worst windows' events a Results holds: what a snapshot need not copy.
std::uint64_t window_event_bytes(const Results& r) {
  std::uint64_t n = 0;
  auto add = [&n](const std::array<MetricResult, metric_count>& ms) {
    for (const MetricResult& m : ms)
      if (m.worst) n += m.worst->events.size() * sizeof(Event);
  };
  for (const TaskResult& t : r.tasks) add(t.metrics);
  for (const FoldedGroup& g : r.folded) add(g.metrics);
  return n;
}

TEST(SnapshotMemory, WindowsOmittedKeepEverythingElseAndAllocateLess) {
  Config cfg;
  cfg.slo(Metric::latency) = std::chrono::nanoseconds(slo_latency_ns);
  cfg.max_finished_tasks = 1024;  // rtlat live's default
  Analyzer a(cfg);
  StreamTruth truth;
  ForkStream s(20000, 4321);
  s.run([&](const Event& e) { a.feed(e); }, [] {}, truth);

  Results full;
  Results lean;
  const std::uint64_t full_bytes = bytes_allocated_by([&] { full = a.results(); });
  const std::uint64_t lean_bytes =
      bytes_allocated_by([&] { lean = a.results(ResultWindows::omitted); });

  // The stream makes tasks and groups with windows: the comparison below is not vacuous.
  ASSERT_GT(full.tasks.size(), 1000U);
  ASSERT_FALSE(full.folded.empty());
  const std::uint64_t windows = window_event_bytes(full);
  ASSERT_GT(windows, 0U);

  ASSERT_EQ(lean.tasks.size(), full.tasks.size());
  for (std::size_t i = 0; i < lean.tasks.size(); ++i) {
    EXPECT_EQ(lean.tasks[i].pid, full.tasks[i].pid);
    for (std::size_t m = 0; m < metric_count; ++m)
      expect_same_but_windows(lean.tasks[i].metrics[m], full.tasks[i].metrics[m]);
  }
  ASSERT_EQ(lean.folded.size(), full.folded.size());
  for (std::size_t i = 0; i < lean.folded.size(); ++i) {
    EXPECT_EQ(lean.folded[i].comm, full.folded[i].comm);
    EXPECT_EQ(lean.folded[i].tasks, full.folded[i].tasks);
    for (std::size_t m = 0; m < metric_count; ++m)
      expect_same_but_windows(lean.folded[i].metrics[m], full.folded[i].metrics[m]);
  }
  EXPECT_EQ(lean.trace.events, full.trace.events);

  // Not one window event is copied: the lean snapshot allocates at most what the full one does
  // beyond its windows' events.
  EXPECT_LE(lean_bytes + windows, full_bytes)
      << "lean " << lean_bytes << " full " << full_bytes << " windows " << windows;
  std::cout << "[ info ] snapshot bytes: full " << full_bytes << ", windows omitted " << lean_bytes
            << " (" << full.tasks.size() << " tasks, " << full.folded.size() << " groups)\n";
}

}  // namespace
}  // namespace rtlat::test
