// trace.dat reader: formats, options, decoding, on the recorded files in data/format.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <rtlat/analyze.hpp>
#include <rtlat/analyzer.hpp>
#include <rtlat/detail/tracedat/buffer_read.hpp>
#include <rtlat/detail/tracedat/metadata.hpp>
#include <rtlat/detail/tracedat/page.hpp>
#include <rtlat/detail/tracedat/stream.hpp>
#include <rtlat/report/json.hpp>
#include <rtlat/source/detect.hpp>
#include <rtlat/source/tracedat.hpp>
#include "support/skip.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Collect {
  std::vector<rtlat::Event> events;
  std::vector<rtlat::TaskInfo> tasks;
  void feed(const rtlat::Event& e) { events.push_back(e); }
  void task_info(const rtlat::TaskInfo& t) { tasks.push_back(t); }
};

TEST(PreemptFlag, SixXFormat) {
  const std::string fmt =
      R"(print fmt: "prev_comm=%s prev_pid=%d prev_prio=%d prev_state=%s%s ==> next_comm=%s next_pid=%d next_prio=%d", REC->prev_comm, REC->prev_pid, REC->prev_prio, (REC->prev_state & ((((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) - 1)) ? __print_flags(REC->prev_state & ((((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) - 1), "|", { 0x00000001, "S" }, { 0x00000002, "D" }, { 0x00000004, "T" }, { 0x00000008, "t" }, { 0x00000010, "X" }, { 0x00000020, "Z" }, { 0x00000040, "P" }, { 0x00000080, "I" }) : "R", REC->prev_state & (((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) ? "+" : "", REC->next_comm, REC->next_pid, REC->next_prio)";
  auto flag = rtlat::detail::preempt_flag_from_format(fmt);
  ASSERT_TRUE(flag.has_value());
  EXPECT_EQ(*flag, 0x100u);
}

TEST(PreemptFlag, Pre414Format) {
  // 4.9-era kernels: TASK_STATE_MAX (2048) is the preemption mark, printed as a number.
  const std::string fmt =
      R"(print fmt: "prev_comm=%s prev_pid=%d prev_prio=%d prev_state=%s%s ==> next_comm=%s next_pid=%d next_prio=%d", REC->prev_comm, REC->prev_pid, REC->prev_prio, REC->prev_state & (2048-1) ? __print_flags(REC->prev_state & (2048-1), "|", { 1, "S"} , { 2, "D" }, { 4, "T" }, { 8, "t" }, { 16, "Z" }, { 32, "X" }, { 64, "x" }, { 128, "K" }, { 256, "W" }, { 512, "P" }, { 1024, "N" }) : "R", REC->prev_state & 2048 ? "+" : "", REC->next_comm, REC->next_pid, REC->next_prio)";
  auto flag = rtlat::detail::preempt_flag_from_format(fmt);
  ASSERT_TRUE(flag.has_value());
  EXPECT_EQ(*flag, 2048u);
  const rtlat::PrevStateDecoder d{*flag, true};
  EXPECT_EQ(d.decode(2048), rtlat::PrevState::preempted);
  EXPECT_EQ(d.decode(1), rtlat::PrevState::sleeping);
  EXPECT_EQ(d.decode(2), rtlat::PrevState::blocked);
  EXPECT_EQ(d.decode(0), rtlat::PrevState::runnable);
}

TEST(PreemptFlag, MissingPatternGivesNothing) {
  EXPECT_FALSE(rtlat::detail::preempt_flag_from_format("print fmt: \"x=%d\", REC->x").has_value());
  EXPECT_FALSE(
      rtlat::detail::preempt_flag_from_format(R"(REC->prev_state & (3) ? "+" : "")").has_value());
  EXPECT_FALSE(rtlat::detail::preempt_flag_from_format(R"(REC->prev_state & (1 << ) ? "+" : "")")
                   .has_value());
}

TEST(ConstExpr, Operators) {
  using rtlat::detail::ConstExpr;
  EXPECT_EQ(*ConstExpr("((0x7f) + 1) << 1").eval(), 0x100u);
  EXPECT_EQ(*ConstExpr("1024UL | 0x10").eval(), 1040u);
  EXPECT_EQ(*ConstExpr("~0 & 0xff").eval(), 0xffu);
  EXPECT_EQ(*ConstExpr("2 * 3 + 4").eval(), 10u);
  EXPECT_FALSE(ConstExpr("1 +").eval().has_value());
  EXPECT_FALSE(ConstExpr("(1").eval().has_value());
}

TEST(Kallsyms, Lookup) {
  const std::string text =
      "ffffffff81000000 T _text\nffffffff8113c0e0 t hrtimer_wakeup_x\n"
      "ffffffff8113c1f0 t hrtimer_wakeup\nffffffff8113c300 T other\n";
  auto a = rtlat::detail::kallsyms_lookup(text, "hrtimer_wakeup");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(*a, 0xffffffff8113c1f0ull);
  EXPECT_FALSE(rtlat::detail::kallsyms_lookup(text, "nothing").has_value());
}

}  // namespace

