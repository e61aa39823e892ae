// read_pipelined: the sink sees exactly what a direct read gives, and errors on either side end
// the pipeline without hanging.
#include <gtest/gtest.h>

#include <rtlat/error.hpp>
#include <rtlat/report/json.hpp>
#include <rtlat/rtlat.hpp>
#include <rtlat/source/pipelined.hpp>
#include <rtlat/source/text.hpp>
#include <rtlat/source/tracedat.hpp>

#include <sstream>
#include <string>
#include <vector>

using namespace rtlat;

namespace {

// Emits n events on CPU 0, a task_info before every 5th, and optionally throws after `fail_at`.
struct FakeSource {
  int n = 0;
  int fail_at = -1;
  template <class Sink>
  void read(Sink& sink) {
    for (int i = 0; i < n; ++i) {
      if (i == fail_at) throw InputError("fake", "event " + std::to_string(i), "broken");
      if (i % 5 == 0) sink_task_info(sink, TaskInfo{1000 + i, Comm::from("t"), 7});
      sink_feed(sink, Event::make_other(i, 0, 1000 + i, "x"));
    }
    sink_task_info(sink, TaskInfo{1, Comm::from("last"), -1});  // after the last event
  }
};

// Records the sequence as text: "e<ts>" for events, "i<pid>" for task_info.
struct Recorder {
  std::vector<std::string> seq;
  int throw_at = -1;
  void feed(const Event& e) {
    if (static_cast<int>(seq.size()) == throw_at) throw std::runtime_error("sink gave up");
    seq.push_back("e" + std::to_string(e.ts));
  }
  void task_info(const TaskInfo& t) { seq.push_back("i" + std::to_string(t.pid)); }
};

TEST(Pipelined, SameSequenceAsADirectReadForEveryBatchSize) {
  FakeSource src{103};
  Recorder direct;
  src.read(direct);
  ASSERT_EQ(direct.seq.size(), 103u + 21u + 1u);
  for (std::size_t batch : {1u, 3u, 5u, 7u, 8192u}) {
    Recorder piped;
    read_pipelined(src, piped, batch, 2);
    EXPECT_EQ(piped.seq, direct.seq) << "batch " << batch;
  }
}

TEST(Pipelined, SourceErrorArrivesAfterEverythingBeforeIt) {
  FakeSource src{100, 42};
  Recorder piped;
  try {
    read_pipelined(src, piped, 4, 2);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "fake");
    EXPECT_EQ(e.where(), "event 42");
  }
  // Events 0..41 and the task_infos before events 0, 5, ..., 40 (9 of them).
  EXPECT_EQ(piped.seq.size(), 42u + 9u);
  EXPECT_EQ(piped.seq.back(), "e41");
}

TEST(Pipelined, SinkErrorStopsTheSourceWithoutHanging) {
  FakeSource src{1000000};  // far more than the ring holds: the producer must be stopped
  Recorder piped;
  piped.throw_at = 10;
  EXPECT_THROW(read_pipelined(src, piped, 16, 2), std::runtime_error);
  EXPECT_EQ(piped.seq.size(), 10u);
}

std::string json_of(const Analyzer& a) {
  std::ostringstream os;
  write_json(os, a.results());
  return os.str();
}

TEST(Pipelined, EngineResultsEqualADirectReadOnRealTraces) {
  {
    TextSource direct_src(RTLAT_SOURCE_DIR "/data/cyclictest.txt");
    TextSource piped_src(RTLAT_SOURCE_DIR "/data/cyclictest.txt");
    Analyzer direct, piped;
    direct_src.read(direct);
    read_pipelined(piped_src, piped);
    EXPECT_EQ(json_of(direct), json_of(piped));
    EXPECT_GT(piped.results().trace.events, 30000u);
  }
  {
    TraceDatSource direct_src(RTLAT_SOURCE_DIR "/data/misprio.dat");
    TraceDatSource piped_src(RTLAT_SOURCE_DIR "/data/misprio.dat");
    Analyzer direct, piped;
    direct_src.read(direct);
    read_pipelined(piped_src, piped, 1000, 3);
    EXPECT_EQ(json_of(direct), json_of(piped));
    EXPECT_EQ(piped.results().trace.events, 21396u);
  }
}

}  // namespace
