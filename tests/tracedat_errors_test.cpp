// Broken trace.dat files: truncated at every section boundary (and every byte of the metadata),
// wrong magic, unsupported versions and compressions, absurd sizes, corrupt compressed data and
// corrupt pages. Each must give one InputError naming the file and the place, never a crash.
#include <gtest/gtest.h>

#include <rtlat/source/detect.hpp>
#include <rtlat/source/tracedat.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

// libtraceevent 1.7 leaks small buffers when tep_parse_event meets a cut-off format.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libtraceevent.so\n";
}

namespace fs = std::filesystem;

namespace {

struct Count {
  std::uint64_t n = 0;
  void feed(const rtlat::Event&) { ++n; }
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

fs::path sample(const char* name) {
  return fs::path(RTLAT_SOURCE_DIR) / "data" / "format" / name;
}

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(RTLAT_BINARY_DIR) / "tracedat_errors";
  fs::create_directories(dir);
  return dir / name;
}

void put(const fs::path& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Opens and reads everything; returns the InputError, or fails the test when none comes.
rtlat::InputError expect_error(const fs::path& p, const std::string& what_for,
                               const rtlat::TraceDatOptions& o = {}) {
  try {
    rtlat::TraceDatSource src(p.string(), o);
    Count c;
    src.read(c);
  } catch (const rtlat::InputError& e) {
    EXPECT_EQ(e.file(), p.string()) << what_for;
    EXPECT_FALSE(e.where().empty()) << what_for << ": " << e.what();
    EXPECT_FALSE(e.reason().empty()) << what_for;
    return e;
  }
  ADD_FAILURE() << what_for << ": no InputError";
  return rtlat::InputError("", "", "");
}

void patch32(std::string& s, std::size_t at, std::uint32_t v) {
  std::memcpy(&s[at], &v, 4);
}
void patch64(std::string& s, std::size_t at, std::uint64_t v) {
  std::memcpy(&s[at], &v, 8);
}

// Offsets where one part of a file ends and the next begins, from a parse of the intact file.
std::set<std::uint64_t> boundaries(const fs::path& p) {
  rtlat::TraceDatSource src(p.string());
  const auto& m = rtlat::detail::tracedat_meta(src);
  std::set<std::uint64_t> b = {0, 3, 10, 12, 13, 14, 18};
  for (const auto& buf : m.buffers)
    for (const auto& c : buf.cpus) {
      b.insert(c.offset);
      b.insert(c.offset + 4);
      b.insert(c.offset + c.size);
      for (std::uint64_t page = c.offset; page < c.offset + c.size; page += m.page_size)
        b.insert(page + 16);  // inside each page, after its header
    }
  return b;
}

class Truncated : public ::testing::TestWithParam<const char*> {};

// Cut at every byte of the metadata ahead of the first CPU data, at every part boundary, and at
// every 997th byte of the rest: every cut must be reported, none may crash.
TEST_P(Truncated, EveryCutIsAnInputError) {
  const fs::path in = sample(GetParam());
  const std::string whole = slurp(in);
  ASSERT_GT(whole.size(), 1000u);
  std::uint64_t first_data = whole.size();
  {
    rtlat::TraceDatSource src(in.string());
    for (const auto& buf : rtlat::detail::tracedat_meta(src).buffers)
      for (const auto& c : buf.cpus)
        if (c.size != 0) first_data = std::min(first_data, c.offset);
  }
  std::set<std::uint64_t> cuts = boundaries(in);
  for (std::uint64_t i = 0; i < std::min<std::uint64_t>(first_data, 6000); ++i) cuts.insert(i);
  for (std::uint64_t i = 0; i < whole.size(); i += 997) cuts.insert(i);
  for (std::uint64_t i = whole.size() - 64; i < whole.size(); ++i) cuts.insert(i);
  const fs::path out = scratch(std::string("cut-") + GetParam());
  std::size_t n = 0;
  for (std::uint64_t cut : cuts) {
    if (cut >= whole.size()) continue;
    put(out, whole.substr(0, cut));
    const auto e = expect_error(out, std::string(GetParam()) + " cut at " + std::to_string(cut));
    if (::testing::Test::HasFailure()) return;
    ++n;
  }
  EXPECT_GT(n, 100u);
}

INSTANTIATE_TEST_SUITE_P(Samples, Truncated,
                         ::testing::Values("v6.dat", "v7.dat", "v7-zstd.dat", "v7-zlib.dat",
                                           "be32.dat", "instance-v6.dat"));

TEST(Errors, WrongMagic) {
  std::string s = slurp(sample("v6.dat"));
  s[0] = 'X';
  const auto p = scratch("magic.dat");
  put(p, s);
  EXPECT_FALSE(rtlat::is_tracedat(p.string()));
  EXPECT_TRUE(rtlat::is_tracedat(sample("v6.dat").string()));
  const auto e = expect_error(p, "magic");
  EXPECT_NE(std::string(e.what()).find("wrong magic"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("initial header"), std::string::npos) << e.what();
}

TEST(Errors, MissingFile) {
  EXPECT_THROW(rtlat::is_tracedat("/nonexistent/trace.dat"), rtlat::InputError);
  EXPECT_THROW(rtlat::TraceDatSource("/nonexistent/trace.dat"), rtlat::InputError);
}

TEST(Errors, UnsupportedVersion) {
  std::string s = slurp(sample("v6.dat"));
  s[10] = '8';
  const auto p = scratch("version.dat");
  put(p, s);
  const auto e = expect_error(p, "version");
  EXPECT_NE(e.reason().find("unsupported trace.dat version \"8\""), std::string::npos) << e.what();
}

TEST(Errors, UnsupportedCompression) {
  std::string s = slurp(sample("v7-zstd.dat"));
  ASSERT_EQ(s.substr(18, 5), std::string("zstd\0", 5));
  s[20] = 'x';  // "zsxd"
  const auto p = scratch("compression.dat");
  put(p, s);
  const auto e = expect_error(p, "compression");
  EXPECT_NE(e.reason().find("unsupported compression \"zsxd\""), std::string::npos) << e.what();
}

TEST(Errors, AbsurdHeaderPageSize) {
  std::string s = slurp(sample("v6.dat"));
  ASSERT_EQ(s.substr(18, 12), std::string("header_page\0", 12));
  patch64(s, 30, 0xffffffffffull);
  const auto p = scratch("header-size.dat");
  put(p, s);
  const auto e = expect_error(p, "header_page size");
  EXPECT_NE(e.where().find("section header info"), std::string::npos) << e.what();
  EXPECT_NE(e.reason().find("header_page of 1099511627775 bytes: more than the reader's limit"),
            std::string::npos)
      << e.what();
}

TEST(Errors, AbsurdPageSize) {
  std::string s = slurp(sample("v6.dat"));
  patch32(s, 14, 0x7fffffff);
  const auto p = scratch("page-size.dat");
  put(p, s);
  const auto e = expect_error(p, "page size");
  EXPECT_NE(e.reason().find("absurd page size"), std::string::npos) << e.what();
}

// v6 cpu data offsets sit right after "flyrecord\0": point one past the end of the file.
TEST(Errors, CpuDataPastTheEnd) {
  std::string s = slurp(sample("v6.dat"));
  const std::size_t fly = s.find(std::string("flyrecord\0", 10));
  ASSERT_NE(fly, std::string::npos);
  patch64(s, fly + 10 + 8, 1ull << 40);  // cpu 0 size
  const auto p = scratch("cpu-size.dat");
  put(p, s);
  const auto e = expect_error(p, "cpu size");
  EXPECT_NE(e.where().find("cpu 0 data"), std::string::npos) << e.what();
  EXPECT_NE(e.reason().find("past the end of the file"), std::string::npos) << e.what();
}

struct ChunkPlace {
  std::uint64_t cpu_offset;
  std::string bytes;
};
ChunkPlace first_chunk(const char* name) {
  rtlat::TraceDatSource src(sample(name).string());
  const auto& c = rtlat::detail::tracedat_meta(src).buffers.at(0).cpus.at(0);
  return {c.offset, slurp(sample(name))};
}

TEST(Errors, AbsurdChunkCount) {
  auto [off, s] = first_chunk("v7-zstd.dat");
  patch32(s, off, 0xfffffff0u);
  const auto p = scratch("chunk-count.dat");
  put(p, s);
  const auto e = expect_error(p, "chunk count");
  EXPECT_NE(e.where().find("cpu 0 data"), std::string::npos) << e.what();
  EXPECT_NE(e.reason().find("chunks announced"), std::string::npos) << e.what();
}

TEST(Errors, AbsurdChunkSize) {
  auto [off, s] = first_chunk("v7-zstd.dat");
  patch32(s, off + 4, 0x7ffffff0u);  // compressed size of chunk 0
  const auto p = scratch("chunk-size.dat");
  put(p, s);
  const auto e = expect_error(p, "chunk size");
  EXPECT_NE(e.reason().find("extends past the cpu data"), std::string::npos) << e.what();
  auto [off2, s2] = first_chunk("v7-zstd.dat");
  patch32(s2, off2 + 8, 0x7ffff000u);  // uncompressed size
  put(p, s2);
  const auto e2 = expect_error(p, "chunk usize");
  EXPECT_NE(e2.reason().find("absurd chunk size"), std::string::npos) << e2.what();
  auto [off3, s3] = first_chunk("v7-zstd.dat");
  patch32(s3, off3 + 8, 12345);
  put(p, s3);
  const auto e3 = expect_error(p, "chunk not page aligned");
  EXPECT_NE(e3.reason().find("not a multiple of the page size"), std::string::npos) << e3.what();
  // More compressed bytes than zstd writes for what the chunk says it holds.
  for (const char* name : {"v7-zstd.dat", "v7-zlib.dat"}) {
    auto [off4, s4] = first_chunk(name);
    std::uint32_t csize;
    std::memcpy(&csize, &s4[off4 + 4], 4);
    patch32(s4, off4 + 8, 0);
    put(p, s4);
    const auto e4 = expect_error(p, "chunk of 0 bytes");
    EXPECT_EQ(e4.reason(), "absurd chunk size (" + std::to_string(csize) +
                               " compressed, 0 uncompressed: more than " +
                               std::string(name).substr(3, 4) + " writes for 0 bytes)");
  }
}

TEST(Errors, BadCompressedData) {
  for (const char* name : {"v7-zstd.dat", "v7-zlib.dat"}) {
    auto [off, s] = first_chunk(name);
    for (int i = 0; i < 4; ++i) s[off + 12 + static_cast<std::uint64_t>(i)] ^= 0x5a;
    const auto p = scratch(std::string("bad-") + name);
    put(p, s);
    const auto e = expect_error(p, name);
    EXPECT_NE(e.reason().find("bad compressed data"), std::string::npos) << e.what();
    EXPECT_NE(e.where().find("chunk at offset 0x"), std::string::npos) << e.what();
  }
}

TEST(Errors, BadCompressedSection) {
  // The header info section is the first one after the file header; corrupt its zstd frame.
  std::string s = slurp(sample("v7-zstd.dat"));
  const std::size_t hdr =
      s.find('\0', s.find('\0', 18) + 1) + 1 + 8;      // after name, version, offset
  ASSERT_EQ(static_cast<unsigned char>(s[hdr]), 16u);  // HEADER_INFO section id
  for (int i = 0; i < 4; ++i) s[hdr + 16 + 8 + static_cast<std::size_t>(i)] ^= 0x5a;
  const auto p = scratch("bad-section.dat");
  put(p, s);
  const auto e = expect_error(p, "section");
  EXPECT_NE(e.where().find("section header info"), std::string::npos) << e.what();
  EXPECT_NE(e.reason().find("bad compressed data"), std::string::npos) << e.what();
}

TEST(Errors, CompressedSectionLargerThanItsContent) {
  std::string s = slurp(sample("v7-zstd.dat"));
  const std::size_t hdr = s.find('\0', s.find('\0', 18) + 1) + 1 + 8;
  ASSERT_EQ(static_cast<unsigned char>(s[hdr]), 16u);
  patch32(s, hdr + 20, 1);  // the header info's uncompressed size; 254 bytes compressed
  const auto p = scratch("section-bound.dat");
  put(p, s);
  const auto e = expect_error(p, "section bound");
  EXPECT_NE(e.where().find("section header info, offset 0x"), std::string::npos) << e.what();
  EXPECT_EQ(e.reason(),
            "compressed size 254: more than zstd writes for the 1 bytes announced uncompressed");
}

TEST(Errors, CorruptPages) {
  rtlat::TraceDatSource src(sample("v6.dat").string());
  const auto& c = rtlat::detail::tracedat_meta(src).buffers.at(0).cpus.at(0);
  const std::string whole = slurp(sample("v6.dat"));
  const auto p = scratch("page.dat");
  {
    std::string s = whole;
    patch64(s, c.offset + 8, 0x7ffffff);  // commit larger than the page
    put(p, s);
    const auto e = expect_error(p, "commit");
    EXPECT_NE(e.where().find("cpu 0 data, page at offset 0x"), std::string::npos) << e.what();
    EXPECT_NE(e.reason().find("commit size larger than the page"), std::string::npos) << e.what();
  }
  {
    // First record: a type_len 0 record whose length runs past the commit size.
    std::string s = whole;
    patch32(s, c.offset + 16, 0);
    patch32(s, c.offset + 20, 0x10000);
    put(p, s);
    const auto e = expect_error(p, "record length");
    EXPECT_NE(e.where().find("record at byte"), std::string::npos) << e.what();
    EXPECT_NE(e.reason().find("past the commit size"), std::string::npos) << e.what();
  }
}

// The same corruption found by a worker thread reaches the caller as the same InputError, after
// the events before it.
TEST(Errors, CorruptPageInAWorkerThread) {
  const std::string whole = slurp(sample("v6.dat"));
  rtlat::TraceDatSource v6(sample("v6.dat").string());
  const auto& c1 = rtlat::detail::tracedat_meta(v6).buffers.at(0).cpus.at(1);
  std::string s = whole;
  patch64(s, c1.offset + 8, 0x7ffffff);  // cpu 1, first page: commit larger than the page
  const auto p = scratch("page-threads.dat");
  put(p, s);
  rtlat::TraceDatOptions o;
  o.decode_threads = 2;
  const auto e = expect_error(p, "worker", o);
  EXPECT_NE(e.where().find("cpu 1 data, page at offset 0x"), std::string::npos) << e.what();
  // A sink that takes the batches as views is told to copy what it holds before they go, on the
  // way out with the error too.
  struct Views {
    bool released = false;
    void feed(const rtlat::Event&) {}
    void feed_view(const rtlat::Event&) {}
    void retire_views(const rtlat::Event*, const rtlat::Event*) {}
    void release_views() { released = true; }
  } views;
  rtlat::TraceDatSource src(p.string(), o);
  EXPECT_THROW(src.read(views), rtlat::InputError);
  EXPECT_TRUE(views.released);
}

TEST(Errors, UnknownBuffer) {
  rtlat::TraceDatOptions o;
  o.buffer = "nope";
  try {
    rtlat::TraceDatSource src(sample("instance.dat").string(), o);
    FAIL() << "no error";
  } catch (const rtlat::InputError& e) {
    EXPECT_NE(e.reason().find("no buffer named \"nope\" (buffers: \"\", \"rtlat_fmt\")"),
              std::string::npos)
        << e.what();
  }
}

TEST(Errors, OptionsLoop) {
  // Point the v7 DONE option of the options section back at itself.
  std::string s = slurp(sample("v7.dat"));
  const std::size_t first = s.find('\0', s.find('\0', 18) + 1) + 1;  // after "none\0" "\0"
  std::uint64_t opts;
  std::memcpy(&opts, &s[first], 8);
  ASSERT_LT(opts, s.size());
  // The DONE option is the last 14 bytes of the section: id 0, size 8, next offset.
  std::uint64_t size;
  std::memcpy(&size, &s[opts + 8], 8);
  const std::size_t done = opts + 16 + size - 8;
  patch64(s, done, opts);
  const auto p = scratch("loop.dat");
  put(p, s);
  const auto e = expect_error(p, "loop");
  EXPECT_NE(e.reason().find("loop"), std::string::npos) << e.what();
}

}  // namespace

namespace {

// A read that runs out of file says how much it needed, where, and how much was left.
TEST(Messages, TruncationSaysWhatWasLeftWhere) {
  const std::string whole = slurp(sample("v6.dat"));
  const std::size_t first_option = whole.find(std::string("options  \0", 10)) + 10;
  const auto p = scratch("cut-option.dat");
  put(p, whole.substr(0, first_option));
  const auto e = expect_error(p, "cut before an option id");
  char at[32];
  std::snprintf(at, sizeof at, "0x%zx", first_option);
  EXPECT_EQ(e.where(), std::string("section options (option id), offset ") + at);
  EXPECT_EQ(e.reason(), std::string("truncated: needs 2 bytes at offset ") + at +
                            ", 0 left (file size " + std::to_string(first_option) + ")");
  // Cut one byte into the 10-byte options tag.
  put(p, whole.substr(0, first_option - 9));
  const auto e2 = expect_error(p, "cut inside the options tag");
  EXPECT_NE(e2.reason().find("bytes at offset 0x"), std::string::npos) << e2.what();
  EXPECT_NE(e2.reason().find(" left (file size " + std::to_string(first_option - 9) + ")"),
            std::string::npos)
      << e2.what();
}

// A kallsyms the file cannot hold is reported for the whole text, not for the first piece read
// (the example in README's errors section).
TEST(Messages, TruncatedKallsymsNamesItsSize) {
  const fs::path rec = fs::path(RTLAT_SOURCE_DIR) / "data" / "misprio.dat";
  const auto p = scratch("truncated.dat");
  put(p, slurp(rec).substr(0, 100000));
  const auto e = expect_error(p, "misprio.dat cut at 100000");
  EXPECT_EQ(e.where(), "section kallsyms (kallsyms), offset 0x5298");
  EXPECT_EQ(e.reason(),
            "extends past the end of the file: 5388731 bytes at offset 0x5298, 78856 left (file "
            "size 100000)");
}

// Inside a v7 section the cursor says what it needed and what the section had left.
TEST(Messages, TruncationInsideASection) {
  std::string s = slurp(sample("v7.dat"));
  const std::size_t hdr = s.find('\0', s.find('\0', 18) + 1) + 1 + 8;  // the header info section
  ASSERT_EQ(static_cast<unsigned char>(s[hdr]), 16u);
  patch64(s, hdr + 16 + 12, 1000);  // header_page size, the section holds 451 bytes
  const auto p = scratch("section-cut.dat");
  put(p, s);
  const auto e = expect_error(p, "header_page past its section");
  EXPECT_NE(e.where().find("section header info, offset 0x"), std::string::npos) << e.what();
  EXPECT_EQ(e.reason(),
            "truncated: header_page needs 1000 bytes, 431 left in the section (section size 451)");
}

// Formats that cannot be parsed are named, each with the reason, when their events occur: a
// note after reading counts the events skipped, the first four formats named.
TEST(Messages, UnparsedFormatsAreNamedWithTheReason) {
  const std::string whole = slurp(sample("v6.dat"));
  struct Tally {
    std::uint64_t wakeups = 0, switches = 0, events = 0;
    void feed(const rtlat::Event& e) {
      wakeups += e.kind == rtlat::EventKind::sched_wakeup;
      switches += e.kind == rtlat::EventKind::sched_switch;
      ++events;
    }
  };
  Tally intact;
  rtlat::TraceDatSource(sample("v6.dat").string()).read(intact);
  ASSERT_GT(intact.wakeups, 1u);
  {
    std::string s = whole;
    const std::size_t at = s.find("name: sched_wakeup\n");
    ASSERT_NE(at, std::string::npos);
    s.replace(s.find("\nformat:\n", at), 9, "\nformaX:\n");
    const auto p = scratch("format-one.dat");
    put(p, s);
    rtlat::TraceDatSource src(p.string());
    EXPECT_TRUE(src.notes().empty());  // not before the data shows such events
    Tally c;
    src.read(c);
    EXPECT_EQ(c.wakeups, 0u);
    EXPECT_EQ(src.info().skipped, intact.wakeups);
    ASSERT_EQ(src.notes().size(), 1u);
    EXPECT_EQ(src.notes()[0], std::to_string(intact.wakeups) +
                                  " events of unparsable format sched:sched_wakeup (line 3 is not "
                                  "\"format:\") skipped");
  }
  {
    // A broken format whose events the file does not hold is not worth a note.
    std::string s = whole;
    const std::size_t at = s.find("name: user_stack\n");
    ASSERT_NE(at, std::string::npos);
    s.replace(s.find("\nformat:\n", at), 9, "\nformaX:\n");
    const auto p = scratch("format-absent.dat");
    put(p, s);
    rtlat::TraceDatSource src(p.string());
    ASSERT_EQ(rtlat::detail::tracedat_meta(src).format_failures, 1);
    Tally c;
    src.read(c);
    EXPECT_EQ(c.events, intact.events);
    EXPECT_TRUE(src.notes().empty());
  }
  {
    // Every format but sched_switch's broken (one parsed format gives the common header, so
    // the others' ids can be read): the formats whose events occur are named, four of them, the
    // rest counted.
    std::string s = whole;
    const std::size_t keep = s.find("\nformat:\n", s.find("name: sched_switch\n"));
    for (std::size_t at = 0; (at = s.find("\nformat:\n", at)) != std::string::npos; ++at)
      if (at != keep) s.replace(at, 9, "\nformaX:\n");
    const auto p = scratch("format-all.dat");
    put(p, s);
    rtlat::TraceDatSource src(p.string());
    EXPECT_TRUE(src.notes().empty());
    Tally c;
    src.read(c);
    EXPECT_EQ(c.events, intact.switches);
    ASSERT_EQ(src.notes().size(), 5u) << src.notes()[0];
    std::uint64_t named = 0;
    for (const std::string& n : src.notes()) named += std::stoull(n);
    EXPECT_EQ(named, intact.events - intact.switches);  // every other record is named
    EXPECT_EQ(src.notes()[4].find(" events of "), src.notes()[4].find(' '));
    EXPECT_NE(src.notes()[4].find(" more unparsable formats skipped"), std::string::npos)
        << src.notes()[4];
  }
  {
    // The name as far as the format text gives one, and the id when it gives one.
    rtlat::detail::TraceDatMeta m;
    m.tep.reset(tep_alloc());
    rtlat::detail::parse_one_format(m, "name: x y\nID: 12\nformat:\n", "sys");
    rtlat::detail::parse_one_format(m, std::string("\0\0\0", 3), "sys");
    ASSERT_EQ(m.failed_formats.size(), 2u);
    EXPECT_EQ(m.failed_formats[0].what, "sys:? (line 1 is not \"name: NAME\")");
    EXPECT_EQ(m.failed_formats[0].id, 12);
    EXPECT_EQ(m.failed_formats[1].what, "sys:? (line 1 holds a control or non-ASCII byte)");
    EXPECT_EQ(m.failed_formats[1].id, -1);
  }
}

// CPU ids and counts at or above rtlat::max_cpus are errors where they are read, in every path.
TEST(Messages, CpuBeyondTheLimit) {
  {
    std::string s = slurp(sample("v6.dat"));
    const std::size_t opts = s.find(std::string("options  \0", 10));
    patch32(s, opts - 4, 8193);  // the v6 cpu count
    const auto p = scratch("v6-cpus.dat");
    put(p, s);
    const auto e = expect_error(p, "v6 cpu count");
    char at[32];
    std::snprintf(at, sizeof at, "0x%zx", opts - 4);
    EXPECT_EQ(e.where(), std::string("section cpu count, offset ") + at);
    EXPECT_EQ(e.reason(),
              "cpu count 8193: more than the 8192 CPUs rtlat handles (rtlat::max_cpus)");
  }
  // v7.dat: its one options section, uncompressed, holds CPUCOUNT and the BUFFER option.
  const std::string v7 = slurp(sample("v7.dat"));
  std::size_t cpucount = 0, buffer = 0;
  {
    std::uint64_t at;
    std::memcpy(&at, &v7[v7.find('\0', v7.find('\0', 18) + 1) + 1], 8);
    std::uint64_t size;
    std::memcpy(&size, &v7[at + 8], 8);
    for (std::size_t o = at + 16; o < at + 16 + size;) {
      std::uint16_t id;
      std::uint32_t n;
      std::memcpy(&id, &v7[o], 2);
      std::memcpy(&n, &v7[o + 2], 4);
      if (id == 8) cpucount = o + 6;
      if (id == 3) buffer = o + 6;
      o += 6 + n;
    }
  }
  ASSERT_NE(cpucount, 0u);
  ASSERT_NE(buffer, 0u);
  {
    std::string s = v7;
    patch32(s, cpucount, 9000);
    const auto p = scratch("v7-cpucount.dat");
    put(p, s);
    const auto e = expect_error(p, "CPUCOUNT");
    EXPECT_NE(e.where().find("section options"), std::string::npos) << e.what();
    EXPECT_EQ(e.reason(),
              "CPUCOUNT option: cpu count 9000: more than the 8192 CPUs rtlat handles "
              "(rtlat::max_cpus)");
  }
  // BUFFER option: offset, name "", clock, page size, cpu count, then (id, offset, size).
  const std::size_t count = buffer + 8 + v7.substr(buffer + 8).find('\0') + 1;
  const std::size_t cpus = count + v7.substr(count).find('\0') + 1 + 4;
  {
    std::string s = v7;
    patch32(s, cpus, 8193);
    const auto p = scratch("v7-buffer-cpus.dat");
    put(p, s);
    const auto e = expect_error(p, "buffer cpu count");
    EXPECT_EQ(e.where(), "section options (BUFFER option), byte " + std::to_string(cpus - buffer) +
                             " of the option");
    EXPECT_EQ(e.reason(),
              "buffer cpu count 8193: more than the 8192 CPUs rtlat handles (rtlat::max_cpus)");
  }
  {
    std::string s = v7;
    patch32(s, cpus + 4, 8192);  // the first cpu id
    const auto p = scratch("v7-cpu-id.dat");
    put(p, s);
    const auto e = expect_error(p, "cpu id");
    EXPECT_EQ(e.where(), "section options (BUFFER option), byte " +
                             std::to_string(cpus + 4 - buffer) + " of the option");
    EXPECT_EQ(e.reason(), "cpu id 8192: at or above the 8192 CPUs rtlat handles (rtlat::max_cpus)");
  }
}

// The number of formats is bounded (libtraceevent inserts each into a sorted array): 16385 tiny
// ftrace formats in a v6 file.
TEST(Limits, TooManyFormats) {
  const std::string whole = slurp(sample("v6.dat"));
  const std::size_t he = whole.find("header_event");
  ASSERT_NE(he, std::string::npos);
  std::uint64_t he_size;
  std::memcpy(&he_size, &whole[he + 13], 8);
  const std::size_t formats = he + 13 + 8 + he_size;  // the ftrace format count
  std::string s = whole.substr(0, formats);
  const std::uint32_t n = rtlat::detail::max_formats + 1;
  s.append(reinterpret_cast<const char*>(&n), 4);
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint64_t one = 1;
    s.append(reinterpret_cast<const char*>(&one), 8);
    s += 'x';
  }
  const auto p = scratch("formats.dat");
  put(p, s);
  const auto e = expect_error(p, "formats");
  EXPECT_NE(e.where().find("section ftrace formats, offset 0x"), std::string::npos) << e.what();
  EXPECT_EQ(e.reason(), "more than 16384 event formats: the reader's limit");
}

}  // namespace
