// rtlat live's tgid map in a trace.dat (rtlat/detail/tracedat/tgids.hpp): the tasks of a file that
// carries one get their tgids, each at the point of the event stream the map names, in every file
// layout; a hostile map is an InputError naming the file and what is wrong, never a crash or a
// wrong tgid.
#include <gtest/gtest.h>

#include <rtlat/analyzer.hpp>
#include <rtlat/source/tracedat.hpp>
#include "support/tracedat_rewrite.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

// libtraceevent 1.7 leaks small buffers when tep_parse_event meets a malformed format.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libtraceevent.so\n";
}

namespace fs = std::filesystem;
using rtlat::detail::Compression;
using rtlat::detail::TraceDatRewriteOptions;
using rtlat::detail::TraceDatRewriter;

namespace {

const fs::path tiny = fs::path(RTLAT_SOURCE_DIR) / "data" / "format" / "tiny.dat";
constexpr std::uint64_t tiny_events = 129;  // tiny.dat's events (its golden report)

// A folder per test: ctest runs them in parallel.
fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(RTLAT_BINARY_DIR) / "tracedat_tgids" /
                       ::testing::UnitTest::GetInstance()->current_test_info()->name();
  fs::create_directories(dir);
  return dir / name;
}

struct Layout {
  const char* name;
  int version;
  Compression compression;
  bool big_endian;
};
const Layout layouts[] = {{"v6", 6, Compression::none, false},
                          {"v6-be", 6, Compression::none, true},
                          {"v7", 7, Compression::none, false},
                          {"v7-zstd", 7, Compression::zstd, false},
                          {"v7-zlib-be", 7, Compression::zlib, true}};

// tiny.dat rewritten with `tgids` as its map.
fs::path with_tgids(const std::string& tgids, const Layout& l = layouts[3]) {
  TraceDatRewriteOptions o;
  o.version = l.version;
  o.compression = l.compression;
  o.big_endian = l.big_endian;
  o.tgids = tgids;
  const fs::path out = scratch(std::string(l.name) + ".dat");
  TraceDatRewriter(tiny.string(), o).write(out.string());
  return out;
}

std::optional<rtlat::Pid> tgid_of(const rtlat::Results& r, rtlat::Pid pid) {
  for (const rtlat::TaskResult& t : r.tasks)
    if (t.pid == pid) return t.tgid;
  ADD_FAILURE() << "no task " << pid;
  return std::nullopt;
}

rtlat::Results analyze(const fs::path& p) {
  rtlat::TraceDatSource src(p.string());
  rtlat::Analyzer a;
  src.read(a);
  return a.results();
}

// What a read gives the sink, in order: 'e' per event, the task_info calls with a tgid.
struct Sequence {
  std::uint64_t events = 0;
  struct Info {
    std::uint64_t after;  // events before it
    rtlat::Pid pid, tgid;
  };
  std::vector<Info> tgids;
  std::uint64_t cmdlines_before_events = 0;
  void feed(const rtlat::Event&) { ++events; }
  void task_info(const rtlat::TaskInfo& t) {
    if (t.tgid >= 0)
      tgids.push_back({events, t.pid, t.tgid});
    else if (events == 0)
      ++cmdlines_before_events;
  }
};

// Reads `p`, expecting an InputError about the file that says `why` (and mentions the option).
void expect_error(const fs::path& p, const std::string& why, const std::string& what_for) {
  try {
    rtlat::TraceDatSource src(p.string());
    Sequence s;
    src.read(s);
    ADD_FAILURE() << what_for << ": no InputError";
  } catch (const rtlat::InputError& e) {
    EXPECT_EQ(e.file(), p.string()) << what_for;
    EXPECT_FALSE(e.where().empty()) << what_for << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find("rtlat tgids option"), std::string::npos)
        << what_for << ": " << e.what();
    EXPECT_NE(e.reason().find(why), std::string::npos) << what_for << ": " << e.what();
  }
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

