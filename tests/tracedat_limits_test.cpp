// The trace.dat reader's memory bounds, on hostile files made here by patching the samples in
// data/format: sizes that claim far more than the file holds, big chunks on many CPUs, thousands
// of CPUs, a chain of options sections. Each file is read by tests/support/read_limited (built
// without sanitizers, which cannot run under RLIMIT_AS) under an address-space limit; the test
// checks how it ended, what it said, and its peak RSS.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include <rtlat/source/tracedat.hpp>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// The address space the reader may use. Reading a file in data/ takes at most 10 MiB of it
// without workers and 31 MiB with two (their stacks count; a worker's malloc arena, a 64 MiB
// reservation, cannot fit, so glibc gives it the main one); the hostile files here take at most
// 25 MiB. 64 MiB leaves twice that, and is a quarter of what one size field used to buy.
constexpr unsigned as_limit_mib = 64;
constexpr long rss_limit_kib = 64 * 1024;

struct Outcome {
  int status = -1;  // exit status, or 128 + signal
  std::string out;
  long maxrss_kib = 0;
  double seconds = 0;
};

Outcome read_limited(const fs::path& file, int threads = 0) {
  int fd[2];
  if (pipe(fd) != 0) return {};
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fd[1], 1);
    close(fd[0]);
    close(fd[1]);
    const std::string limit = std::to_string(as_limit_mib), t = std::to_string(threads);
    execl(RTLAT_READ_LIMITED, "read_limited", limit.c_str(), file.c_str(), t.c_str(), nullptr);
    _exit(127);
  }
  close(fd[1]);
  Outcome r;
  char buf[4096];
  for (ssize_t n; (n = read(fd[0], buf, sizeof buf)) > 0;)
    r.out.append(buf, static_cast<std::size_t>(n));
  close(fd[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  // The helper's last line: its reading child's peak RSS, from wait4 (see read_limited.cpp).
  const std::size_t at = r.out.rfind("peak RSS ");
  r.maxrss_kib = at == std::string::npos ? -1 : std::stol(r.out.substr(at + 9));
  EXPECT_GT(r.maxrss_kib, 0) << r.out;
  return r;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}
fs::path sample(const char* name) {
  return fs::path(RTLAT_SOURCE_DIR) / "data" / "format" / name;
}
fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(RTLAT_BINARY_DIR) / "tracedat_limits";
  fs::create_directories(dir);
  return dir / name;
}
// Writes head, then `hole` zero bytes the file system need not store, then tail.
void put(const fs::path& p, const std::string& head, std::uint64_t hole = 0,
         const std::string& tail = {}) {
  {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(head.data(), static_cast<std::streamsize>(head.size()));
  }
  if (hole == 0 && tail.empty()) return;
  fs::resize_file(p, head.size() + hole);
  std::ofstream f(p, std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(static_cast<std::streamoff>(head.size() + hole));
  f.write(tail.data(), static_cast<std::streamsize>(tail.size()));
}

std::uint64_t get64(const std::string& s, std::size_t at) {
  std::uint64_t v;
  std::memcpy(&v, &s[at], 8);
  return v;
}
void patch32(std::string& s, std::size_t at, std::uint32_t v) {
  std::memcpy(&s[at], &v, 4);
}
void patch64(std::string& s, std::size_t at, std::uint64_t v) {
  std::memcpy(&s[at], &v, 8);
}
void add16(std::string& s, std::uint16_t v) {
  s.append(reinterpret_cast<const char*>(&v), 2);
}
void add32(std::string& s, std::uint32_t v) {
  s.append(reinterpret_cast<const char*>(&v), 4);
}
void add64(std::string& s, std::uint64_t v) {
  s.append(reinterpret_cast<const char*>(&v), 8);
}

// Offsets of the v7 sections that follow the file header (header info, formats, ..., the first
// buffer), by section id; and where the first options offset is stored.
struct V7 {
  std::size_t options_at = 0;
  std::uint64_t section[32] = {};
};
V7 v7_layout(const std::string& s) {
  V7 v;
  v.options_at = s.find('\0', s.find('\0', 18) + 1) + 1;  // after compression name and version
  std::size_t o = v.options_at + 8;
  while (o + 16 <= s.size()) {
    std::uint16_t id;
    std::memcpy(&id, &s[o], 2);
    if (id >= 32) break;
    if (v.section[id] == 0) v.section[id] = o;
    if (id == 3) break;  // the buffer data follows
    o += 16 + get64(s, o + 8);
  }
  return v;
}

std::string zstd(const std::string& in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::uint64_t count_events(const fs::path& p) {
  struct Count {
    std::uint64_t n = 0;
    void feed(const rtlat::Event&) { ++n; }
  } c;
  rtlat::TraceDatSource src(p.string());
  src.read(c);
  return c.n;
}

void expect_input_error(const Outcome& r, const fs::path& p, const std::string& reason) {
  std::printf("  %-24s exit %d: peak RSS %5ld KiB, %.2f s\n", p.filename().c_str(), r.status,
              r.maxrss_kib, r.seconds);
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_EQ(r.out.rfind(p.string() + ": ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(reason), std::string::npos) << r.out;
  EXPECT_LT(r.maxrss_kib, rss_limit_kib) << r.out;
  EXPECT_GT(r.maxrss_kib, 0) << r.out;
}

// Every sample and recording reads under the limit, with and without a worker, well within the
// RSS bound; their figures are printed for the record.
TEST(Limits, RealFilesReadUnderTheLimit) {
  std::vector<fs::path> files;
  for (const char* dir : {"data", "data/format"})
    for (const auto& e : fs::directory_iterator(fs::path(RTLAT_SOURCE_DIR) / dir))
      if (e.path().extension() == ".dat") files.push_back(e.path());
  ASSERT_GT(files.size(), 20u);
  for (const auto& f : files)
    for (int threads : {0, 1}) {
      const Outcome r = read_limited(f, threads);
      EXPECT_EQ(r.status, 0) << f << ": " << r.out;
      EXPECT_NE(r.out.find(" events"), std::string::npos) << r.out;
      EXPECT_LT(r.maxrss_kib, 16 * 1024) << f << ": " << r.out;
      std::printf("  %-24s threads %d: peak RSS %5ld KiB, %.2f s\n", f.filename().c_str(), threads,
                  r.maxrss_kib, r.seconds);
    }
}

// The defect: a 119 KB v7 file whose header info section claims 256 MiB uncompressed made the
// reader allocate that much before reading a byte of it.
TEST(Limits, CompressedSectionClaimingTooMuch) {
  const std::string whole = slurp(sample("v7-zstd.dat"));
  const V7 v = v7_layout(whole);
  struct Case {
    int id;
    const char* name;
  };
  for (const Case c :
       {Case{16, "header info"}, Case{18, "event formats"}, Case{21, "saved cmdlines"}}) {
    ASSERT_NE(v.section[c.id], 0u) << c.name;
    std::string s = whole;
    patch32(s, v.section[c.id] + 20, 256u << 20);  // the uncompressed size
    const auto p = scratch(std::string("claim-") + std::to_string(c.id) + ".dat");
    put(p, s);
    const Outcome r = read_limited(p);
    expect_input_error(r, p, "section " + std::string(c.name));
    EXPECT_NE(r.out.find("absurd uncompressed size"), std::string::npos) << r.out;
  }
}

// A claim within the limits but beyond what the data holds: the section is streamed, so memory
// follows what really comes out, and the shortfall is the error.
TEST(Limits, CompressedSectionClaimingMoreThanItHolds) {
  std::string s = slurp(sample("v7-zstd.dat"));
  const V7 v = v7_layout(s);
  patch32(s, v.section[18] + 20, 15u << 20);
  const auto p = scratch("claim-15m.dat");
  put(p, s);
  const Outcome r = read_limited(p);
  expect_input_error(r, p, "section event formats");
  EXPECT_NE(r.out.find("bad compressed data: decompresses to less than the recorded size"),
            std::string::npos)
      << r.out;
  EXPECT_LT(r.maxrss_kib, 12 * 1024) << "the claimed 15 MiB was held: " << r.out;
}

// Data chunks: one claiming more than any chunk may be, and one claiming 15 MiB (allowed) of
// which the data holds 40 KB.
TEST(Limits, ChunkClaimingTooMuch) {
  const std::string whole = slurp(sample("v7-zstd.dat"));
  std::uint64_t cpu0 = 0;
  {
    rtlat::TraceDatSource src(sample("v7-zstd.dat").string());
    cpu0 = rtlat::detail::tracedat_meta(src).buffers.at(0).cpus.at(0).offset;
  }
  {
    std::string s = whole;
    patch32(s, cpu0 + 8, (64u << 20) - 4096);  // under the old 64 MiB cap
    const auto p = scratch("chunk-64m.dat");
    put(p, s);
    const Outcome r = read_limited(p);
    expect_input_error(r, p, "cpu 0 data, chunk at offset 0x");
    EXPECT_NE(r.out.find("absurd chunk size"), std::string::npos) << r.out;
  }
  {
    std::string s = whole;
    patch32(s, cpu0 + 8, 15u << 20);
    const auto p = scratch("chunk-15m.dat");
    put(p, s);
    const Outcome r = read_limited(p);
    expect_input_error(r, p, "bad compressed data: decompresses to less than the recorded size");
    EXPECT_LT(r.maxrss_kib, 12 * 1024) << "the claimed 15 MiB was held: " << r.out;
  }
  {
    std::string s = whole;
    patch32(s, cpu0, 0xffffffffu);  // 2^32 - 1 chunks in a 119 KB file
    const auto p = scratch("chunk-count.dat");
    put(p, s);
    const Outcome r = read_limited(p);
    expect_input_error(r, p, "chunks announced");
    EXPECT_LT(r.seconds, 5.0);
  }
}

// Six CPUs, each one chunk that really decompresses to 15 MiB (of empty pages): the CPUs'
// buffers together would be 90 MiB.
TEST(Limits, BigChunksOnManyCpus) {
  std::string s = slurp(sample("cpus6.dat"));
  const std::string zeros(15u << 20, '\0');
  const std::string frame = zstd(zeros);
  std::size_t cpus = 0;
  {
    rtlat::TraceDatSource src(sample("cpus6.dat").string());
    for (const auto& c : rtlat::detail::tracedat_meta(src).buffers.at(0).cpus) {
      if (c.size == 0) continue;
      ASSERT_LT(frame.size() + 12, c.size);
      patch32(s, c.offset, 1);
      patch32(s, c.offset + 4, static_cast<std::uint32_t>(frame.size()));
      patch32(s, c.offset + 8, static_cast<std::uint32_t>(zeros.size()));
      s.replace(c.offset + 12, frame.size(), frame);
      ++cpus;
    }
  }
  ASSERT_EQ(cpus, 6u);
  const auto p = scratch("big-chunks.dat");
  put(p, s);
  const Outcome r = read_limited(p);
  expect_input_error(r, p,
                     "a decompressed chunk of 15728648 bytes would take the buffers of the 6 "
                     "CPUs with data past the reader's limit of 24 MiB");
}

// v7.dat with one more top-level buffer appended, its CPUs given by `cpus` (data offsets
// relative to the buffer section's data, which is `data`, or a hole of `hole` bytes), and the
// options chain pointed at it: the reader takes the last top-level buffer.
std::string with_buffer(
    const std::string& v7, std::uint32_t ncpus,
    const std::function<void(std::uint32_t, std::uint64_t&, std::uint64_t&)>& cpu,
    const std::string& data, std::uint64_t hole, std::string& tail, bool compressed = false) {
  std::string head = v7;
  const std::uint64_t section = head.size();
  add16(head, 3);
  add16(head, compressed ? 1 : 0);
  add32(head, 0);
  add64(head, data.size() + hole);
  const std::uint64_t base = head.size();
  head += data;
  // The options section with the BUFFER option, after the data.
  const std::uint64_t options = head.size() + hole;
  std::string opt;
  add64(opt, section);
  opt += std::string("\0local\0", 7);
  add32(opt, 4096);
  add32(opt, ncpus);
  for (std::uint32_t i = 0; i < ncpus; ++i) {
    std::uint64_t off = 0, size = 0;
    cpu(i, off, size);
    add32(opt, i);
    add64(opt, base + off);
    add64(opt, size);
  }
  tail.clear();
  add16(tail, 0);
  add16(tail, 0);
  add32(tail, 0);
  add64(tail, 6 + opt.size() + 6 + 8);
  add16(tail, 3);
  add32(tail, static_cast<std::uint32_t>(opt.size()));
  tail += opt;
  add16(tail, 0);
  add32(tail, 8);
  add64(tail, 0);
  // v7.dat has one options section; its DONE option is its last 8 bytes.
  const V7 v = v7_layout(head);
  const std::uint64_t first = get64(head, v.options_at);
  patch64(head, first + 16 + get64(head, first + 8) - 8, options);
  return head;
}

// 512 CPUs with one page each: the threaded merge used to give every CPU four 256 KB batches
// (512 MiB). Now the batches shrink to fit, the workers are dropped, and the file reads.
TEST(Limits, FiveHundredCpusRead) {
  const std::string v7 = slurp(sample("v7.dat"));
  std::vector<std::string> pages;
  {
    rtlat::TraceDatSource src(sample("v7.dat").string());
    for (const auto& c : rtlat::detail::tracedat_meta(src).buffers.at(0).cpus)
      for (std::uint64_t o = 0; o < c.size; o += 4096)
        pages.push_back(v7.substr(c.offset + o, 4096));
  }
  ASSERT_GT(pages.size(), 10u);
  std::string data;
  for (std::uint32_t i = 0; i < 512; ++i) data += pages[i % pages.size()];
  std::string tail;
  const std::string head = with_buffer(
      v7, 512,
      [](std::uint32_t i, std::uint64_t& off, std::uint64_t& size) {
        off = std::uint64_t{i} * 4096;
        size = 4096;
      },
      data, 0, tail);
  const auto p = scratch("cpus512.dat");
  put(p, head + tail);
  const std::uint64_t expected = count_events(p);
  EXPECT_GT(expected, 20000u);
  for (int threads : {0, 1}) {
    const Outcome r = read_limited(p, threads);
    std::printf("  cpus512.dat threads %d: exit %d, peak RSS %ld KiB, %.2f s\n", threads, r.status,
                r.maxrss_kib, r.seconds);
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out.substr(0, r.out.find(' ')), std::to_string(expected)) << r.out;
    EXPECT_LT(r.maxrss_kib, rss_limit_kib) << r.out;
  }
}

// 300 CPUs of zstd data, each twelve chunks of trace-cmd's size (10 pages): a large machine's
// recording, which the budget must hold (the compressed read-ahead used to be allowed half of it,
// which left too little for the decompressed chunks).
TEST(Limits, ThreeHundredCompressedCpusRead) {
  const std::string v7 = slurp(sample("v7-zstd.dat"));
  std::string pages;
  {
    rtlat::TraceDatSource src(sample("v7.dat").string());
    const auto& c = rtlat::detail::tracedat_meta(src).buffers.at(0).cpus.at(0);
    pages = slurp(sample("v7.dat")).substr(c.offset, 10 * 4096);
  }
  const std::string frame = zstd(pages);
  std::string one;
  add32(one, 12);
  for (int i = 0; i < 12; ++i) {
    add32(one, static_cast<std::uint32_t>(frame.size()));
    add32(one, static_cast<std::uint32_t>(pages.size()));
    one += frame;
  }
  std::string data;
  for (int i = 0; i < 300; ++i) data += one;
  std::string tail;
  const std::uint64_t size = one.size() - 4;  // trace-cmd leaves the chunk count out
  const std::string head = with_buffer(
      v7, 300,
      [&](std::uint32_t i, std::uint64_t& off, std::uint64_t& sz) {
        off = i * one.size();
        sz = size;
      },
      data, 0, tail, true);
  const auto p = scratch("cpus300-zstd.dat");
  put(p, head + tail);
  const std::uint64_t expected = count_events(p);
  EXPECT_GT(expected, 300000u);
  const Outcome r = read_limited(p);
  std::printf("  cpus300-zstd.dat: exit %d, peak RSS %ld KiB, %.2f s\n", r.status, r.maxrss_kib,
              r.seconds);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out.substr(0, r.out.find(' ')), std::to_string(expected)) << r.out;
  EXPECT_LT(r.maxrss_kib, 40 * 1024) << r.out;
}

// 8000 CPUs with one (empty) page each: more than one read may hold.
TEST(Limits, EightThousandCpusAreAnError) {
  std::string tail;
  const std::string head = with_buffer(
      slurp(sample("v7.dat")), 8000,
      [](std::uint32_t i, std::uint64_t& off, std::uint64_t& size) {
        off = std::uint64_t{i} * 4096;
        size = 4096;
      },
      {}, 8000ull * 4096, tail);
  const auto p = scratch("cpus8000.dat");
  put(p, head, 8000ull * 4096, tail);
  const Outcome r = read_limited(p, 1);
  expect_input_error(r, p, "8000 CPUs with data: ");
  EXPECT_NE(r.out.find("would exceed the reader's limit of 24 MiB"), std::string::npos) << r.out;
}

// Every CPU pointing at the same bytes: each would read (and decompress) them again.
TEST(Limits, OverlappingCpuDataIsAnError) {
  std::string tail;
  const std::string v7 = slurp(sample("v7.dat"));
  const std::string head = with_buffer(
      v7, 4000,
      [](std::uint32_t, std::uint64_t& off, std::uint64_t& size) {
        off = 0;
        size = 4096;
      },
      v7.substr(v7.size() - 8192, 4096), 0, tail);
  const auto p = scratch("overlap.dat");
  put(p, head + tail);
  const Outcome r = read_limited(p);
  expect_input_error(r, p, "cpu 1 data, offset 0x");
  EXPECT_NE(r.out.find("overlaps cpu 0 data"), std::string::npos) << r.out;
}

// v6: a size field followed by that many bytes (a hole) used to be read whole, and copied.
// `at`: where the `extra` bytes go in; the CPU data offsets after it move by as much.
std::string v6_grown(const std::string& v6, std::size_t at, std::uint64_t extra,
                     std::string& tail) {
  const std::size_t fly = v6.find(std::string("flyrecord\0", 10));
  EXPECT_GT(fly, at);
  tail = v6.substr(at);
  const std::size_t table = fly - at + 10;
  for (int cpu = 0; cpu < 2; ++cpu)
    if (get64(tail, table + 16 * cpu + 8) != 0)
      patch64(tail, table + 16 * cpu, get64(tail, table + 16 * cpu) + extra);
  return v6.substr(0, at);
}

TEST(Limits, V6SizesBackedByAHole) {
  const std::string v6 = slurp(sample("v6.dat"));
  const std::uint64_t hole = 200ull << 20;
  std::string cmdlines;
  {
    rtlat::TraceDatSource src(sample("v6.dat").string());
    cmdlines = rtlat::detail::tracedat_meta(src).cmdlines;
  }
  {
    // Saved cmdlines of 200 MiB.
    const std::size_t text = v6.find(cmdlines);
    ASSERT_NE(text, std::string::npos);
    ASSERT_EQ(get64(v6, text - 8), cmdlines.size());
    std::string tail;
    std::string head = v6_grown(v6, text + cmdlines.size(), hole, tail);
    patch64(head, text - 8, cmdlines.size() + hole);
    const auto p = scratch("v6-cmdlines.dat");
    put(p, head, hole, tail);
    const Outcome r = read_limited(p);
    expect_input_error(r, p, "section saved cmdlines, offset 0x");
    EXPECT_NE(r.out.find("saved cmdlines of " + std::to_string(cmdlines.size() + hole) +
                         " bytes: more than the reader's limit of 4 MiB"),
              std::string::npos)
        << r.out;
  }
  {
    // A 200 MiB CPUSTAT option, which nothing reads: skipped, the file reads.
    const std::size_t opts = v6.find(std::string("options  \0", 10)) + 10;
    std::string tail;
    std::string head = v6_grown(v6, opts, 6 + hole, tail);
    add16(head, 2);
    add32(head, static_cast<std::uint32_t>(hole));
    const auto p = scratch("v6-cpustat.dat");
    put(p, head, hole, tail);
    const Outcome r = read_limited(p);
    std::printf("  v6-cpustat.dat: exit %d, peak RSS %ld KiB\n", r.status, r.maxrss_kib);
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out.rfind("2725 events", 0), 0u) << r.out;
    EXPECT_LT(r.maxrss_kib, 16 * 1024) << r.out;
  }
}

// A chain of options sections, each a few hundred bytes of zstd that expand to 15 MiB: each is
// within the section limit, together they are far more metadata than any recording has.
TEST(Limits, ChainOfBigOptionsSections) {
  std::string s = slurp(sample("v7-zstd.dat"));
  const V7 v = v7_layout(s);
  std::uint64_t next = get64(s, v.options_at);  // the file's own options come last
  std::vector<std::string> sections;
  for (int i = 0; i < 10; ++i) {
    std::string opts;
    add16(opts, 99);  // an option id nothing reads
    add32(opts, 15u << 20);
    opts.append(15u << 20, '\0');
    add16(opts, 0);
    add32(opts, 8);
    add64(opts, next);
    std::string sec;
    add16(sec, 0);
    add16(sec, 1);  // compressed
    add32(sec, 0);
    const std::string z = zstd(opts);
    add64(sec, 8 + z.size());
    add32(sec, static_cast<std::uint32_t>(z.size()));
    add32(sec, static_cast<std::uint32_t>(opts.size()));
    sec += z;
    next = s.size();
    s += sec;
  }
  patch64(s, v.options_at, next);
  const auto p = scratch("options-chain.dat");
  put(p, s);
  const Outcome r = read_limited(p);
  expect_input_error(r, p, "metadata sections of more than 64 MiB in all: the reader's limit");
}

}  // namespace
