// <rtlat/replay.hpp>: a trace loaded once and replayed gives exactly the Results of reading it,
// on every recording in data/, however many times it is replayed.
#include <gtest/gtest.h>

#include <rtlat/analyze.hpp>
#include <rtlat/replay.hpp>
#include <rtlat/report/json.hpp>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

std::vector<std::string> data_files() {
  std::vector<std::string> v;
  for (const fs::path& dir :
       {fs::path(RTLAT_SOURCE_DIR) / "data", fs::path(RTLAT_SOURCE_DIR) / "data" / "format"})
    for (const fs::directory_entry& e : fs::directory_iterator(dir))
      if (e.is_regular_file() && (e.path().extension() == ".dat" || e.path().extension() == ".txt"))
        v.push_back(e.path().string());
  return v;
}

std::string json_of(const rtlat::Results& r) {
  std::ostringstream os;
  rtlat::write_json(os, r);
  return os.str();
}

rtlat::OpenOptions pinned() {
  rtlat::OpenOptions o;
  o.arch = "x86_64";  // text traces: the syscall numbering they were recorded with
  return o;
}

TEST(Replay, SameResultsAsReadingOnEveryDataFile) {
  const std::vector<std::string> files = data_files();
  ASSERT_GE(files.size(), 10u);
  for (const std::string& f : files) {
    SCOPED_TRACE(f);
    rtlat::FileSource direct = rtlat::open(f, pinned());
    const std::string want = json_of(rtlat::analyze(direct, rtlat::Config{}));

    rtlat::FileSource src = rtlat::open(f, pinned());
    const rtlat::ReplayBuffer buf = rtlat::ReplayBuffer::load(src);
    EXPECT_EQ(buf.size(), direct.info().events);
    EXPECT_EQ(buf.info().name, f);
    EXPECT_GE(buf.bytes(), buf.size() * sizeof(rtlat::Event));
    for (int run = 0; run < 2; ++run) {  // a replay leaves the buffer as it was
      rtlat::Analyzer engine;
      EXPECT_EQ(json_of(rtlat::analyze(buf, engine)), want) << "run " << run;
    }
    // By hand, core only: set_source(), then replay().
    rtlat::Analyzer engine;
    engine.set_source(buf.info());
    buf.replay(engine);
    EXPECT_EQ(json_of(engine.results()), want);
  }
}

// Task infos come back between the same two events as they were recorded, across chunks.
TEST(Replay, KeepsTaskInfosInPlace) {
  rtlat::ReplayBuffer buf;
  const std::uint64_t n = 2 * rtlat::ReplayBuffer::chunk_events + 5;
  std::vector<std::uint64_t> info_at = {0, 0, 7, rtlat::ReplayBuffer::chunk_events, n};
  std::size_t next_info = 0;
  for (std::uint64_t i = 0; i <= n; ++i) {
    while (next_info < info_at.size() && info_at[next_info] == i) {
      rtlat::TaskInfo t;
      t.pid = static_cast<rtlat::Pid>(next_info);
      buf.task_info(t);
      ++next_info;
    }
    if (i < n)
      buf.feed(rtlat::Event::make_other(static_cast<rtlat::Timestamp>(i), 0,
                                        static_cast<rtlat::Pid>(i), "x"));
  }
  ASSERT_EQ(buf.size(), n);
  ASSERT_EQ(buf.task_infos(), info_at.size());
  EXPECT_EQ(buf[n - 1].common_pid, static_cast<rtlat::Pid>(n - 1));

  struct Recorder {
    std::vector<std::string> log;
    std::uint64_t events = 0;
    void feed(const rtlat::Event& e) {
      if (e.common_pid != static_cast<rtlat::Pid>(events)) log.push_back("bad event");
      ++events;
    }
    void task_info(const rtlat::TaskInfo& t) {
      log.push_back(std::to_string(t.pid) + "@" + std::to_string(events));
    }
  };
  for (int run = 0; run < 2; ++run) {
    Recorder r;
    buf.replay(r);
    EXPECT_EQ(r.events, n);
    const std::vector<std::string> want = {"0@0", "1@0", "2@7",
                                           "3@" + std::to_string(rtlat::ReplayBuffer::chunk_events),
                                           "4@" + std::to_string(n)};
    EXPECT_EQ(r.log, want);
  }
  // A sink without task_info() gets the events only.
  struct Count {
    std::uint64_t n = 0;
    void feed(const rtlat::Event&) { ++n; }
  } c;
  buf.replay(c);
  EXPECT_EQ(c.n, n);
  buf.clear();
  EXPECT_TRUE(buf.empty());
  EXPECT_EQ(buf.task_infos(), 0u);
}

}  // namespace