TEST(Tgids, TheMapReachesTheReportInEveryLayout) {
  // cyclictest 21429 and its thread 21430; rcu_preempt; `as` (20896) is left out.
  const std::string map = "15 15 0\n21429 21429 0\n21430 21429 0\n";
  for (const Layout& l : layouts) {
    SCOPED_TRACE(l.name);
    const fs::path p = with_tgids(map, l);
    EXPECT_EQ(rtlat::detail::tracedat_meta(rtlat::TraceDatSource(p.string())).tgids.size(), 3u);
    const rtlat::Results r = analyze(p);
    EXPECT_EQ(tgid_of(r, 21430), std::optional<rtlat::Pid>(21429));
    EXPECT_EQ(tgid_of(r, 21429), std::optional<rtlat::Pid>(21429));
    EXPECT_EQ(tgid_of(r, 15), std::optional<rtlat::Pid>(15));
    EXPECT_EQ(tgid_of(r, 20896), std::nullopt);
  }
  // The file without the map: no tgids.
  const rtlat::Results plain = analyze(tiny);
  EXPECT_EQ(tgid_of(plain, 21430), std::nullopt);
}

TEST(Tgids, EachPairComesAfterTheEventsTheMapSays) {
  // The last pair names more events than the file has: it comes after all of them.
  const fs::path p = with_tgids(
      "21429 21429 0\n21430 21429 0\n15 15 50\n21428 21428 50\n"
      "20896 20896 129\n21062 21062 1000000");
  rtlat::TraceDatSource src(p.string());
  Sequence s;
  src.read(s);
  EXPECT_EQ(s.events, tiny_events);
  EXPECT_GT(s.cmdlines_before_events, 0u) << "saved cmdlines come first";
  ASSERT_EQ(s.tgids.size(), 6u);
  const std::uint64_t after[] = {0, 0, 50, 50, tiny_events, tiny_events};
  const rtlat::Pid pid[] = {21429, 21430, 15, 21428, 20896, 21062};
  const rtlat::Pid tgid[] = {21429, 21429, 15, 21428, 20896, 21062};
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(s.tgids[i].after, after[i]) << i;
    EXPECT_EQ(s.tgids[i].pid, pid[i]) << i;
    EXPECT_EQ(s.tgids[i].tgid, tgid[i]) << i;
  }
  // The engine gets them in the same places: the tasks learn them all the same.
  const rtlat::Results r = analyze(p);
  EXPECT_EQ(tgid_of(r, 15), std::optional<rtlat::Pid>(15));
  EXPECT_EQ(tgid_of(r, 21062), std::optional<rtlat::Pid>(21062));
}

TEST(Tgids, WhatTheFormatAllowsAtItsEdges) {
  {
    // An empty map, a NUL ending the text (what follows is not read), no last newline.
    const fs::path p = with_tgids("");
    EXPECT_TRUE(rtlat::detail::tracedat_meta(rtlat::TraceDatSource(p.string())).tgids.empty());
    EXPECT_EQ(tgid_of(analyze(p), 21430), std::nullopt);
  }
  {
    const fs::path p = with_tgids(std::string("21430 21429 0\0garbage", 21));
    EXPECT_EQ(rtlat::detail::tracedat_meta(rtlat::TraceDatSource(p.string())).tgids.size(), 1u);
    EXPECT_EQ(tgid_of(analyze(p), 21430), std::optional<rtlat::Pid>(21429));
  }
  {
    // The largest values: PID_MAX_LIMIT and a 64-bit event count.
    const fs::path p = with_tgids("4194304 4194304 0\n21430 21429 18446744073709551615\n");
    const rtlat::TraceDatSource src(p.string());
    const auto& t = rtlat::detail::tracedat_meta(src).tgids;
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t[0].pid, 4194304);
    EXPECT_EQ(t[1].after, 18446744073709551615u);
    EXPECT_EQ(tgid_of(analyze(p), 21430), std::optional<rtlat::Pid>(21429));
  }
}

