// trace.dat v7 sections: the header of each, and its data loaded (decompressed, streamed when
// compressed) within the reader's limits; kallsyms scanned in pieces instead of loaded.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rtlat/detail/tracedat/compression.hpp"
#include "rtlat/detail/tracedat/io.hpp"
#include "rtlat/detail/tracedat/kallsyms.hpp"
#include "rtlat/detail/tracedat/limits.hpp"
#include "rtlat/detail/tracedat/meta.hpp"
#include "rtlat/error.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// A v7 section: header (id, flags, string id, size), then the data, maybe compressed.
struct Section {
  std::uint16_t id = 0, flags = 0;
  std::uint64_t offset = 0, data_offset = 0, size = 0;
  bool compressed() const noexcept { return (flags & 1u) != 0; }
};

// Reads the sections of one file into `m` (one decompression context for all of them).
class SectionReader {
 public:
  SectionReader(const File& file, TraceDatMeta& m) : file_(file), m_(m) {}

  Section section_header(std::uint64_t off, const std::string& name) {
    FileCursor c(file_, off);
    c.order = m_.order;
    c.set_section(name);
    Section s;
    s.offset = off;
    s.id = c.u16("section id");
    s.flags = c.u16("section flags");
    (void)c.u32("section description");
    s.size = c.u64("section size");
    s.data_offset = c.pos();
    file_.check_range(s.data_offset, s.size, "section " + name);
    return s;
  }
  // The header of the section at `off`, checked to be section `want_id`.
  Section checked_section(std::uint64_t off, std::uint16_t want_id, const std::string& name) {
    const Section s = section_header(off, name);
    if (s.id != want_id)
      fail("section " + name + ", " + hex_offset(off),
           "section id " + std::to_string(s.id) + ", expected " + std::to_string(want_id));
    return s;
  }

  // The block of a section flagged compressed: a u32 compressed size, a u32 uncompressed size,
  // the data. Both sizes are checked against the section and against what the compression can
  // expand the compressed bytes to.
  struct Block {
    std::uint32_t csize = 0, usize = 0;
  };
  Block compressed_block(const Section& s, const std::string& name) {
    const std::string where = "section " + name + ", " + hex_offset(s.offset);
    if (m_.compression == Compression::none)
      fail(where, "section is flagged compressed but the file names no compression");
    if (s.size < 8)
      fail(where, "compressed section of " + std::to_string(s.size) +
                      " bytes, too short for its two sizes (8 bytes)");
    unsigned char h[8];
    file_.read_at(s.data_offset, h, 8, "section " + name);
    Block b{m_.order.u32(h), m_.order.u32(h + 4)};
    if (b.csize > s.size - 8)
      fail("section " + name + ", " + hex_offset(s.data_offset),
           "compressed size " + std::to_string(b.csize) + " larger than the section (" +
               std::to_string(s.size - 8) + " bytes after the sizes)");
    if (b.usize > std::uint64_t{b.csize} * max_expansion(m_.compression))
      fail("section " + name + ", " + hex_offset(s.data_offset),
           "absurd uncompressed size " + std::to_string(b.usize) + ": more than " +
               compression_name(m_.compression) + " can expand " + std::to_string(b.csize) +
               " bytes to");
    if (b.csize > max_compressed(m_.compression, b.usize))
      fail("section " + name + ", " + hex_offset(s.data_offset),
           "compressed size " + std::to_string(b.csize) + ": more than " +
               compression_name(m_.compression) + " writes for the " + std::to_string(b.usize) +
               " bytes announced uncompressed");
    return b;
  }

  // One decompression context for every metadata section of the file.
  Decompressor& meta_decompressor() {
    if (!meta_dec_) meta_dec_ = std::make_unique<Decompressor>(m_.compression);
    return *meta_dec_;
  }

  // Bounds the metadata decompressed and held in all, whatever chain of sections the file has.
  void count_loaded(std::uint64_t n, const std::string& where) {
    m_.metadata_loaded += n;
    if (m_.metadata_loaded > max_metadata_total)
      fail(where, "metadata sections of more than " + byte_count(max_metadata_total) +
                      " in all: the reader's limit");
  }

  // zstd may ask for a window as large as a frame's content: never more than any section here
  // may hold (a frame that needs more is an error, not an allocation).
  static constexpr unsigned section_window_log = 24;
  static_assert((1ull << section_window_log) >= max_section_bytes);

