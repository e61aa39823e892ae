// Writes the seed corpus of a trace.dat fuzz target, from the samples in data/format:
//
//   make_seeds whole|meta|page OUTDIR FILE...
//
//   whole: each FILE rewritten in its own layout (version, compression, byte order, long size,
//          options) keeping two pages per CPU, the formats of the events rtlat decodes and
//          two ftrace formats, eight saved cmdlines, a three-line rtlat tgid map: small complete
//          files
//          and each v6 FILE once more without its TRACECLOCK option, which the writer then
//          makes empty, as `trace-cmd record` does, pointing at the clock text after the CPU
//          table (FILE's stem + "-clock-after-table.dat")
//   meta:  the same without any CPU data, for the metadata parser
//   page:  the first four pages of every CPU of every buffer, decompressed, each after the byte
//          that picks the matching layout of fuzz_tracedat_page (page_layouts.hpp), one input
//          per page and one with the four in a row
//
// Made at build time (tests/fuzz/CMakeLists.txt) so that no binary seed is committed.
#include <rtlat/source/tracedat.hpp>
#include "../support/tracedat_rewrite.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "page_layouts.hpp"

namespace fs = std::filesystem;
using namespace rtlat::detail;

namespace {

void put(const fs::path& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void rewrite(const fs::path& in, const fs::path& out, std::size_t pages,
             bool drop_clock_option = false) {
  const rtlat::TraceDatSource src(in.string());
  const TraceDatMeta& m = rtlat::detail::tracedat_meta(src);
  TraceDatRewriteOptions o;
  o.version = m.version;
  bool compressed = false;
  for (const auto& b : m.buffers) compressed = compressed || b.compressed;
  o.compression = compressed ? m.compression : Compression::none;
  o.big_endian = m.order.swap != host_is_big_endian();
  o.long4 = m.long_size == 4;
  o.chunk_pages = 1;  // more chunks, fewer bytes each
  o.keep_page = [pages](int, std::size_t i, const unsigned char*) { return i < pages; };
  // What an execution costs is mostly libtraceevent parsing formats: keep the events rtlat
  // decodes and two ftrace formats, a few cmdlines, no printk formats.
  o.keep_format = [](std::string_view sys, std::string_view text) {
    return sys != "ftrace" || text.rfind("name: print\n", 0) == 0 ||
           text.rfind("name: function\n", 0) == 0;
  };
  o.cmdlines_lines = 8;
  o.keep_printk = false;
  // rtlat live's tgid map, for the parser and for the pairs given in the middle of the stream.
  o.tgids = "1 1 0\n2 1 0\n3 3 5\n";
  if (drop_clock_option) o.drop_options = {opt_traceclock};
  TraceDatRewriter(in.string(), o).write(out.string());
}

// The seeds of one sample: itself rewritten, and a v6 one also without its TRACECLOCK option.
void rewrite_all(const fs::path& in, const fs::path& dir, std::size_t pages) {
  rewrite(in, dir / in.filename(), pages);
  if (rtlat::detail::tracedat_meta(rtlat::TraceDatSource(in.string())).version == 6)
    rewrite(in, dir / (in.stem().string() + "-clock-after-table.dat"), pages, true);
}

void cut_pages(const fs::path& in, const fs::path& dir) {
  const rtlat::TraceDatSource src(in.string());
  const TraceDatMeta& m = rtlat::detail::tracedat_meta(src);
  const char layout = static_cast<char>(rtlat_fuzz::page_layout_of(m));
  for (const auto& b : m.buffers) {
    if (b.latency) continue;
    for (const auto& c : b.cpus) {
      if (c.size == 0) continue;
      PageSource ps(rtlat::detail::tracedat_file(src), b, c, m.compression, m.order);
      const std::string name = in.stem().string() + (b.name.empty() ? "" : "-" + b.name) + "-cpu" +
                               std::to_string(c.cpu);
      std::string all(1, layout);
      for (int i = 0; i < 4; ++i) {
        const unsigned char* p = ps.next();
        if (p == nullptr) break;
        const std::string page(reinterpret_cast<const char*>(p), b.page_size);
        put(dir / (name + "-page" + std::to_string(i)), layout + page);
        all += page;
      }
      put(dir / (name + "-pages"), all);  // the target decodes up to four pages in a row
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: make_seeds whole|meta|page OUTDIR FILE...\n");
    return 2;
  }
  const std::string kind = argv[1];
  const fs::path dir = argv[2];
  fs::remove_all(dir);
  fs::create_directories(dir);
  try {
    for (int i = 3; i < argc; ++i) {
      const fs::path in = argv[i];
      if (kind == "whole")
        rewrite_all(in, dir, 2);
      else if (kind == "meta")
        rewrite_all(in, dir, 0);
      else if (kind == "page")
        cut_pages(in, dir);
      else
        return 2;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
