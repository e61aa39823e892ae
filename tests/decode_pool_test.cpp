// The decode pool (detail/tracedat/decode_pool.hpp) on real recordings: whatever the number of
// workers and the order the consumer asks in, each stream's batches concatenate to what one
// thread decodes, and a held batch is retired exactly once, oldest first, before its slot is
// reused.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <rtlat/detail/tracedat/decode_pool.hpp>
#include <rtlat/source/tracedat.hpp>

namespace {

using rtlat::Event;
using Streams = std::vector<std::unique_ptr<rtlat::detail::CpuStream>>;

Streams open_streams(const rtlat::TraceDatSource& src) {
  Streams s;
  const auto& buf = rtlat::detail::tracedat_meta(src).buffers.at(0);
  for (const auto& c : buf.cpus)
    if (c.size != 0)
      s.push_back(std::make_unique<rtlat::detail::CpuStream>(
          rtlat::detail::tracedat_meta(src), rtlat::detail::tracedat_file(src), buf, c));
  return s;
}

std::vector<std::vector<Event>> serial(const rtlat::TraceDatSource& src) {
  Streams s = open_streams(src);
  std::vector<std::vector<Event>> out(s.size());
  rtlat::detail::DecodeContext ctx;
  for (std::size_t i = 0; i < s.size(); ++i) {
    std::vector<Event> b(1000);
    while (const std::size_t n = s[i]->fill(b.data(), b.size(), ctx))
      out[i].insert(out[i].end(), b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return out;
}

bool same(const std::vector<Event>& a, const std::vector<Event>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(Event)) == 0;
}

TEST(DecodePool, OneOrManyWorkersGiveTheSerialStreams) {
  for (const char* name : {"cyclictest.dat", "misprio.dat"}) {
    rtlat::TraceDatSource src(std::string(RTLAT_SOURCE_DIR "/data/") + name);
    const auto want = serial(src);
    ASSERT_EQ(want.size(), 2u) << name;
    EXPECT_GT(want[0].size() + want[1].size(), 5000u) << name;
    for (std::size_t workers : {1u, 2u, 4u}) {
      for (std::size_t keep : {0u, 1u}) {
        SCOPED_TRACE(testing::Message() << name << ", " << workers << " workers, keep " << keep);
        Streams s = open_streams(src);
        std::vector<std::vector<Event>> got(s.size());
        // Each batch as it was handed out, to check it is intact when retired.
        std::vector<std::vector<std::vector<Event>>> handed(s.size());
        std::vector<std::size_t> retired(s.size(), 0);
        std::string error;
        rtlat::detail::DecodePool pool(s, workers, 256, keep);
        std::vector<bool> done(s.size(), false);
        // Stream 0 twice as often as stream 1: the pool must not care about the order.
        for (std::size_t round = 0; !(done[0] && done[1]); ++round) {
          const std::size_t i = round % 3 == 2 ? 1 : 0;
          if (done[i]) continue;
          const Event* v = nullptr;
          const std::size_t n = pool.next(i, v, [&](const Event* b, const Event* e) {
            auto& h = handed[i];
            if (retired[i] >= h.size() || !same(std::vector<Event>(b, e), h[retired[i]]))
              error = "a batch retired out of order or overwritten while held";
            ++retired[i];
          });
          if (n == 0) {
            done[i] = true;
            continue;
          }
          handed[i].emplace_back(v, v + n);
          got[i].insert(got[i].end(), v, v + n);
          if (handed[i].size() - retired[i] > keep + 1) error = "more batches held than kept";
        }
        EXPECT_EQ(error, "");
        for (std::size_t i = 0; i < s.size(); ++i) {
          EXPECT_TRUE(same(got[i], want[i])) << "stream " << i;
          // Every batch but the last `keep` was retired by the call that found the stream's end.
          EXPECT_EQ(retired[i] + keep, handed[i].size()) << "stream " << i;
          EXPECT_GT(handed[i].size(), 5u) << "stream " << i;
        }
      }
    }
  }
}

}  // namespace