namespace {

// Found by fuzzing: a print fmt naming a field the format lacks crashed libtraceevent's print fmt
// parser. The reader gives libtraceevent the fields only, so this parses and the fields are there.
TEST(Formats, PrintFmtNamingAMissingFieldDoesNotCrash) {
  rtlat::detail::TraceDatMeta m;
  m.tep.reset(tep_alloc());
  tep_set_long_size(m.tep.get(), 8);
  const std::string fmt =
      "name: hrtimer_start\nID: 460\nformat:\n"
      "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
      "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
      "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
      "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
      "\tfield:void * hrtimer;\toffset:8;\tsize:8;\tsigned:0;\n"
      "\tfield:void * function;\toffset:16;\tsize:8;\tsigned:0;\n"
      "\tfield:enum hrtimer_mode mocharde;\toffset:40;\tsize:4;\tsigned:0;\n\n"
      "print fmt: \"hrtimer=%p mode=%s\", REC->hrtimer, __print_symbolic(REC->mode, "
      "{ HRTIMER_MODE_ABS, \"ABS\" }), REC->was_ar";
  rtlat::detail::parse_one_format(m, fmt, "timer");
  EXPECT_EQ(m.format_failures, 0);
  tep_event* ev = tep_find_event_by_name(m.tep.get(), "timer", "hrtimer_start");
  ASSERT_NE(ev, nullptr);
  const auto f = rtlat::detail::FieldRef::of(tep_find_field(ev, "function"));
  EXPECT_EQ(f.offset, 16);
  EXPECT_EQ(f.size, 8);
  EXPECT_EQ(f.kind, rtlat::detail::FieldRef::number);
}

}  // namespace

