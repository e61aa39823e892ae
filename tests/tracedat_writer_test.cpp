// Round trips through every file layout: a recording rewritten as v6 / v7, uncompressed / zstd /
// zlib, little / big endian, 8- / 4-byte kernel long must decode to exactly the same events.
//
// The same binary makes the samples in data/format (see data/format/README.md):
//   RTLAT_REWRITE="IN.dat:OUT.dat:SPEC" tracedat_writer_test --gtest_also_run_disabled_tests
//       --gtest_filter='*MakeSample*'
// SPEC is a comma list of: v6 v7 none zstd zlib be long4 slim lostpages pagesN tsc spreadN
// arch=aarch64 arch=armv7l prev4k tgids=PID-TGID-EVENTS/....
#include <gtest/gtest.h>

#include <rtlat/detail/tracedat/metadata.hpp>
#include <rtlat/detail/tracedat/stream.hpp>
#include <rtlat/detail/tracedat/writer.hpp>
#include <rtlat/source/tracedat.hpp>
#include "support/tracedat_rewrite.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

namespace fs = std::filesystem;
using rtlat::detail::Compression;
using rtlat::detail::TraceDatRewriteOptions;
using rtlat::detail::TraceDatRewriter;

namespace {

struct Collect {
  std::vector<rtlat::Event> events;
  std::vector<rtlat::TaskInfo> tasks;
  void feed(const rtlat::Event& e) { events.push_back(e); }
  void task_info(const rtlat::TaskInfo& t) { tasks.push_back(t); }
};

Collect read_all(const std::string& path, const std::string& buffer = {}) {
  rtlat::TraceDatOptions o;
  o.buffer = buffer;
  rtlat::TraceDatSource src(path, o);
  Collect c;
  src.read(c);
  return c;
}

bool same_event(const rtlat::Event& a, const rtlat::Event& b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// The recordings are x86_64's: a sample of another machine gets its uname and its numbers for the
// two timer sleeps (x86_64 nanosleep 35, clock_nanosleep 230). A 32-bit ARM glibc calls
// clock_nanosleep_time64 (407) on 5.1+ kernels whatever its time_t. Other syscalls keep their
// x86_64 numbers, moved out of the way where one would read as the target's timer sleep.
struct ArchSample {
  const char* uname;
  std::int64_t nanosleep, clock_nanosleep;
};
ArchSample arch_sample(const std::string& arch) {
  if (arch == "aarch64")
    return {"Linux raspberrypi 6.6.51+rpt-rpi-v8 #1 SMP PREEMPT_RT Debian 1:6.6.51-1+rpt3 aarch64",
            101, 115};
  if (arch == "armv7l")
    return {
        "Linux raspberrypi 5.15.84-v7l+ #1613 SMP PREEMPT_RT Thu Jan 5 12:01:26 GMT 2023 armv7l",
        162, 407};
  ADD_FAILURE() << "unknown arch " << arch;
  return {"", -1, -1};
}

std::uint64_t get_field(const rtlat::detail::FieldRef& f, const unsigned char* rec) {
  std::uint64_t v = 0;
  std::memcpy(&v, rec + f.offset, std::min<std::size_t>(f.size, 8));  // little-endian outputs
  return v;
}
void set_field(const rtlat::detail::FieldRef& f, unsigned char* rec, std::uint64_t v) {
  std::memcpy(rec + f.offset, &v, std::min<std::size_t>(f.size, 8));
}

// sched_switch as 4.11-4.13 kernels print it: raw task state bits, TASK_STATE_MAX (4096) as the
// preemption flag, expanded to its value in the format file.
constexpr const char* print_fmt_4k =
    "print fmt: \"prev_comm=%s prev_pid=%d prev_prio=%d prev_state=%s%s ==> next_comm=%s "
    "next_pid=%d next_prio=%d\", REC->prev_comm, REC->prev_pid, REC->prev_prio, "
    "(REC->prev_state & (4096-1)) ? __print_flags(REC->prev_state & (4096-1), \"|\", { 1, \"S\"} "
    ", { 2, \"D\" }, { 4, \"T\" }, { 8, \"t\" }, { 16, \"Z\" }, { 32, \"X\" }, { 64, \"x\" }, "
    "{ 128, \"K\" }, { 256, \"W\" }, { 512, \"P\" }, { 1024, \"N\" }) : \"R\", "
    "REC->prev_state & 4096 ? \"+\" : \"\", REC->next_comm, REC->next_pid, REC->next_prio\n";

TraceDatRewriteOptions parse_spec(const std::string& spec) {
  TraceDatRewriteOptions o;
  std::vector<std::function<void(const rtlat::detail::TraceDatMeta&, std::uint64_t, unsigned char*,
                                 std::uint32_t)>>
      edits;
  std::size_t start = 0;
  while (start <= spec.size()) {
    const std::size_t comma = spec.find(',', start);
    const std::string t =
        spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (t == "v6")
      o.version = 6;
    else if (t == "v7")
      o.version = 7;
    else if (t == "none")
      o.compression = Compression::none;
    else if (t == "zstd")
      o.compression = Compression::zstd;
    else if (t == "zlib")
      o.compression = Compression::zlib;
    else if (t == "be")
      o.big_endian = true;
    else if (t == "long4")
      o.long4 = true;
    else if (t.rfind("pages", 0) == 0)
      o.keep_page = [n = std::stoul(t.substr(5))](int, std::size_t i, const unsigned char*) {
        return i < n;
      };
    else if (t.rfind("spread", 0) == 0)
      o.spread = static_cast<std::uint32_t>(std::stoul(t.substr(6)));
    else if (t == "slim")
      // Only what a reader needs to resolve hrtimer_start's callback, plus the kernel text start.
      o.keep_kallsyms_line = [](std::string_view l) {
        return l.find(" hrtimer_wakeup\n") != std::string_view::npos ||
               l.find(" _text\n") != std::string_view::npos ||
               l.find(" tick_nohz_handler\n") != std::string_view::npos ||
               l.find(" it_real_fn\n") != std::string_view::npos;
      };
    else if (t == "lostpages")
      // The first pages of each CPU and every page that reports lost events, with the next one.
      o.keep_page = [last = std::vector<long long>(1024, -10)](int cpu, std::size_t i,
                                                               const unsigned char* p) mutable {
        std::uint32_t commit;
        std::memcpy(&commit, p + 8, 4);
        const bool missed = (commit & (1u << 31)) != 0;
        if (missed) last[static_cast<std::size_t>(cpu) % 1024] = static_cast<long long>(i);
        return i < 4 || missed ||
               static_cast<long long>(i) == last[static_cast<std::size_t>(cpu) % 1024] + 1;
      };
    else if (t == "tsc") {
      // Timestamps scaled by 3/2 (TSC2NSEC) and moved by one second (OFFSET).
      const bool big = o.big_endian;
      o.extra_options.emplace_back(rtlat::detail::opt_tsc2nsec,
                                   rtlat::detail::encode_uint(3, 4, big) +
                                       rtlat::detail::encode_uint(1, 4, big) +
                                       rtlat::detail::encode_uint(0, 8, big));
      o.extra_options.emplace_back(rtlat::detail::opt_offset, std::string("1000000000", 11));
    } else if (t.rfind("arch=", 0) == 0) {
      const ArchSample a = arch_sample(t.substr(5));
      o.uname = a.uname;
      edits.push_back([a](const rtlat::detail::TraceDatMeta& m, std::uint64_t type,
                          unsigned char* rec, std::uint32_t) {
        if (type >= m.decode.events.size()) return;
        const auto& d = m.decode.events[static_cast<std::size_t>(type)];
        if (d.how != rtlat::detail::Decode::raw_sys_enter) return;
        const auto nr = static_cast<std::int64_t>(get_field(d.f.sys_enter.id, rec));
        std::int64_t to = nr;
        if (nr == 35)
          to = a.nanosleep;
        else if (nr == 230)
          to = a.clock_nanosleep;
        else if (nr == a.nanosleep || nr == a.clock_nanosleep)
          to = 100000 + nr;
        set_field(d.f.sys_enter.id, rec, static_cast<std::uint64_t>(to));
      });
    } else if (t == "prev4k") {
      o.edit_format = [](std::string_view sys, std::string text) {
        if (sys != "sched" || text.find("name: sched_switch\n") == std::string::npos) return text;
        return text.substr(0, text.find("print fmt:")) + print_fmt_4k;
      };
      // 6.x state index bits to 4.11 task state bits, keeping what each means to rtlat:
      // preempted (0x100) -> 0x1000; I (0x80, idle kthread sleep) -> S; P (0x40) -> D
      // (0x40 is TASK_DEAD before 4.14).
      edits.push_back([](const rtlat::detail::TraceDatMeta& m, std::uint64_t type,
                         unsigned char* rec, std::uint32_t) {
        if (type >= m.decode.events.size()) return;
        const auto& d = m.decode.events[static_cast<std::size_t>(type)];
        if (d.how != rtlat::detail::Decode::sched_switch) return;
        std::uint64_t v = get_field(d.f.sw.prev_state, rec), out = v & 0x3fu;
        if (v & 0x40u) out |= 0x2u;
        if (v & 0x80u) out |= 0x1u;
        if (v & 0x100u) out |= 0x1000u;
        set_field(d.f.sw.prev_state, rec, out);
      });
    } else if (t.rfind("tgids=", 0) == 0) {
      // rtlat live's tgid map: PID-TGID-EVENTS items separated by '/'.
      std::string map = t.substr(6);
      for (char& ch : map) ch = ch == '-' ? ' ' : ch == '/' ? '\n' : ch;
      o.tgids = map + "\n";
    } else if (!t.empty())
      ADD_FAILURE() << "unknown spec word " << t;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (!edits.empty())
    o.edit_record = [edits](const rtlat::detail::TraceDatMeta& m, std::uint64_t type,
                            unsigned char* rec, std::uint32_t size) {
      for (const auto& e : edits) e(m, type, rec, size);
    };
  return o;
}

fs::path source_file(const char* name) {
  return fs::path(RTLAT_SOURCE_DIR) / "data" / "format" / name;
}

// Each block compared apart, so that a failure names the one that differs.
void expect_same_blocks(const rtlat::detail::MetadataBlocks& got,
                        const rtlat::detail::MetadataBlocks& want) {
  EXPECT_EQ(got.header_page, want.header_page);
  EXPECT_EQ(got.header_event, want.header_event);
  EXPECT_EQ(got.ftrace_formats, want.ftrace_formats);
  EXPECT_EQ(got.event_systems, want.event_systems);
  EXPECT_EQ(got.kallsyms, want.kallsyms);
  EXPECT_EQ(got.printk, want.printk);
  EXPECT_EQ(got.cmdlines, want.cmdlines);
  EXPECT_EQ(got.options, want.options);
}

class RoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(RoundTrip, EveryLayoutDecodesToTheSameEvents) {
  const fs::path in = source_file("v7-zstd.dat");
  ASSERT_TRUE(fs::exists(in)) << in;
  const Collect want = read_all(in.string());
  ASSERT_GT(want.events.size(), 100u);
  const fs::path out = fs::path(RTLAT_BINARY_DIR) /
                       (std::string("roundtrip-") +
                        ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".dat");
  fs::create_directories(out.parent_path());
  const std::string spec = GetParam();
  std::string clean = out.string();
  for (char& ch : clean)
    if (ch == '/' && &ch > clean.data() + out.parent_path().string().size()) ch = '_';
  TraceDatRewriter w(in.string(), parse_spec(spec));
  w.write(clean);
  rtlat::TraceDatSource src(clean);
  Collect got;
  src.read(got);
  ASSERT_EQ(got.events.size(), want.events.size()) << spec;
  for (std::size_t i = 0; i < want.events.size(); ++i)
    ASSERT_TRUE(same_event(got.events[i], want.events[i])) << spec << " event " << i;
  ASSERT_EQ(got.tasks.size(), want.tasks.size());
  EXPECT_EQ(src.info().cpus, 2);
  EXPECT_EQ(src.info().arch, "x86_64");
  fs::remove(clean);
}

INSTANTIATE_TEST_SUITE_P(Layouts, RoundTrip,
                         ::testing::Values("v6", "v6,be", "v6,long4", "v6,be,long4", "v7,none",
                                           "v7,zstd", "v7,zlib", "v7,zstd,be", "v7,zlib,be,long4",
                                           "v7,none,be,long4"));

TEST(Formats, FormatNamesAndByteOrder) {
  struct Case {
    const char* file;
    const char* format;
  } cases[] = {{"v6.dat", "trace.dat v6"},
               {"v7.dat", "trace.dat v7"},
               {"v7-zstd.dat", "trace.dat v7 (zstd)"},
               {"v7-zlib.dat", "trace.dat v7 (zlib)"},
               {"be32.dat", "trace.dat v7 (zstd)"}};
  for (const auto& c : cases) {
    rtlat::TraceDatSource src(source_file(c.file).string());
    EXPECT_EQ(src.info().format, c.format) << c.file;
    EXPECT_EQ(src.info().cpus, 2) << c.file;
    EXPECT_EQ(src.info().arch, "x86_64") << c.file;
  }
  EXPECT_TRUE(rtlat::detail::tracedat_meta(rtlat::TraceDatSource(source_file("be32.dat").string()))
                  .order.swap);
  EXPECT_EQ(rtlat::detail::tracedat_meta(rtlat::TraceDatSource(source_file("be32.dat").string()))
                .layout.commit_size,
            4u);
  EXPECT_EQ(rtlat::detail::tracedat_meta(rtlat::TraceDatSource(source_file("v6.dat").string()))
                .layout.commit_size,
            8u);
}

// The zlib sample is the zstd sample recompressed (libtracecmd here has no zlib to compare with):
// both must decode to the same stream; the zstd one is checked against libtracecmd.
TEST(Formats, ZlibSampleEqualsItsZstdTwin) {
  const Collect a = read_all(source_file("v7-zstd.dat").string());
  const Collect b = read_all(source_file("v7-zlib.dat").string());
  ASSERT_EQ(a.events.size(), b.events.size());
  for (std::size_t i = 0; i < a.events.size(); ++i)
    ASSERT_TRUE(same_event(a.events[i], b.events[i])) << i;
}

// be32.dat also checks the two record decoders against each other: its source is read with the
// fixed offsets of a 64-bit little-endian kernel, be32.dat through the format's field table.
TEST(Formats, Be32SampleEqualsItsSource) {
  auto fixed = [](const char* file) {
    const rtlat::TraceDatSource src(source_file(file).string());
    int n = 0;
    for (const auto& d : rtlat::detail::tracedat_meta(src).decode.events) n += d.std_layout ? 1 : 0;
    return std::make_pair(rtlat::detail::tracedat_meta(src).decode.common_std, n);
  };
  // sched_switch, sched_wakeup, sched_wakeup_new and sched_waking take the fixed offsets.
  EXPECT_EQ(fixed("v7-zstd.dat"), std::make_pair(true, 4));
  EXPECT_EQ(fixed("be32.dat"), std::make_pair(false, 0));
  const Collect a = read_all(source_file("v7-zstd.dat").string());
  const Collect b = read_all(source_file("be32.dat").string());
  ASSERT_EQ(a.events.size(), b.events.size());
  for (std::size_t i = 0; i < a.events.size(); ++i)
    ASSERT_TRUE(same_event(a.events[i], b.events[i])) << i;
}

// The library's writer on its own: the metadata blocks of a recording, written in each layout
// with no CPU data, come back exactly as given (the options in order, the writer's own
// CPUCOUNT and section pointers apart), and the reader takes the file: its CPU count, the
// options' uname and tgid map, and v7's buffer clock, the one trace_clock selects.
TEST(Writer, MetadataBlocksComeBackInEveryLayout) {
  rtlat::detail::MetadataBlocks blocks =
      rtlat::detail::read_metadata_blocks(source_file("tiny.dat").string());
  ASSERT_FALSE(blocks.event_systems.empty());
  ASSERT_FALSE(blocks.cmdlines.empty());
  blocks.printk = "0xffffffff81000000 : \"a printk format\\n\"\n";
  blocks.options = {{rtlat::detail::opt_uname, std::string("Linux box 6.6 #1 aarch64") + '\0'},
                    {rtlat::detail::opt_rtlat_tgids, "7 5 0\n"}};
  struct Layout {
    const char* name;
    int version;
    Compression compression;
    bool big_endian;
  };
  for (const Layout& l :
       {Layout{"v6", 6, Compression::none, false}, Layout{"v6-be", 6, Compression::none, true},
        Layout{"v7", 7, Compression::none, false}, Layout{"v7-zstd", 7, Compression::zstd, false},
        Layout{"v7-zlib-be", 7, Compression::zlib, true}}) {
    SCOPED_TRACE(l.name);
    rtlat::detail::TraceDatLayout layout;
    layout.version = l.version;
    layout.compression = l.compression;
    layout.big_endian = l.big_endian;
    layout.cpus = 5;
    layout.trace_clock = "local [mono] global";
    const fs::path out = fs::path(RTLAT_BINARY_DIR) / (std::string("writer-") + l.name + ".dat");
    std::ofstream(out, std::ios::binary) << rtlat::detail::tracedat_bytes(
        layout, blocks, {rtlat::detail::BufferPages{}});  // a top buffer, no CPU data
    const rtlat::detail::MetadataBlocks back = rtlat::detail::read_metadata_blocks(out.string());
    expect_same_blocks(back, blocks);
    rtlat::TraceDatSource src(out.string());
    EXPECT_EQ(src.info().cpus, 5);
    EXPECT_EQ(src.info().arch, "aarch64");
    if (l.version == 7) {
      ASSERT_EQ(rtlat::detail::tracedat_meta(src).buffers.size(), 1u);
      EXPECT_EQ(rtlat::detail::tracedat_meta(src).buffers[0].clock, "mono");
    }
    EXPECT_EQ(rtlat::detail::tracedat_meta(src).tgids.size(), 1u);
    fs::remove(out);
  }
}

// The reader hands out a file's metadata as stored, the blocks it skips when reading events too
// (printk formats, the whole kallsyms, CPUSTAT and VERSION options), in each layout the samples
// have: v6 and v7, little and big endian, uncompressed, zstd and zlib.
TEST(StoredMetadata, WhatTheFileHolds) {
  using rtlat::detail::opt_cpustat;
  using rtlat::detail::opt_traceclock;
  using rtlat::detail::opt_traceid;
  using rtlat::detail::opt_uname;
  constexpr std::uint16_t opt_version = 9;  // trace-cmd's version text
  const std::vector<std::pair<std::string, std::size_t>> systems = {
      {"sched", 6}, {"raw_syscalls", 1}, {"timer", 1}, {"irq", 2}};
  // The v6 samples were recorded apart from the v7 ones: their cmdlines and CPUSTAT differ.
  for (const auto& [name, cmdlines, cpustat] :
       {std::tuple{"tiny.dat", 14998u, 150u}, std::tuple{"v7-zlib.dat", 14998u, 150u},
        std::tuple{"be32.dat", 14998u, 150u}, std::tuple{"tiny-v6.dat", 14744u, 144u},
        std::tuple{"v6-be.dat", 14744u, 144u}}) {
    SCOPED_TRACE(name);
    const rtlat::detail::MetadataBlocks b =
        rtlat::detail::read_metadata_blocks(source_file(name).string());
    EXPECT_EQ(b.header_page.size(), 205u);
    EXPECT_EQ(b.header_page.rfind("\tfield: u64 timestamp;\toffset:0;\tsize:8;", 0), 0u);
    EXPECT_EQ(b.header_event.size(), 205u);
    ASSERT_EQ(b.ftrace_formats.size(), 18u);
    EXPECT_EQ(b.ftrace_formats[0].rfind("name: wakeup\nID: 3\nformat:\n", 0), 0u);
    ASSERT_EQ(b.event_systems.size(), systems.size());
    for (std::size_t i = 0; i < systems.size(); ++i) {
      EXPECT_EQ(b.event_systems[i].first, systems[i].first);
      EXPECT_EQ(b.event_systems[i].second.size(), systems[i].second);
    }
    EXPECT_EQ(b.kallsyms.size(), 126u);
    EXPECT_EQ(b.kallsyms.rfind("ffffffff81000000 T _text\nffffffff8141e4b0 t hrtimer_wakeup\n", 0),
              0u);
    EXPECT_EQ(b.printk.size(), 4316u);
    EXPECT_EQ(b.printk.rfind("0xffffffff828195af : \"thaw_processes\"\n", 0), 0u);
    EXPECT_EQ(b.cmdlines.size(), cmdlines);
    EXPECT_EQ(b.cmdlines.rfind("2165 trace-cmd\n18 migration/0\n", 0), 0u);
    ASSERT_EQ(b.options.size(), 6u);
    const std::vector<std::uint16_t> ids = {opt_traceclock, opt_uname,   opt_version,
                                            opt_traceid,    opt_cpustat, opt_cpustat};
    for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(b.options[i].first, ids[i]) << i;
    EXPECT_EQ(
        b.options[0].second,
        std::string("[local] global counter uptime perf mono mono_raw boot tai x86-tsc\n") + '\0');
    EXPECT_EQ(b.options[1].second, std::string("Linux vm 6.18.44-fc-v657 x86_64") + '\0');
    EXPECT_EQ(b.options[2].second, std::string("3.1.6 not-a-git-repo") + '\0');
    EXPECT_EQ(b.options[3].second.size(), 8u);
    EXPECT_EQ(b.options[4].second.size(), cpustat);
    EXPECT_EQ(b.options[4].second.rfind("CPU: 0\nentries: ", 0), 0u);
  }
}

// A file's stored metadata and its pages as they are, written back with the library's writer in
// the file's own layout, make a file the reader reads to the same events in every buffer, whose
// stored metadata is the same again.
TEST(StoredMetadata, WrittenBackReadsToTheSameEvents) {
  for (const char* name : {"tiny-v6.dat", "v6-be.dat", "v7.dat", "v7-zlib.dat", "be32.dat",
                           "instance-v6.dat", "instance.dat", "tgids.dat"}) {
    SCOPED_TRACE(name);
    const std::string in = source_file(name).string();
    const rtlat::detail::MetadataBlocks blocks = rtlat::detail::read_metadata_blocks(in);
    const rtlat::TraceDatSource src(in);
    const rtlat::detail::TraceDatMeta& m = rtlat::detail::tracedat_meta(src);
    rtlat::detail::TraceDatLayout l;
    l.version = m.version;
    l.compression = m.compression;
    l.big_endian = m.order.swap != rtlat::detail::host_is_big_endian();
    l.long_size = m.long_size;
    l.page_size = m.page_size;
    l.cpus = m.cpus;
    l.trace_clock = "[" + m.clock + "]";
    std::deque<std::string> held;  // the pages the CpuPages point at
    std::vector<rtlat::detail::BufferPages> buffers;
    for (const auto& b : m.buffers) {
      rtlat::detail::BufferPages& out = buffers.emplace_back();
      out.name = b.name;
      out.clock = b.clock;
      out.page_size = b.page_size;
      for (const auto& c : b.cpus) {
        if (c.size == 0) continue;
        rtlat::detail::PageSource ps(rtlat::detail::tracedat_file(src), b, c, m.compression,
                                     m.order);
        std::string& pages = held.emplace_back();
        while (const unsigned char* p = ps.next())
          pages.append(reinterpret_cast<const char*>(p), b.page_size);
        out.cpus.push_back(rtlat::detail::CpuPages::in_memory(c.cpu, pages));
      }
    }
    const fs::path out = fs::path(RTLAT_BINARY_DIR) / (std::string("written-back-") + name);
    std::ofstream(out, std::ios::binary) << rtlat::detail::tracedat_bytes(l, blocks, buffers);
    const rtlat::detail::MetadataBlocks back = rtlat::detail::read_metadata_blocks(out.string());
    expect_same_blocks(back, blocks);
    std::size_t events = 0;
    for (const auto& b : m.buffers) {
      SCOPED_TRACE("buffer \"" + b.name + "\"");
      const Collect want = read_all(in, b.name), got = read_all(out.string(), b.name);
      ASSERT_GT(want.events.size(), 0u);
      ASSERT_EQ(got.events.size(), want.events.size());
      for (std::size_t i = 0; i < want.events.size(); ++i)
        ASSERT_TRUE(same_event(got.events[i], want.events[i])) << i;
      EXPECT_EQ(got.tasks.size(), want.tasks.size());
      events += want.events.size();
    }
    EXPECT_GT(events, 100u);
    fs::remove(out);
  }
}

TEST(MakeSample, DISABLED_MakeSample) {
  const char* spec = std::getenv("RTLAT_REWRITE");
  ASSERT_NE(spec, nullptr) << "set RTLAT_REWRITE=IN.dat:OUT.dat:SPEC";
  const std::string s = spec;
  const std::size_t a = s.find(':'), b = s.find(':', a + 1);
  ASSERT_TRUE(a != std::string::npos && b != std::string::npos);
  TraceDatRewriter w(s.substr(0, a), parse_spec(s.substr(b + 1)));
  w.write(s.substr(a + 1, b - a - 1));
}

}  // namespace
