// The small core pieces: durations, prev_state decoding, the histogram, the pid table.
#include <gtest/gtest.h>

#include <rtlat/detail/engine/histogram.hpp>
#include <rtlat/detail/engine/metric_stats.hpp>
#include <rtlat/detail/engine/pid_table.hpp>
#include <rtlat/rtlat.hpp>

#include <algorithm>
#include <limits>
#include <random>
#include <vector>

using namespace rtlat;
using rtlat::detail::Histogram;
using rtlat::detail::MetricStats;
using rtlat::detail::PidTable;

TEST(Duration, ParsesEveryUnitExactly) {
  EXPECT_EQ(parse_duration("2000ns"), 2000);
  EXPECT_EQ(parse_duration("50us"), 50000);
  EXPECT_EQ(parse_duration("50\xC2\xB5s"), 50000);
  EXPECT_EQ(parse_duration("1.5ms"), 1500000);
  EXPECT_EQ(parse_duration("2s"), 2000000000);
  EXPECT_EQ(parse_duration("0.000000001s"), 1);
  EXPECT_EQ(parse_duration("1.0005us"), 1001);  // 1000.5 rounds half up
  EXPECT_EQ(parse_duration(".5ms"), 500000);
  EXPECT_EQ(parse_duration("9223372036854775807ns"), INT64_MAX);
}