namespace {

std::string format_sample(const char* name) {
  return std::string(RTLAT_SOURCE_DIR) + "/data/format/" + name;
}

// Saved cmdlines ("2166 cyclictest" is in v6.dat's) arrive as task_info, all before the first
// event; the file knows no tgids (trace-cmd 3.1 does not save them).
TEST(Source, SavedCmdlinesComeFirst) {
  struct Order {
    std::vector<rtlat::TaskInfo> tasks;
    std::size_t events = 0, tasks_after_events = 0;
    void feed(const rtlat::Event&) { ++events; }
    void task_info(const rtlat::TaskInfo& t) {
      tasks.push_back(t);
      if (events != 0) ++tasks_after_events;
    }
  } sink;
  rtlat::TraceDatSource src(format_sample("v6.dat"));
  src.read(sink);
  EXPECT_EQ(sink.tasks_after_events, 0u);
  EXPECT_GT(sink.events, 1000u);
  bool found = false;
  for (const auto& t : sink.tasks) {
    EXPECT_EQ(t.tgid, -1);
    if (t.pid == 2166) {
      EXPECT_EQ(t.comm.view(), "cyclictest");
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST(Source, InfoFromOptionsAndFormats) {
  rtlat::TraceDatSource src(format_sample("v7.dat"));
  EXPECT_EQ(src.info().format, "trace.dat v7");
  EXPECT_EQ(src.info().cpus, 2);
  EXPECT_EQ(src.info().arch, "x86_64");
  EXPECT_EQ(src.info().syscall_events_recorded, std::optional<bool>(true));
  EXPECT_EQ(src.info().irq_thread_events_recorded, std::optional<bool>(false));
  EXPECT_EQ(src.clock(), "local");
  EXPECT_EQ(src.buffer_names(), std::vector<std::string>{""});
  // An instance buffer, picked by name.
  rtlat::TraceDatOptions o;
  o.buffer = "rtlat_fmt";
  rtlat::TraceDatSource inst(format_sample("instance.dat"), o);
  EXPECT_EQ(inst.buffer_names(), (std::vector<std::string>{"", "rtlat_fmt"}));
  Collect c;
  inst.read(c);
  EXPECT_GT(c.events.size(), 100u);
}

// The page decoder needs no file: v6.dat's CPU 0 pages, read into memory and decoded one by one
// with the file's decode table, give the events the source gives for CPU 0, softirqs and
// migrations (softirq.dat) included.
TEST(Source, PageDecoderWorksOnPagesInMemory) {
  for (const char* name : {"v6.dat", "softirq.dat"}) {
    SCOPED_TRACE(name);
    rtlat::TraceDatOptions o;
    o.decode_threads = 0;
    rtlat::TraceDatSource src(format_sample(name), o);
    Collect all;
    src.read(all);
    const auto& m = rtlat::detail::tracedat_meta(src);
    const auto& cpu = m.buffers.at(0).cpus.at(0);
    rtlat::detail::PageSource pages(rtlat::detail::tracedat_file(src), m.buffers.at(0), cpu,
                                    m.compression, m.order);
    rtlat::detail::PageDecoder dec(m.decode, m.layout, m.order, 0);
    std::vector<rtlat::Event> mine;
    while (const unsigned char* page = pages.next()) {
      std::vector<unsigned char> copy(page, page + m.page_size);
      copy.resize(m.page_size + 8, 0);  // the 8 readable bytes the decoder may load past the end
      ASSERT_TRUE(dec.load(copy.data(), m.page_size)) << dec.error();
      rtlat::Event out[16];
      while (dec.status() == rtlat::detail::PageDecoder::Status::record)
        for (std::size_t i = 0, n = dec.fill(out, 16); i < n; ++i) mine.push_back(out[i]);
      ASSERT_EQ(dec.status(), rtlat::detail::PageDecoder::Status::end) << dec.error();
    }
    std::vector<rtlat::Event> want;
    for (const auto& e : all.events)
      if (e.cpu == 0) want.push_back(e);
    ASSERT_EQ(mine.size(), want.size());
    ASSERT_GT(mine.size(), 100u);
    for (std::size_t i = 0; i < mine.size(); ++i)
      ASSERT_EQ(std::memcmp(&mine[i], &want[i], sizeof(rtlat::Event)), 0) << "event " << i;
  }
  std::size_t softirqs = 0, migrations = 0;
  Collect c;
  rtlat::TraceDatSource(format_sample("softirq.dat")).read(c);
  for (const auto& e : c.events) {
    softirqs +=
        e.kind == rtlat::EventKind::softirq_entry || e.kind == rtlat::EventKind::softirq_exit;
    migrations += e.kind == rtlat::EventKind::migrate;
  }
  EXPECT_GT(softirqs, 0u);
  EXPECT_GT(migrations, 0u);
}

// With decode workers, the engine takes the decoded batches as views, and the reader keeps
// each batch until the next one is read, copying into the engine what its history still points
// at before a batch slot is reused: the results equal those of the single-threaded read, which
// copies every event. Batches of 256 events make every slot be reused many times, and retires
// copy (the history is longer than two batches); a history of 16 makes windows reach its end.
TEST(Source, DecodeWorkersGiveTheSameResults) {
  for (const char* name : {"cyclictest.dat", "misprio.dat"}) {
    SCOPED_TRACE(name);
    rtlat::TraceDatSource src(std::string(RTLAT_SOURCE_DIR "/data/") + name);
    auto json = [&](int threads, std::size_t history) {
      rtlat::Config c;
      c.history = history;
      c.window = 4096;  // windows reach as far back as the history does
      c.explain = rtlat::Config::Explain::all;
      c.slo(rtlat::Metric::latency) = std::chrono::microseconds(5);
      rtlat::Analyzer a(c);
      std::uint64_t events = 0;
      rtlat::detail::BufferRead(
          rtlat::detail::tracedat_meta(src), rtlat::detail::tracedat_file(src),
          rtlat::detail::tracedat_meta(src).buffers.at(0), threads, events, 256)
          .run(a);
      EXPECT_GT(events, 5000u);
      std::ostringstream os;
      rtlat::write_json(os, a.results());
      return os.str();
    };
    for (std::size_t history : {16u, 1024u}) {
      const std::string one = json(0, history);
      EXPECT_GT(one.size(), 10000u);
      EXPECT_EQ(json(1, history), one) << "history " << history;
      EXPECT_EQ(json(2, history), one) << "history " << history;
    }
  }
}

// A sink that takes views and checks the reader keeps its side of the contract: every view not
// yet retired (among the last 1024 of its CPU, as far back as an engine history reaches) still
// holds the event it was fed as, retires come oldest first, and release comes at the end.
struct ViewChecker {
  std::vector<std::deque<std::pair<const rtlat::Event*, rtlat::Event>>> views;
  std::uint64_t fed = 0, retires = 0;
  std::uint64_t throw_at = 0;  // throws when it is fed this many events (0: never)
  bool released = false;
  std::string error;
  void feed(const rtlat::Event&) { error = "an event fed as a copy"; }
  void feed_view(const rtlat::Event& e) {
    if (views.size() <= e.cpu) views.resize(e.cpu + 1u);
    auto& d = views[e.cpu];
    d.emplace_back(&e, e);
    if (d.size() > 1024) d.pop_front();
    if (++fed % 64 == 0) verify("feed");
    if (fed == throw_at) throw std::runtime_error("sink gives up");
  }
  void retire_views(const rtlat::Event* b, const rtlat::Event* e) {
    verify("retire");
    ++retires;
    const std::less<const rtlat::Event*> lt;
    auto in = [&](const rtlat::Event* p) { return !lt(p, b) && lt(p, e); };
    for (auto& d : views) {
      while (!d.empty() && in(d.front().first)) d.pop_front();
      for (const auto& v : d)
        if (in(v.first)) error = "a view retired before older ones of its CPU";
    }
  }
  void release_views() {
    verify("release");
    views.clear();
    released = true;
  }
  void verify(const char* when) {
    for (const auto& d : views)
      for (const auto& v : d)
        if (std::memcmp(v.first, &v.second, sizeof(rtlat::Event)) != 0)
          error = std::string("a view overwritten before it was retired (at ") + when + ")";
  }
};

TEST(Source, DecodeWorkersKeepViewsUntilRetired) {
  rtlat::TraceDatSource src(RTLAT_SOURCE_DIR "/data/cyclictest.dat");
  for (int threads : {1, 2}) {
    SCOPED_TRACE(threads);
    ViewChecker check;
    std::uint64_t events = 0;
    rtlat::detail::BufferRead(rtlat::detail::tracedat_meta(src), rtlat::detail::tracedat_file(src),
                              rtlat::detail::tracedat_meta(src).buffers.at(0), threads, events, 256)
        .run(check);
    EXPECT_EQ(check.error, "");
    EXPECT_TRUE(check.released);
    EXPECT_EQ(check.fed, events);
    EXPECT_GT(check.retires, 100u);  // 256-event batches: every slot reused many times
    // A sink that throws mid-read is told to release its views on the way out.
    ViewChecker quits;
    quits.throw_at = 5000;
    EXPECT_THROW(rtlat::detail::BufferRead(
                     rtlat::detail::tracedat_meta(src), rtlat::detail::tracedat_file(src),
                     rtlat::detail::tracedat_meta(src).buffers.at(0), threads, events, 256)
                     .run(quits),
                 std::runtime_error);
    EXPECT_EQ(quits.error, "");
    EXPECT_TRUE(quits.released);
  }
}

// 6.x kernels mark preemption with 0x100 in sched_switch's print fmt; the samples say so.
TEST(Source, PreemptFlagFromTheFile) {
  rtlat::TraceDatSource src(format_sample("v6.dat"));
  EXPECT_EQ(rtlat::detail::tracedat_meta(src).decode.prev_state.preempt_flag, 0x100u);
  EXPECT_TRUE(rtlat::detail::tracedat_meta(src).decode.prev_state.from_format);
  EXPECT_TRUE(rtlat::detail::tracedat_meta(src).have_hrtimer_wakeup);
  EXPECT_TRUE(src.notes().empty());
}

// TSC2NSEC (mult 3, shift 1) and OFFSET (1 s) apply to every timestamp: tsc2nsec.dat is v7.dat
// with those options added.
TEST(Source, Tsc2NsecAndOffset) {
  Collect plain, scaled;
  rtlat::TraceDatSource a(format_sample("v7.dat"));
  a.read(plain);
  rtlat::TraceDatSource b(format_sample("tsc2nsec.dat"));
  b.read(scaled);
  ASSERT_EQ(plain.events.size(), scaled.events.size());
  for (std::size_t i = 0; i < plain.events.size(); ++i) {
    const auto want = plain.events[i].ts * 3 / 2 + 1000000000;
    ASSERT_EQ(scaled.events[i].ts, want) << i;
  }
}

}  // namespace

namespace {

const char* const wakeup_format =
    "name: sched_wakeup\nID: 374\nformat:\n"
    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
    "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
    "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
    "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
    "\tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
    "\tfield:pid_t pid;\toffset:24;\tsize:4;\tsigned:1;\n"
    "\tfield:__data_loc char[] name;\toffset:28;\tsize:4;\tsigned:0;\n"
    "\tfield:void * function;\toffset:32;\tsize:8;\tsigned:0;\n\n"
    "print fmt: \"comm=%s pid=%d\", REC->comm, REC->pid\n";

TEST(Formats, PlausibleFormatAcceptsKernelShapes) {
  EXPECT_TRUE(rtlat::detail::plausible_format(wakeup_format));
}

// Found by fuzzing: libtraceevent's field parser crashed on a declaration cut by a NUL byte.
// Such formats never reach it; the event is then unknown and its records skipped.
TEST(Formats, PlausibleFormatRejectsWhatCrashedLibtraceevent) {
  using rtlat::detail::plausible_format;
  std::string s = wakeup_format;
  const std::string nul_inside =
      s.substr(0, s.find("comm[16]") + 5) + std::string("D\0tracing", 9) + "\n";
  EXPECT_FALSE(plausible_format(nul_inside));
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = s;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  EXPECT_FALSE(plausible_format(with("comm[16]", "comm[16")));
  EXPECT_FALSE(plausible_format(with("comm[16]", "comm[[16]]")));
  EXPECT_FALSE(plausible_format(with("offset:24;", "offset:x;")));
  EXPECT_FALSE(plausible_format(with("ID: 374", "ID: 37a")));
  EXPECT_FALSE(plausible_format(with("format:", "formal:")));
  EXPECT_FALSE(plausible_format(with("size:4;\tsigned:1;", "size:4;\tsigned:1; junk")));
  EXPECT_FALSE(plausible_format(with("print fmt:", "print fnt:")));
  EXPECT_FALSE(plausible_format(with("pid_t pid", "pid_t (pid)")));
  EXPECT_FALSE(plausible_format(""));

  rtlat::detail::TraceDatMeta m;
  m.tep.reset(tep_alloc());
  rtlat::detail::parse_one_format(m, nul_inside, "sched");
  EXPECT_EQ(m.format_failures, 1);
  EXPECT_EQ(tep_find_event_by_name(m.tep.get(), "sched", "sched_wakeup"), nullptr);
  rtlat::detail::parse_one_format(m, wakeup_format, "sched");
  EXPECT_EQ(m.format_failures, 1);
  EXPECT_NE(tep_find_event_by_name(m.tep.get(), "sched", "sched_wakeup"), nullptr);
}

}  // namespace

namespace {

// String fields whose __data_loc points outside the record read as empty (found by fuzzing: the
// empty result once reached memcpy with a null pointer).
TEST(Fields, DataLocOutsideTheRecordIsEmpty) {
  unsigned char rec[32 + 8] = {};
  rtlat::detail::FieldRef f;
  f.offset = 8;
  f.size = 4;
  f.kind = rtlat::detail::FieldRef::data_loc;
  const std::uint32_t loc = (5u << 16) | 30u;  // 5 bytes at offset 30: past a 32-byte record
  std::memcpy(rec + 8, &loc, 4);
  const rtlat::detail::FieldReaderT<false> rd{};
  rtlat::Comm c = rtlat::Comm::from("stale");
  rd.comm(rec, 32, f, c);
  EXPECT_TRUE(c.empty());
  const std::uint32_t ok = (3u << 16) | 20u;
  std::memcpy(rec + 8, &ok, 4);
  std::memcpy(rec + 20, "ab\0", 3);
  rd.comm(rec, 32, f, c);
  EXPECT_EQ(c.view(), "ab");
}

}  // namespace

namespace {

// char comm[16] fields: cut at the first NUL (old kernels leave the bytes of a longer earlier
// name after it), at most 15 characters, zero-padded so that Comm compares by value.
TEST(Fields, InlineCommIsCutAtTheFirstNul) {
  rtlat::detail::FieldRef f;
  f.offset = 4;
  f.size = 16;
  f.kind = rtlat::detail::FieldRef::inline_string;
  const rtlat::detail::FieldReaderT<false> rd{};
  auto read = [&](const char(&bytes)[17]) {
    unsigned char rec[4 + 16 + 8] = {};
    std::memcpy(rec + 4, bytes, 16);
    rtlat::Comm c = rtlat::Comm::from("stale-stale-sta");
    rd.comm(rec, 20, f, c);
    return c;
  };
  const rtlat::Comm a = read("bash\0ng-switch!!");
  EXPECT_EQ(a.view(), "bash");
  EXPECT_EQ(a, rtlat::Comm::from("bash"));  // the garbage after the NUL is gone
  EXPECT_EQ(read("\0tale-stale-stal").view(), "");
  EXPECT_TRUE(read("\0tale-stale-stal").empty());
  EXPECT_EQ(read("stress-ng-switch").view(), "stress-ng-switc");  // no NUL: 15 characters
  EXPECT_EQ(read("ksoftirqd/1\0\0\0\0\0").view(), "ksoftirqd/1");
  EXPECT_EQ(read("12345678\0abcdefg").view(), "12345678");  // NUL exactly at byte 8
  EXPECT_EQ(read("1234567\0abcdefgh").view(), "1234567");
}

}  // namespace

namespace {

// The kallsyms text arrives in pieces that cut lines anywhere; the symbol is found wherever the
// cut falls, and only as a whole symbol name.
TEST(Kallsyms, ScanFindsTheSymbolAcrossEveryCut) {
  const std::string text =
      "ffffffff81000000 T _stext\n"
      "ffffffff8141e4a0 t hrtimer_wakeup_x\n"
      "ffffffff8141e4b0 t hrtimer_wakeup\n"
      "ffffffff8141e4c0 t after\n";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    for (std::size_t cut2 = cut; cut2 <= text.size(); cut2 += 7) {
      rtlat::detail::KallsymsScan scan("hrtimer_wakeup");
      const std::string_view t(text);
      bool found = scan.feed(t.substr(0, cut));
      if (!found) found = scan.feed(t.substr(cut, cut2 - cut));
      if (!found) found = scan.feed(t.substr(cut2));
      scan.finish();
      ASSERT_TRUE(scan.address().has_value()) << "cuts " << cut << ", " << cut2;
      EXPECT_EQ(*scan.address(), 0xffffffff8141e4b0u) << "cuts " << cut << ", " << cut2;
    }
  }
}

TEST(Kallsyms, ScanStopsAtTheSymbolAndHandlesAnUnterminatedLastLine) {
  rtlat::detail::KallsymsScan scan("hrtimer_wakeup");
  EXPECT_FALSE(scan.feed("ffffffff81000000 T _stext\nffffffff8141e4b0 t hrtimer_wak"));
  EXPECT_FALSE(scan.address().has_value());
  EXPECT_FALSE(scan.feed("eup"));  // still no end of line: could go on ("hrtimer_wakeup2")
  EXPECT_TRUE(scan.finish());      // the end of the text ends the line
  EXPECT_EQ(*scan.address(), 0xffffffff8141e4b0u);

  rtlat::detail::KallsymsScan stop("hrtimer_wakeup");
  EXPECT_TRUE(stop.feed("ffffffff8141e4b0 t hrtimer_wakeup\n"));
  EXPECT_TRUE(stop.feed("anything after is not looked at"));

  rtlat::detail::KallsymsScan none("hrtimer_wakeup");
  EXPECT_FALSE(none.feed("ffffffff8141e4b0 t hrtimer_wakeup2\nffffffff8141e4c0 t x\n"));
  EXPECT_FALSE(none.finish());
  EXPECT_FALSE(none.address().has_value());

  // A line far longer than any kallsyms line (corrupt input) is dropped, not kept growing.
  rtlat::detail::KallsymsScan lng("hrtimer_wakeup");
  const std::string junk(1 << 20, 'x');
  for (int i = 0; i < 8; ++i) EXPECT_FALSE(lng.feed(junk));
  EXPECT_TRUE(lng.feed("\nffffffff8141e4b0 t hrtimer_wakeup\n"));
}

}  // namespace

namespace {

// The kallsyms section is read only as far as hrtimer_wakeup (in pieces, decompressed in pieces
// in v7): the address must be the one a search of the whole text finds, in every recording.
TEST(Kallsyms, PartialReadFindsWhatTheWholeTextHas) {
  int checked = 0;
  for (const char* name : {"misprio.dat", "healthy.dat", "format/v6.dat", "format/tiny.dat",
                           "format/v7.dat", "format/v7-zlib.dat", "format/be32.dat"}) {
    const std::string path = std::string(RTLAT_SOURCE_DIR) + "/data/" + name;
    rtlat::TraceDatSource partial(path);
    const rtlat::detail::MetadataBlocks stored = rtlat::detail::read_metadata_blocks(path);
    SCOPED_TRACE(name);
    const auto a = rtlat::detail::kallsyms_lookup(stored.kallsyms, "hrtimer_wakeup");
    EXPECT_EQ(rtlat::detail::tracedat_meta(partial).have_hrtimer_wakeup, a.has_value() && *a != 0);
    if (rtlat::detail::tracedat_meta(partial).have_hrtimer_wakeup) {
      EXPECT_EQ(rtlat::detail::tracedat_meta(partial).hrtimer_wakeup, *a);
      ++checked;
    }
  }
  EXPECT_GE(checked, 4);  // the real recordings and the samples with a kallsyms
}

}  // namespace

namespace {

// Found by review: the lookup searched back to the line start for every occurrence of the name,
// so one long line holding it many times took quadratic time (a 1 MiB line: minutes).
TEST(Kallsyms, LookupIsLinearOnHostileLines) {
  std::string line = "x";
  while (line.size() < (1u << 20)) line += " hrtimer_wakeup";
  const std::string hex(1u << 16, 'f');  // an "address" far longer than 16 digits
  const std::string text = line + "\n" + hex + " hrtimer_wakeup hrtimer_wakeup\n" +
                           "ffffffff8113c1f0 t hrtimer_wakeup\n";
  const auto t0 = std::chrono::steady_clock::now();
  const auto a = rtlat::detail::kallsyms_lookup(text, "hrtimer_wakeup");
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(*a, 0xffffffff8113c1f0ull);
  EXPECT_FALSE(
      rtlat::detail::kallsyms_lookup(line + "\n" + hex + " hrtimer_wakeup\n", "hrtimer_wakeup")
          .has_value());
  EXPECT_LT(s, 2.0);
}

}  // namespace

namespace {

// Found by review: DATE (microseconds) and OFFSET (nanoseconds) were added to the timestamp
// offset in signed arithmetic, which overflowed (undefined behaviour) on large numbers.
TEST(Options, TimestampOffsetsThatDoNotFitAreErrors) {
  rtlat::detail::TraceDatMeta m;
  std::string failed;
  const std::function<void(const std::string&)> fail = [&](const std::string& r) {
    failed = r;
    throw rtlat::InputError("f", "options", r);
  };
  using rtlat::detail::apply_common_option;
  apply_common_option(m, rtlat::detail::opt_offset, std::string("1000000000\0", 11), fail);
  apply_common_option(m, rtlat::detail::opt_date, "0x10", fail);
  EXPECT_EQ(m.ts_offset, 1000000000 + 16000);
  EXPECT_THROW(apply_common_option(m, rtlat::detail::opt_date, "0x7fffffffffffffff", fail),
               rtlat::InputError);
  EXPECT_EQ(failed,
            "DATE option \"0x7fffffffffffffff\": the timestamp offset does not fit in 64 bits");
  EXPECT_THROW(apply_common_option(m, rtlat::detail::opt_offset, "9223372036854775000", fail),
               rtlat::InputError);
  EXPECT_EQ(failed,
            "OFFSET option \"9223372036854775000\": the timestamp offset does not fit in 64 bits");
  EXPECT_THROW(apply_common_option(m, rtlat::detail::opt_offset, "99999999999999999999", fail),
               rtlat::InputError);
  EXPECT_EQ(m.ts_offset, 1000000000 + 16000);  // unchanged by the failures
  apply_common_option(m, rtlat::detail::opt_offset, "-1000016000", fail);
  EXPECT_EQ(m.ts_offset, 0);
}

// ---- samples of ARM machines (data/format/README.md) -----------------------------------------

// Feeds an Analyzer everything but the hrtimer_start markers, so that relief can only come from
// raw_syscalls:sys_enter, read with the file's own syscall numbering.
struct SyscallMarkersOnly {
  rtlat::Analyzer& a;
  std::multiset<std::int32_t> syscall_sleeps;
  void feed(const rtlat::Event& e) {
    if (e.kind == rtlat::EventKind::timer_sleep) {
      if (e.timer.source == rtlat::TimerSleepSource::hrtimer) return;
      syscall_sleeps.insert(e.timer.syscall_nr);
    }
    a.feed(e);
  }
  void task_info(const rtlat::TaskInfo& t) { a.task_info(t); }
};

struct SyscallRelief {
  std::string arch;
  std::multiset<std::int32_t> syscall_sleeps;
  rtlat::MetricResult relief;
};

SyscallRelief cyclictest_relief(const std::string& file) {
  rtlat::TraceDatSource src(format_sample(file.c_str()));
  rtlat::Analyzer a;
  a.set_source(src.info());
  SyscallMarkersOnly s{a, {}};
  src.read(s);
  const rtlat::Results r = a.results();
  SyscallRelief out{src.info().arch, s.syscall_sleeps, {}};
  for (const auto& t : r.tasks)
    if (t.comm == "cyclictest" && t[rtlat::Metric::relief].count > 0)
      out.relief = t[rtlat::Metric::relief];
  return out;
}

// aarch64.dat and armv7l.dat are v7-zstd.dat with an ARM uname and ARM syscall numbers (and, for
// armv7l, a 4-byte kernel long): the same periods must come out, found through 115 / 407 where
// the x86_64 file has 230, whatever machine runs the test.
TEST(ArmSamples, ReliefFromTheFilesOwnSyscallNumbers) {
  const SyscallRelief x86 = cyclictest_relief("v7-zstd.dat");
  ASSERT_EQ(x86.arch, "x86_64");
  ASSERT_GT(x86.relief.count, 10u);
  ASSERT_EQ(x86.syscall_sleeps.count(230), x86.syscall_sleeps.size());
  const struct {
    const char* file;
    const char* arch;
    std::int32_t clock_nanosleep;
    unsigned long_size;
  } cases[] = {{"aarch64.dat", "aarch64", 115, 8}, {"armv7l.dat", "armv7l", 407, 4}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    const SyscallRelief arm = cyclictest_relief(c.file);
    EXPECT_EQ(arm.arch, c.arch);
    EXPECT_EQ(rtlat::detail::tracedat_meta(rtlat::TraceDatSource(format_sample(c.file))).long_size,
              c.long_size);
    EXPECT_EQ(arm.syscall_sleeps.size(), x86.syscall_sleeps.size());
    EXPECT_EQ(arm.syscall_sleeps.count(c.clock_nanosleep), x86.syscall_sleeps.size());
    EXPECT_EQ(arm.relief.count, x86.relief.count);
    EXPECT_EQ(arm.relief.min_ns, x86.relief.min_ns);
    EXPECT_EQ(arm.relief.max_ns, x86.relief.max_ns);
    EXPECT_EQ(arm.relief.mean_ns, x86.relief.mean_ns);
  }
}

// prev4k.dat is v6.dat with sched_switch as 4.11-4.13 kernels wrote it: raw task state bits and
// TASK_STATE_MAX = 0x1000 as the preemption flag, which the reader must take from the format.
TEST(ArmSamples, PreemptionFlag0x1000FromTheFormat) {
  const rtlat::TraceDatSource src(format_sample("prev4k.dat"));
  EXPECT_EQ(rtlat::detail::tracedat_meta(src).decode.prev_state.preempt_flag, 0x1000u);
  EXPECT_TRUE(rtlat::detail::tracedat_meta(src).decode.prev_state.from_format);
  auto read_all = [](const char* name) {
    rtlat::TraceDatSource s(format_sample(name));
    Collect c;
    s.read(c);
    return c;
  };
  const Collect a = read_all("v6.dat"), b = read_all("prev4k.dat");
  ASSERT_EQ(a.events.size(), b.events.size());
  std::size_t preempted = 0, flagged = 0;
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    const rtlat::Event& x = a.events[i];
    const rtlat::Event& y = b.events[i];
    ASSERT_EQ(x.kind, y.kind) << i;
    ASSERT_EQ(x.ts, y.ts) << i;
    if (x.kind != rtlat::EventKind::sched_switch) continue;
    ASSERT_EQ(x.prev_state, y.prev_state)
        << i << ": raw " << x.sw.prev_state_raw << " vs " << y.sw.prev_state_raw;
    preempted += x.prev_state == rtlat::PrevState::preempted ? 1 : 0;
    flagged += (y.sw.prev_state_raw & 0x1000u) != 0 ? 1 : 0;
  }
  EXPECT_GT(preempted, 0u);
  EXPECT_EQ(flagged, preempted);
}

// ---- large files ----------------------------------------------------------------------------

// A trace over 4 GB is ordinary: v6.dat with its CPU data moved 5 GiB further into a sparse file
// must read the same. On a 32-bit target (armhf, scripts/cross-test) this needs a 64-bit off_t
// in fstat and pread, and no 32-bit size_t between the flyrecord offsets and the reads.
TEST(LargeFile, CpuDataPast4GiB) {
  const std::string in = format_sample("v6.dat");
  std::ifstream f(in, std::ios::binary);
  std::string v6((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const rtlat::TraceDatSource src(in);
  ASSERT_EQ(rtlat::detail::tracedat_meta(src).buffers.size(), 1u);
  const auto& cpus = rtlat::detail::tracedat_meta(src).buffers[0].cpus;
  const std::size_t fly = v6.find(std::string("flyrecord\0", 10));
  ASSERT_NE(fly, std::string::npos);
  constexpr std::uint64_t shift = 5ull << 30;
  std::string head = v6;
  for (std::size_t i = 0; i < cpus.size(); ++i) {
    const std::size_t at = fly + 10 + 16 * i;
    std::uint64_t off = 0;
    std::memcpy(&off, head.data() + at, 8);  // v6.dat is little-endian, as is every host here
    ASSERT_EQ(off, cpus[i].offset);
    off += shift;
    std::memcpy(head.data() + at, &off, 8);
  }
  const std::string out = std::string(RTLAT_BINARY_DIR) + "/tracedat_test_5gib.dat";
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << out;
  bool written = ::write(fd, head.data(), head.size()) == static_cast<ssize_t>(head.size());
  for (const auto& c : cpus) {
    const auto n = static_cast<std::size_t>(c.size);
    written = written && ::pwrite(fd, v6.data() + c.offset, n,
                                  static_cast<off_t>(c.offset + shift)) == static_cast<ssize_t>(n);
  }
  const int write_errno = errno;
  ::close(fd);
  if (!written) {
    // A filesystem without sparse files or with a 4 GiB file limit (FAT) refuses: nothing rtlat
    // can fix, so a skip; but a failure under scripts/test, whose build directory must be on one
    // that holds it (README, "Testing and fuzzing"), or the > 4 GiB path would go untested there.
    ::unlink(out.c_str());
    RTLAT_SKIP("cannot write a sparse 5 GiB file at " + out + ": " + std::strerror(write_errno));
  }
  Collect a, b;
  {
    rtlat::TraceDatSource x(in), y(out);
    x.read(a);
    y.read(b);
    EXPECT_EQ(rtlat::detail::tracedat_meta(y).buffers[0].cpus[0].offset, cpus[0].offset + shift);
  }
  ::unlink(out.c_str());
  ASSERT_EQ(a.events.size(), b.events.size());
  ASSERT_GT(a.events.size(), 1000u);
  for (std::size_t i = 0; i < a.events.size(); ++i)
    ASSERT_EQ(std::memcmp(&a.events[i], &b.events[i], sizeof a.events[i]), 0) << i;
}

const char* const common_fields =
    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
    "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
    "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
    "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n";

// ftrace:branch as the kernel writes it: array sizes are the expressions its macros expanded to.
TEST(Formats, ArraySizesAreTheExpressionsTheKernelWrites) {
  const std::string branch =
      std::string("name: branch\nID: 9\nformat:\n") + common_fields +
      "\tfield:unsigned int line;\toffset:8;\tsize:4;\tsigned:0;\n"
      "\tfield:char func[30+1];\toffset:12;\tsize:31;\tsigned:0;\n"
      "\tfield:char file[20+1];\toffset:43;\tsize:21;\tsigned:0;\n"
      "\tfield:char correct;\toffset:64;\tsize:1;\tsigned:0;\n"
      "\tfield:char constant;\toffset:65;\tsize:1;\tsigned:0;\n\n"
      "print fmt: \"%u:%s:%s (%u)%s\", REC->line, REC->func, REC->file, REC->correct, "
      "REC->constant ? \" CONSTANT\" : \"\"\n";
  EXPECT_EQ(rtlat::detail::format_problem(branch), "");
  rtlat::detail::TraceDatMeta m;
  m.tep.reset(tep_alloc());
  rtlat::detail::parse_one_format(m, branch, "ftrace");
  EXPECT_EQ(m.format_failures, 0);
  tep_event* ev = tep_find_event_by_name(m.tep.get(), "ftrace", "branch");
  ASSERT_NE(ev, nullptr);
  const tep_format_field* func = tep_find_field(ev, "func");
  ASSERT_NE(func, nullptr);
  EXPECT_EQ(func->offset, 12);
  EXPECT_EQ(func->size, 31);

  auto with_size = [&](const std::string& size) {
    std::string t = branch;
    t.replace(t.find("[30+1]"), 6, "[" + size + "]");
    return t;
  };
  for (const char* ok : {"8*2", "(16)", "TASK_COMM_LEN", "32 - 1", "(8+8)*2", "64/2", ""})
    EXPECT_EQ(rtlat::detail::format_problem(with_size(ok)), "") << ok;
  for (const char* bad : {"(16", "16)", "16;", "a[2]", "1)+(2", "1%2"})
    EXPECT_NE(rtlat::detail::format_problem(with_size(bad)), "") << bad;
}

// A stack trace's common_pid and that of an event from NMI context prove nothing about who runs
// on the CPU: the decoder marks them detached; any other event is not.
TEST(Formats, StackTracesAndNmiEventsAreDetached) {
  using namespace rtlat::detail;
  TraceDatMeta m;
  m.tep.reset(tep_alloc());
  const std::string stack = std::string("name: kernel_stack\nID: 4\nformat:\n") + common_fields +
                            "\tfield:int size;\toffset:8;\tsize:4;\tsigned:1;\n"
                            "\tfield:unsigned long caller[8];\toffset:16;\tsize:64;\tsigned:0;\n\n"
                            "print fmt: \"\\t=> %ps\\n\", (void *)REC->caller[0]\n";
  const std::string nmi = std::string("name: nmi_handler\nID: 50\nformat:\n") + common_fields +
                          "\tfield:void * handler;\toffset:8;\tsize:8;\tsigned:0;\n\n"
                          "print fmt: \"%ps\", REC->handler\n";
  parse_one_format(m, stack, "ftrace");
  parse_one_format(m, nmi, "nmi");
  ASSERT_EQ(m.format_failures, 0);
  DecodeTable t;
  build_decode_table(m.tep.get(), true, t, [](const std::string& why) { FAIL() << why; });
  RecordDecoder dec(t, 0);
  auto decode = [&](std::uint16_t id, std::uint8_t flags, std::int32_t pid) {
    alignas(8) unsigned char rec[96] = {};
    std::memcpy(rec, &id, 2);
    rec[2] = flags;
    std::memcpy(rec + 4, &pid, 4);
    rtlat::Event e{};
    EXPECT_TRUE(dec.decode<false>(RingRecord{1000, rec, 80}, e));
    EXPECT_EQ(e.kind, rtlat::EventKind::other);
    EXPECT_EQ(e.common_pid, pid);
    return e.other.detached;
  };
  EXPECT_TRUE(decode(4, 0x01, 100));    // kernel_stack, irqs off
  EXPECT_TRUE(decode(50, 0x49, 100));   // nmi_handler in NMI (0x40) inside a hard IRQ (0x08)
  EXPECT_FALSE(decode(50, 0x09, 100));  // the same event from a hard IRQ: the task is current
}

}  // namespace
