// The trace clock of a version 6 trace.dat. trace-cmd stores the trace_clock file's text after
// the top buffer's CPU table and looks there only when a TRACECLOCK option is present (empty, as
// `trace-cmd record` writes it, or holding the text as well). The writer announces the text it
// stores; the reader takes the bracketed clock from it, within its option limit.
#include <gtest/gtest.h>

#include <rtlat/detail/tracedat/metadata.hpp>
#include <rtlat/detail/tracedat/writer.hpp>
#include <rtlat/source/tracedat.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
using rtlat::detail::MetadataBlocks;
using rtlat::detail::opt_traceclock;

namespace {

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(RTLAT_BINARY_DIR) / "tracedat_clock";
  fs::create_directories(dir);
  return dir / name;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void put(const fs::path& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::uint64_t get64(const std::string& s, std::size_t at) {
  std::uint64_t v = 0;
  std::memcpy(&v, s.data() + at, 8);  // the files here are little endian, as the test host
  return v;
}

// tiny-v6.dat's metadata without its TRACECLOCK option (trace-cmd 3.1 put the text there too),
// as an older trace-cmd, or rtlat before it announced the text, would leave it.
MetadataBlocks blocks_without_clock() {
  MetadataBlocks b = rtlat::detail::read_metadata_blocks(
      (fs::path(RTLAT_SOURCE_DIR) / "data" / "format" / "tiny-v6.dat").string());
  b.options.erase(std::remove_if(b.options.begin(), b.options.end(),
                                 [](const auto& o) { return o.first == opt_traceclock; }),
                  b.options.end());
  return b;
}

constexpr int cpus = 2;

// A v6 file of `blocks` with a top buffer and no CPU data.
std::string v6_file(const std::string& trace_clock, const MetadataBlocks& blocks) {
  rtlat::detail::TraceDatLayout l;
  l.version = 6;
  l.compression = rtlat::detail::Compression::none;
  l.cpus = cpus;
  l.trace_clock = trace_clock;
  return rtlat::detail::tracedat_bytes(l, blocks, {rtlat::detail::BufferPages{}});
}

// Where the text after the top buffer's CPU table starts (its 8-byte size).
std::size_t clock_at(const std::string& file, int n_cpus) {
  return file.find(std::string("flyrecord\0", 10)) + 10 + 16 * static_cast<std::size_t>(n_cpus);
}

using Opt = std::pair<std::uint16_t, std::uint32_t>;  // id, size

// The (id, size) of each v6 option as stored.
std::vector<Opt> v6_options(const std::string& file) {
  std::vector<Opt> out;
  std::size_t at = file.find(std::string("options  \0", 10)) + 10;
  for (;;) {
    std::uint16_t id = 0;
    std::uint32_t size = 0;
    std::memcpy(&id, file.data() + at, 2);
    if (id == 0) return out;
    std::memcpy(&size, file.data() + at + 2, 4);
    out.emplace_back(id, size);
    at += 6 + size;
  }
}

std::string clock_of(const fs::path& p) {
  const rtlat::TraceDatSource src(p.string());
  return rtlat::detail::tracedat_meta(src).clock;
}

rtlat::InputError open_error(const fs::path& p) {
  try {
    const rtlat::TraceDatSource src(p.string());
  } catch (const rtlat::InputError& e) {
    EXPECT_EQ(e.file(), p.string());
    return e;
  }
  ADD_FAILURE() << p << ": no InputError";
  return rtlat::InputError("", "", "");
}

std::string hex(std::size_t v) {
  char s[32];
  std::snprintf(s, sizeof s, "0x%zx", v);
  return s;
}

TEST(Version6Clock, TheWriterAnnouncesTheTextAndTheReaderTakesIt) {
  const MetadataBlocks blocks = blocks_without_clock();
  const std::string file = v6_file("local global [mono]", blocks);
  const auto options = v6_options(file);
  EXPECT_EQ(std::count(options.begin(), options.end(), Opt{opt_traceclock, 0}), 1);
  const std::size_t at = clock_at(file, cpus);
  EXPECT_EQ(get64(file, at), 19u);
  EXPECT_EQ(file.substr(at + 8, 19), "local global [mono]");

  const fs::path p = scratch("mono-v6.dat");
  put(p, file);
  const rtlat::TraceDatSource src(p.string());
  EXPECT_EQ(rtlat::detail::tracedat_meta(src).clock, "mono");
  EXPECT_EQ(src.info().clock_monotonic, std::optional<bool>(true));
  // The empty option is the layout's, not metadata handed out: written back, it is made again.
  EXPECT_EQ(rtlat::detail::read_metadata_blocks(p.string()).options, blocks.options);
  EXPECT_EQ(v6_file("local global [mono]", rtlat::detail::read_metadata_blocks(p.string())), file);
}

// trace-cmd 3.1 writes the option with the text and the selected clock after the table; its
// reader parses the option's text, then the text after the table, which wins.
TEST(Version6Clock, TheTextAfterTheTableWinsOverTheOptions) {
  MetadataBlocks blocks = blocks_without_clock();
  blocks.options.insert(blocks.options.begin(),
                        {opt_traceclock, std::string("[local] global mono\n") + '\0'});
  const std::string file = v6_file("local global [mono]", blocks);
  const auto options = v6_options(file);
  ASSERT_FALSE(options.empty());
  EXPECT_EQ(options[0], (Opt{opt_traceclock, 21}));
  EXPECT_EQ(std::count_if(options.begin(), options.end(),
                          [](const auto& o) { return o.first == opt_traceclock; }),
            1);
  const fs::path p = scratch("option-local-text-mono.dat");
  put(p, file);
  EXPECT_EQ(clock_of(p), "mono");
  // No text after the table (an empty trace_clock): the option's clock stands.
  const fs::path q = scratch("option-local-no-text.dat");
  put(q, v6_file("", blocks));
  EXPECT_EQ(clock_of(q), "local");
}

// misprio.dat, recorded by `trace-cmd record --file-version 6` (3.1.6): `trace-cmd dump --clock`
// shows "[local]" after its CPU table, and `local` is what the reader takes. With that text made
// "[mono] " in a copy, trace-cmd dump shows [mono], and so does the reader.
TEST(Version6Clock, ARecordingOfTraceCmd) {
  const fs::path rec = fs::path(RTLAT_SOURCE_DIR) / "data" / "misprio.dat";
  {
    const rtlat::TraceDatSource src(rec.string());
    EXPECT_EQ(rtlat::detail::tracedat_meta(src).version, 6);
    EXPECT_EQ(rtlat::detail::tracedat_meta(src).clock, "local");
    EXPECT_EQ(src.info().clock_monotonic, std::optional<bool>(false));
  }
  std::string file = slurp(rec);
  const std::size_t at = clock_at(file, 2);
  ASSERT_EQ(get64(file, at), 7u);
  ASSERT_EQ(file.substr(at + 8, 7), "[local]");
  file.replace(at + 8, 7, "[mono] ");
  const fs::path p = scratch("misprio-mono.dat");
  put(p, file);
  const rtlat::TraceDatSource src(p.string());
  EXPECT_EQ(rtlat::detail::tracedat_meta(src).clock, "mono");
  EXPECT_EQ(src.info().clock_monotonic, std::optional<bool>(true));
  fs::remove(p);
}

TEST(Version6Clock, ATextBeyondTheLimitIsAnError) {
  std::string file = v6_file("local global [mono]", blocks_without_clock());
  const std::size_t at = clock_at(file, cpus);
  const std::uint64_t huge = 1u << 20;
  std::memcpy(&file[at], &huge, 8);
  const fs::path p = scratch("clock-too-large.dat");
  put(p, file);
  const rtlat::InputError e = open_error(p);
  EXPECT_EQ(e.where(), "section trace clock, offset " + hex(at));
  EXPECT_EQ(e.reason(),
            "trace clock text of 1048576 bytes: more than the reader's limit of 65536 bytes");
}

TEST(Version6Clock, ATruncatedTextIsAnError) {
  const std::string file = v6_file("local global [mono]", blocks_without_clock());
  const std::size_t at = clock_at(file, cpus);
  ASSERT_EQ(file.size(), at + 8 + 19);
  const fs::path p = scratch("clock-truncated.dat");
  put(p, file.substr(0, at + 8 + 5));
  const rtlat::InputError e = open_error(p);
  EXPECT_EQ(e.where(), "section trace clock (trace clock text), offset " + hex(at + 8));
  EXPECT_EQ(e.reason(), "extends past the end of the file: 19 bytes at offset " + hex(at + 8) +
                            ", 5 left (file size " + std::to_string(at + 13) + ")");
  put(p, file.substr(0, at + 3));
  const rtlat::InputError e2 = open_error(p);
  EXPECT_EQ(e2.where(), "section trace clock (trace clock size), offset " + hex(at));
  EXPECT_EQ(e2.reason(), "truncated: needs 8 bytes at offset " + hex(at) + ", 3 left (file size " +
                             std::to_string(at + 3) + ")");
}

}  // namespace