TEST(Tgids, HostileMapsAreErrorsThatSayWhatIsWrong) {
  struct Case {
    std::string map, why;
  };
  const Case cases[] = {
      {"abc 1 0\n", "line 1: pid \"abc\" is not a decimal number"},
      {"1 1 0\n2 x2 0\n", "line 2: tgid \"x2\" is not a decimal number"},
      {"1 2\n", "line 1: \"1 2\" is not \"PID TGID EVENTS\""},
      {"1 2 3 4\n", "is not \"PID TGID EVENTS\""},
      {"1  2 3\n", "is not \"PID TGID EVENTS\""},
      {"1 2 3 \n", "is not \"PID TGID EVENTS\""},
      {"1 1 0\n\n2 2 0\n", "line 2: \"\" is not \"PID TGID EVENTS\""},
      {"1 1 0\r\n", "event count \"0\r\" is not a decimal number"},
      {"-1 1 0\n", "pid \"-1\" is not a decimal number"},
      {"0 1 0\n", "pid and tgid must be above 0"},
      {"1 0 0\n", "pid and tgid must be above 0"},
      {"4194305 1 0\n", "pid 4194305 is above 4194304"},
      {"1 99999999999999999999 0\n", "tgid \"99999999999999999999\" is not a decimal number of at"},
      {"1 1 18446744073709551616\n", "event count \"18446744073709551616\" is not a decimal"},
      {"1 1 123456789012345678901\n", "is not \"PID TGID EVENTS\""},
      {"1 1 5\n2 2 4\n", "line 2: event count 4 is below the previous line's 5"},
  };
  for (const Layout& l : layouts) {
    for (const Case& c : cases) {
      const std::string what_for = std::string(l.name) + " \"" + c.map + "\"";
      expect_error(with_tgids(c.map, l), c.why, what_for);
    }
  }
}

TEST(Tgids, TwoMapsOrAnOversizedOneAreErrors) {
  for (const Layout& l : layouts) {
    SCOPED_TRACE(l.name);
    TraceDatRewriteOptions o;
    o.version = l.version;
    o.compression = l.compression;
    o.big_endian = l.big_endian;
    o.tgids = "1 1 0\n";
    o.extra_options.emplace_back(rtlat::detail::opt_rtlat_tgids, "2 2 0\n");
    const fs::path two = scratch(std::string(l.name) + "-two.dat");
    TraceDatRewriter(tiny.string(), o).write(two.string());
    expect_error(two, "more than one rtlat tgids option", "two maps");

    // 4 MiB and one byte: over the reader's limit, whichever way the file stores options.
    std::string big;
    while (big.size() <= rtlat::detail::max_tgids_bytes) big += "4194304 4194304 0\n";
    expect_error(with_tgids(big, l), "more than the reader's limit of 4 MiB", "oversized");
  }
}

// An option whose size runs past what holds it: the v6 file's end, the v7 options section's.
TEST(Tgids, ATruncatedMapIsAnError) {
  for (const Layout& l : {layouts[0], layouts[2]}) {
    SCOPED_TRACE(l.name);
    const fs::path p = with_tgids("21430 21429 0\n", l);
    std::string bytes = slurp(p);
    // id 0x7274 and size 14, little endian, then the text.
    const std::string head = std::string("\x74\x72\x0e\x00\x00\x00", 6) + "21430 21429 0\n";
    const std::size_t at = bytes.find(head);
    ASSERT_NE(at, std::string::npos);
    const std::uint32_t size = static_cast<std::uint32_t>(bytes.size() - at);  // past the end
    std::memcpy(&bytes[at + 2], &size, 4);
    const fs::path cut = scratch(std::string(l.name) + "-cut.dat");
    {
      std::ofstream f(cut, std::ios::binary | std::ios::trunc);
      f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    try {
      rtlat::TraceDatSource src(cut.string());
      ADD_FAILURE() << "no InputError";
    } catch (const rtlat::InputError& e) {
      EXPECT_EQ(e.file(), cut.string());
      const std::string what = e.what();
      EXPECT_NE(what.find("rtlat tgids option"), std::string::npos) << what;
      EXPECT_TRUE(what.find("truncated") != std::string::npos ||
                  what.find("past the end of the file") != std::string::npos)
          << what;
    }
  }
}

}  // namespace
