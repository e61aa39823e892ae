// The pure k-way merger (detail/tracedat/merge.hpp) on hand-made per-CPU streams cut into
// batches: time order, ties to the lower CPU, a stream's own order kept for equal timestamps,
// and lost-event markers at batch boundaries kept where their CPU put them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <tuple>
#include <vector>

#include <rtlat/detail/tracedat/merge.hpp>
#include <rtlat/event.hpp>

namespace {

using rtlat::Event;

// `seq` numbers the events of one CPU, in the common_pid of a cpu_idle event.
Event ev(rtlat::Timestamp ts, std::uint16_t cpu, int seq) {
  return Event::make_cpu_idle(ts, cpu, seq, 1);
}

// Per-CPU streams handed out `batch` events at a time, as the reader's decoders do.
struct Batches {
  std::vector<std::vector<Event>> streams;
  std::size_t batch;
  std::vector<std::size_t> at;
  std::vector<const Event*> view;
  std::size_t calls = 0;

  std::size_t next(std::size_t i) {
    ++calls;
    const auto& s = streams[i];
    const std::size_t n = std::min(batch, s.size() - at[i]);
    view[i] = s.data() + at[i];
    at[i] += n;
    return n;
  }
};

struct Collect {
  std::vector<Event> got;
  void feed(const Event& e) { got.push_back(e); }
};

// Takes views: records where each event was, to check they point into the batches.
struct Views {
  std::vector<const Event*> got;
  void feed(const Event&) { ADD_FAILURE() << "fed a copy"; }
  void feed_view(const Event& e) { got.push_back(&e); }
  void retire_views(const Event*, const Event*) {}
  void release_views() {}
};

std::vector<Event> merged(const std::vector<std::vector<Event>>& streams, std::size_t batch,
                          std::uint64_t& events) {
  Batches b{streams, batch, std::vector<std::size_t>(streams.size(), 0),
            std::vector<const Event*>(streams.size(), nullptr)};
  Collect sink;
  rtlat::detail::KWayMerge(events).run<false>(
      streams.size(), b.view, [&](std::size_t i) { return b.next(i); }, sink);
  return sink.got;
}

using Key = std::tuple<rtlat::Timestamp, unsigned, int, int>;  // ts, cpu, kind, seq
Key key(const Event& e) {
  return {e.ts, e.cpu, static_cast<int>(e.kind),
          e.kind == rtlat::EventKind::lost_events ? static_cast<int>(e.lost.count) : e.common_pid};
}
std::vector<Key> keys(const std::vector<Event>& v) {
  std::vector<Key> k;
  k.reserve(v.size());
  for (const auto& e : v) k.push_back(key(e));
  return k;
}

TEST(KWayMerge, OrdersByTimeThenCpuAndKeepsLostMarkersInPlace) {
  // CPU 0 lost events at 20: its marker opens a batch (batch size 2) and must come after CPU 0's
  // own event at 20 and before CPU 1's and CPU 2's at 20 (ties: lower CPU first).
  const std::vector<std::vector<Event>> streams = {
      {ev(10, 0, 0), ev(20, 0, 1), Event::make_lost(20, 0, 7), ev(30, 0, 2)},
      {ev(5, 1, 0), ev(20, 1, 1), ev(25, 1, 2)},
      {ev(20, 2, 0), ev(40, 2, 1)},
  };
  const std::vector<Key> want = {
      {5, 1, int(rtlat::EventKind::cpu_idle), 0},  {10, 0, int(rtlat::EventKind::cpu_idle), 0},
      {20, 0, int(rtlat::EventKind::cpu_idle), 1}, {20, 0, int(rtlat::EventKind::lost_events), 7},
      {20, 1, int(rtlat::EventKind::cpu_idle), 1}, {20, 2, int(rtlat::EventKind::cpu_idle), 0},
      {25, 1, int(rtlat::EventKind::cpu_idle), 2}, {30, 0, int(rtlat::EventKind::cpu_idle), 2},
      {40, 2, int(rtlat::EventKind::cpu_idle), 1},
  };
  for (std::size_t batch : {1u, 2u, 3u, 100u}) {
    SCOPED_TRACE(batch);
    std::uint64_t events = 0;
    EXPECT_EQ(keys(merged(streams, batch, events)), want);
    EXPECT_EQ(events, 9u);
  }
}

TEST(KWayMerge, TwoStreamsWithEqualTimestampsAlternateLowerCpuFirst) {
  const std::vector<std::vector<Event>> streams = {
      {ev(1, 0, 0), ev(1, 0, 1), ev(2, 0, 2)},
      {ev(1, 1, 0), ev(2, 1, 1), ev(2, 1, 2), Event::make_lost(3, 1, 0)},
  };
  std::uint64_t events = 0;
  const auto got = keys(merged(streams, 2, events));
  const int idle = int(rtlat::EventKind::cpu_idle);
  const std::vector<Key> want = {{1, 0, idle, 0},
                                 {1, 0, idle, 1},
                                 {1, 1, idle, 0},
                                 {2, 0, idle, 2},
                                 {2, 1, idle, 1},
                                 {2, 1, idle, 2},
                                 {3, 1, int(rtlat::EventKind::lost_events), 0}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(events, 7u);
}

// Random streams through each of the merger's paths (one stream, the two-way loop, the linear
// scan up to 8, the heap beyond) equal a stable sort by (ts, cpu) of all their events.
TEST(KWayMerge, EveryPathEqualsAStableSort) {
  std::mt19937 rng(23);
  for (std::size_t cpus : {1u, 2u, 3u, 8u, 9u, 40u}) {
    for (std::size_t batch : {1u, 7u, 64u}) {
      SCOPED_TRACE(testing::Message() << cpus << " CPUs, batch " << batch);
      std::vector<std::vector<Event>> streams(cpus);
      std::vector<Event> all;
      for (std::size_t c = 0; c < cpus; ++c) {
        rtlat::Timestamp ts = rng() % 50;
        const std::size_t n = rng() % 300;
        for (std::size_t k = 0; k < n; ++k) {
          ts += rng() % 4;  // many ties, within and across CPUs
          const auto cpu = static_cast<std::uint16_t>(c);
          streams[c].push_back(rng() % 16 == 0 ? Event::make_lost(ts, cpu, k)
                                               : ev(ts, cpu, static_cast<int>(k)));
          all.push_back(streams[c].back());
        }
      }
      std::stable_sort(all.begin(), all.end(), [](const Event& a, const Event& b) {
        return a.ts != b.ts ? a.ts < b.ts : a.cpu < b.cpu;
      });
      std::uint64_t events = 0;
      EXPECT_EQ(keys(merged(streams, batch, events)), keys(all));
      EXPECT_EQ(events, all.size());
    }
  }
}

// With Views the sink is handed the batches' own events, not copies.
TEST(KWayMerge, ViewsPointIntoTheBatches) {
  const std::vector<std::vector<Event>> streams = {
      {ev(1, 0, 0), ev(3, 0, 1), ev(5, 0, 2)},
      {ev(2, 1, 0), ev(4, 1, 1)},
      {ev(0, 2, 0)},
  };
  Batches b{streams, 2, std::vector<std::size_t>(3, 0), std::vector<const Event*>(3, nullptr)};
  Views sink;
  std::uint64_t events = 0;
  rtlat::detail::KWayMerge(events).run<true>(
      3, b.view, [&](std::size_t i) { return b.next(i); }, sink);
  const std::vector<const Event*> want = {&b.streams[2][0], &b.streams[0][0], &b.streams[1][0],
                                          &b.streams[0][1], &b.streams[1][1], &b.streams[0][2]};
  EXPECT_EQ(sink.got, want);
  EXPECT_EQ(events, 6u);
}

}  // namespace