TEST(Duration, RejectsWhatIsNotADuration) {
  for (const char* bad : {"", "50", "ms", "-5us", "5 us", "5usx", "1e3ns", "5.5.5ms", "5m",
                          "99999999999999999999ns", "9223372036854775808ns", "10000000000s"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
}

TEST(Duration, FormatsCompactly) {
  EXPECT_EQ(format_duration(850), "850ns");
  EXPECT_EQ(format_duration(12345), "12.3us");
  EXPECT_EQ(format_duration(1500000), "1.50ms");
  EXPECT_EQ(format_duration(2000000000), "2.000s");
}

// 6.x (and 4.14+): one bit per state index, TASK_REPORT_MAX 0x100 marks preemption.
TEST(PrevState, Kernel6Encoding) {
  const PrevStateDecoder d{0x100, true};
  EXPECT_EQ(d.decode(0x100), PrevState::preempted);
  EXPECT_EQ(d.decode(0), PrevState::runnable);
  EXPECT_EQ(d.decode(0x1), PrevState::sleeping);
  EXPECT_EQ(d.decode(0x2), PrevState::blocked);
  EXPECT_EQ(d.decode(0x4), PrevState::stopped);
  EXPECT_EQ(d.decode(0x10), PrevState::dead);
  EXPECT_EQ(d.decode(0x40), PrevState::blocked);   // P: parked
  EXPECT_EQ(d.decode(0x80), PrevState::sleeping);  // I: idle kernel thread
}

// Before 4.14: raw task state bits, TASK_STATE_MAX 0x800 (2048) marks preemption.
TEST(PrevState, Kernel4Encoding) {
  const PrevStateDecoder d{0x800, true};
  EXPECT_EQ(d.decode(0x800), PrevState::preempted);
  EXPECT_EQ(d.decode(0x1), PrevState::sleeping);
  EXPECT_EQ(d.decode(0x82), PrevState::blocked);   // D|K: killable
  EXPECT_EQ(d.decode(0x402), PrevState::blocked);  // D|N: TASK_IDLE
  EXPECT_EQ(d.decode(0x40), PrevState::dead);      // x: TASK_DEAD
  EXPECT_EQ(d.decode(0x100), PrevState::blocked);  // W alone: only with a sleep
  EXPECT_EQ(d.decode(0), PrevState::runnable);
}

// Raw numbers without a format (text -R): 0x800 in the value means a pre-4.14 kernel.
TEST(PrevState, RawWithoutFormatPicksTheGeneration) {
  const PrevStateDecoder d{};
  EXPECT_EQ(d.decode(256), PrevState::preempted);
  EXPECT_EQ(d.decode(2048), PrevState::preempted);
  EXPECT_EQ(d.decode(4096), PrevState::preempted);  // 4.11-4.13
  EXPECT_EQ(d.decode(4096 | 1), PrevState::preempted);
  EXPECT_EQ(d.decode(1), PrevState::sleeping);
  EXPECT_EQ(d.decode(2), PrevState::blocked);
}

TEST(PrevState, Letters) {
  PrevState s{};
  const std::pair<const char*, PrevState> cases[] = {
      {"R", PrevState::runnable}, {"R+", PrevState::preempted}, {"S", PrevState::sleeping},
      {"D", PrevState::blocked},  {"D|K", PrevState::blocked},  {"I", PrevState::sleeping},
      {"T", PrevState::stopped},  {"t", PrevState::stopped},    {"X", PrevState::dead},
      {"Z", PrevState::dead},     {"P", PrevState::blocked},    {"D|W", PrevState::blocked}};
  for (const auto& [text, want] : cases) {
    ASSERT_TRUE(prev_state_from_letters(text, s)) << text;
    EXPECT_EQ(s, want) << text;
  }
  for (const char* bad : {"", "Q", "S+x", "R++", "1"}) {
    EXPECT_FALSE(prev_state_from_letters(bad, s)) << bad;
  }
  EXPECT_TRUE(is_voluntary_sleep(PrevState::sleeping));
  EXPECT_TRUE(is_voluntary_sleep(PrevState::blocked));
  EXPECT_FALSE(is_voluntary_sleep(PrevState::preempted));
  EXPECT_FALSE(is_voluntary_sleep(PrevState::runnable));
}

TEST(Histogram, BucketsTileTheValueRange) {
  for (std::uint64_t v : {0ull, 1ull, 63ull, 64ull, 65ull, 127ull, 128ull, 1000ull, 123456789ull,
                          (1ull << 40) + 12345, (1ull << 62) + 7}) {
    const std::size_t b = Histogram::bucket_of(v);
    EXPECT_LE(Histogram::lower_bound(b), v);
    EXPECT_LT(v, Histogram::lower_bound(b) + Histogram::width(b));
    EXPECT_EQ(Histogram::lower_bound(b + 1), Histogram::lower_bound(b) + Histogram::width(b));
  }
}

TEST(Histogram, PercentilesWithinOnePercent) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(10.0, 1.5);  // ~22us median, long tail
  std::vector<std::int64_t> v;
  Histogram h;
  for (int i = 0; i < 100000; ++i) {
    const auto x = static_cast<std::int64_t>(dist(rng));
    v.push_back(x);
    h.add(x);
  }
  std::sort(v.begin(), v.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    const double exact = static_cast<double>(v[rank - 1]);
    const double got = static_cast<double>(h.percentile(q));
    EXPECT_LE(std::abs(got - exact), 0.01 * exact) << "q=" << q;
  }
  EXPECT_LT(h.bytes(), 8u * 1024u);  // a few KB for a wide distribution
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (int i = 1; i <= 10; ++i) h.add(i);
  EXPECT_EQ(h.percentile(0.5), 5);
  EXPECT_EQ(h.percentile(0.9), 9);
  EXPECT_EQ(h.percentile(1.0), 10);
}

TEST(MetricStats, ExactMinMaxMeanAndClampedPercentiles) {
  MetricStats m;
  EXPECT_TRUE(m.add(1000, std::nullopt));
  EXPECT_TRUE(m.add(3000, std::nullopt));
  EXPECT_FALSE(m.add(3000, std::nullopt));  // equal is not a new worst
  EXPECT_FALSE(m.add(2000, std::nullopt));
  const MetricResult r = m.result(2500, false);
  EXPECT_EQ(r.count, 4u);
  EXPECT_EQ(r.min_ns, 1000);
  EXPECT_EQ(r.max_ns, 3000);
  EXPECT_DOUBLE_EQ(*r.mean_ns, 2250.0);
  EXPECT_EQ(r.p999_ns, 3000);   // clamped to the exact max
  EXPECT_EQ(r.violations, 0u);  // bound given to result() only; add() got none
  EXPECT_EQ(r.slo_ns, 2500);
  const MetricResult empty = MetricStats{}.result(std::nullopt, false);
  EXPECT_FALSE(empty.min_ns.has_value());
  EXPECT_FALSE(empty.p50_ns.has_value());
}

TEST(PidTable, SparsePidsDirectLookup) {
  PidTable<int> t;
  int a = 1, b = 2;
  EXPECT_EQ(t.find(5), nullptr);
  t.set(5, &a);
  t.set(4194303, &b);  // pid_max on 64-bit
  EXPECT_EQ(t.find(5), &a);
  EXPECT_EQ(t.find(4194303), &b);
  EXPECT_EQ(t.find(4194302), nullptr);
  EXPECT_EQ(t.find(-1), nullptr);
  EXPECT_EQ(t.find(std::numeric_limits<Pid>::min()), nullptr);
  EXPECT_EQ(t.find(4194304), nullptr);  // past the limit
  // Pages between share one page of nulls until a pid there is set; it stays all nulls.
  EXPECT_EQ(t.find(8192), nullptr);
  t.clear(8192, nullptr);
  t.clear(8193, &a);
  EXPECT_EQ(t.find(8192), nullptr);
  EXPECT_EQ(t.find(8193), nullptr);
  t.set(8192, &b);
  EXPECT_EQ(t.find(8192), &b);
  EXPECT_EQ(t.find(12288), nullptr);  // the next page: still the shared one
  EXPECT_EQ(t.find(8193), nullptr);
  t.set(std::numeric_limits<Pid>::max(), &a);
  EXPECT_EQ(t.find(std::numeric_limits<Pid>::max()), &a);
  EXPECT_EQ(t.find(std::numeric_limits<Pid>::max() - 1), nullptr);
  t.clear(8192, &a);  // names another entry: kept
  EXPECT_EQ(t.find(8192), &b);
  t.clear(8192, &b);
  EXPECT_EQ(t.find(8192), nullptr);
  EXPECT_EQ(t.find(5), &a);
}

TEST(Comm, InlineAndTruncated) {
  const Comm c = Comm::from("a-very-long-thread-name");
  EXPECT_EQ(c.view(), "a-very-long-thr");
  EXPECT_EQ(Comm::from("").view(), "");
  EXPECT_TRUE(Comm::from("x") == Comm::from("x"));
}