  // Loads a whole metadata section into `store`, at most `limit` bytes of it. A compressed one is
  // streamed: `store` grows only as real output arrives, and the output must be exactly the
  // size its header announces.
  void load_section(const Section& s, const std::string& name, std::uint64_t limit,
                    std::vector<unsigned char>& store) {
    const std::string where = "section " + name + ", " + hex_offset(s.offset);
    if (!s.compressed()) {
      if (s.size > limit) fail(where, over_limit("section", s.size, limit));
      count_loaded(s.size, where);
      store.resize(static_cast<std::size_t>(s.size));
      file_.read_at(s.data_offset, store.data(), store.size(), "section " + name);
      return;
    }
    const Block b = compressed_block(s, name);
    if (b.usize > limit)
      fail(where, "absurd uncompressed size: " + over_limit("section", b.usize, limit));
    count_loaded(b.usize, where);
    // Address space for the announced size, so that growing never copies; its pages become
    // resident only as output is written into them.
    store.clear();
    store.reserve(b.usize);
    bool longer = false;
    Decompressor& d = meta_decompressor();
    const char* err = d.stream(file_, s.data_offset + 8, b.csize, "section " + name,
                               section_window_log, [&](const unsigned char* p, std::size_t n) {
                                 if (n > b.usize - store.size()) return longer = true;
                                 store.insert(store.end(), p, p + n);
                                 return false;
                               });
    if (longer)
      err = Decompressor::longer;
    else if (err == nullptr && store.size() != b.usize)
      err = Decompressor::shorter;
    if (err != nullptr)
      fail("section " + name + ", " + hex_offset(s.data_offset),
           std::string("bad compressed data: ") + err);
  }

  // The kallsyms section read (and decompressed) in pieces, only as far as the one symbol we
  // need: a whole kallsyms is megabytes, all read and decompressed before the first event could
  // be decoded.
  void scan_kallsyms_section(std::uint64_t off, const std::string& name) {
    const Section s = checked_section(off, opt_kallsyms, name);
    KallsymsScan scan(kallsyms_symbol);
    // The section holds a u32 text size, then the text.
    unsigned char size_bytes[4];
    std::size_t have = 0;
    std::uint32_t text_left = 0;
    bool done = false, too_big = false;
    auto take = [&](const unsigned char* p, std::size_t n) {
      while (have < 4 && n != 0) {
        size_bytes[have++] = *p++;
        --n;
        if (have == 4) {
          text_left = m_.order.u32(size_bytes);
          if (text_left > max_kallsyms_bytes) return too_big = true;
        }
      }
      if (have < 4) return false;
      const std::size_t k = std::min<std::size_t>(n, text_left);
      text_left -= static_cast<std::uint32_t>(k);
      done = text_left == 0;
      return scan.feed(std::string_view(reinterpret_cast<const char*>(p), k)) || done;
    };
    if (!s.compressed()) {
      std::vector<unsigned char> buf;
      for (std::uint64_t pos = 0; pos < s.size;) {
        const std::size_t k =
            static_cast<std::size_t>(std::min<std::uint64_t>(s.size - pos, kallsyms_piece));
        buf.resize(k);
        file_.read_at(s.data_offset + pos, buf.data(), k, "section " + name);
        pos += k;
        if (take(buf.data(), k)) break;
      }
    } else {
      const Block b = compressed_block(s, name);
      Decompressor& d = meta_decompressor();
      if (const char* err = d.stream(file_, s.data_offset + 8, b.csize, "section " + name,
                                     section_window_log, take))
        fail("section " + name + ", " + hex_offset(s.data_offset),
             std::string("bad compressed data: ") + err);
    }
    if (too_big)
      fail("section " + name + ", " + hex_offset(off),
           over_limit("kallsyms text", text_left, max_kallsyms_bytes));
    if (!scan.finish() && (have < 4 || !done))
      fail("section " + name + ", " + hex_offset(off),
           "truncated: the kallsyms text ends before its recorded size");
    set_hrtimer_wakeup(m_, scan);
  }

  template <class F>
  void with_section(const Section& s, const std::string& name, std::uint64_t limit, F&& f) {
    std::vector<unsigned char> store;
    load_section(s, name, limit, store);
    Cursor cur(&file_.path(), name, store.data(), store.size(), m_.order, s.data_offset,
               s.compressed() ? "the decompressed section" : nullptr);
    f(cur);
  }
  template <class F>
  void with_section(std::uint64_t off, std::uint16_t id, const std::string& name,
                    std::uint64_t limit, F&& f) {
    with_section(checked_section(off, id, name), name, limit, std::forward<F>(f));
  }

 private:
  [[noreturn]] void fail(const std::string& where, const std::string& why) const {
    throw InputError(file_.path(), where, why);
  }

  const File& file_;
  TraceDatMeta& m_;
  std::unique_ptr<Decompressor> meta_dec_;
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
