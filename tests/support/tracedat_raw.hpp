// The metadata of a trace.dat exactly as stored (formats, kallsyms, printk formats, cmdlines,
// options), in the writer's vocabulary (MetadataBlocks), for the test rewriter
// (tracedat_rewrite.hpp), which copies it into the files it makes. The reader keeps none of it:
// it parses what it needs and skips the rest. Reads trusted files (the recordings in data/)
// whole; errors are std::runtime_error.
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rtlat/detail/tracedat/bytes.hpp>
#include <rtlat/detail/tracedat/compression.hpp>
#include <rtlat/detail/tracedat/file_parts.hpp>
#include <rtlat/detail/tracedat/meta.hpp>

namespace rtlat_test {

using RawTrace = rtlat::detail::MetadataBlocks;

namespace raw_detail {

using rtlat::detail::ByteOrder;

class Bytes {
 public:
  Bytes(std::string_view data, ByteOrder order, std::size_t pos = 0)
      : d_(data), order_(order), pos_(pos) {}
  std::size_t pos() const noexcept { return pos_; }
  bool at_end() const noexcept { return pos_ >= d_.size(); }
  std::string_view bytes(std::uint64_t n) {
    if (n > d_.size() - pos_) throw std::runtime_error("raw trace: truncated");
    const std::string_view v = d_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return v;
  }
  std::uint16_t u16() { return order_.u16(ptr(2)); }
  std::uint32_t u32() { return order_.u32(ptr(4)); }
  std::uint64_t u64() { return order_.u64(ptr(8)); }
  std::string cstr() {
    const std::size_t nul = d_.find('\0', pos_);
    if (nul == std::string_view::npos) throw std::runtime_error("raw trace: unterminated string");
    std::string s(d_.substr(pos_, nul - pos_));
    pos_ = nul + 1;
    return s;
  }

 private:
  const unsigned char* ptr(std::size_t n) {
    return reinterpret_cast<const unsigned char*>(bytes(n).data());
  }
  std::string_view d_;
  ByteOrder order_;
  std::size_t pos_;
};

inline void header_info(RawTrace& r, Bytes& b) {
  b.bytes(12);  // "header_page\0"
  r.header_page = std::string(b.bytes(b.u64()));
  b.bytes(13);  // "header_event\0"
  r.header_event = std::string(b.bytes(b.u64()));
}
inline void ftrace_formats(RawTrace& r, Bytes& b) {
  for (std::uint32_t n = b.u32(); n != 0; --n) r.ftrace_formats.emplace_back(b.bytes(b.u64()));
}
inline void event_formats(RawTrace& r, Bytes& b) {
  for (std::uint32_t systems = b.u32(); systems != 0; --systems) {
    r.event_systems.emplace_back(b.cstr(), std::vector<std::string>{});
    for (std::uint32_t n = b.u32(); n != 0; --n)
      r.event_systems.back().second.emplace_back(b.bytes(b.u64()));
  }
}

}  // namespace raw_detail

inline RawTrace read_raw_trace(const std::string& path) {
  using namespace rtlat::detail;
  using raw_detail::Bytes;
  std::ifstream in(path, std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw std::runtime_error("raw trace: cannot read " + path);
  Bytes head(file, ByteOrder{});
  head.bytes(10);  // magic
  const std::string version = head.cstr();
  const std::string_view flags = head.bytes(2);
  const ByteOrder order{(flags[0] != 0) != host_is_big_endian()};
  Bytes b(file, order, head.pos());
  b.u32();  // page size
  RawTrace r;
  if (version == "6") {
    raw_detail::header_info(r, b);
    raw_detail::ftrace_formats(r, b);
    raw_detail::event_formats(r, b);
    r.kallsyms = std::string(b.bytes(b.u32()));
    r.printk = std::string(b.bytes(b.u32()));
    r.cmdlines = std::string(b.bytes(b.u64()));
    b.u32();  // cpu count
    if (b.bytes(10) != std::string_view("options  \0", 10)) return r;
    for (;;) {
      const std::uint16_t id = b.u16();
      if (id == opt_done) break;
      const std::string_view data = b.bytes(b.u32());
      if (id != opt_buffer && id != opt_cpucount && id != opt_strings)
        r.options.emplace_back(id, std::string(data));
    }
    return r;
  }
  const std::string comp = b.cstr();
  b.cstr();  // compression version
  const Compression c = comp == "zstd"   ? Compression::zstd
                        : comp == "zlib" ? Compression::zlib
                                         : Compression::none;
  // A section's data, decompressed when flagged so.
  auto section = [&](std::uint64_t off) {
    Bytes s(file, order, static_cast<std::size_t>(off));
    s.u16();  // id
    const std::uint16_t sflags = s.u16();
    s.u32();  // description
    const std::uint64_t size = s.u64();
    if ((sflags & 1u) == 0) return std::string(s.bytes(size));
    const std::uint32_t csize = s.u32(), usize = s.u32();
    const std::string_view z = s.bytes(csize);
    std::string out(usize, '\0');
    Decompressor d(c);
    if (const char* err = d.run(reinterpret_cast<const unsigned char*>(z.data()), z.size(),
                                reinterpret_cast<unsigned char*>(out.data()), out.size()))
      throw std::runtime_error(std::string("raw trace: ") + err);
    return out;
  };
  std::uint64_t sec[6] = {};
  for (std::uint64_t next = b.u64(); next != 0;) {
    const std::string opts = section(next);
    Bytes o(opts, order);
    next = 0;
    while (!o.at_end()) {
      const std::uint16_t id = o.u16();
      const std::string_view data = o.bytes(o.u32());
      Bytes d(data, order);
      if (id == opt_done) {
        next = d.u64();
        break;
      }
      if (id >= opt_header_info && id <= opt_cmdlines)
        sec[id - opt_header_info] = d.u64();
      else if (id != opt_buffer && id != opt_buffer_text && id != opt_cpucount && id != opt_strings)
        r.options.emplace_back(id, std::string(data));
    }
  }
  auto with = [&](int i, auto&& f) {
    if (sec[i] == 0) return;
    const std::string data = section(sec[i]);
    Bytes s(data, order);
    f(s);
  };
  with(0, [&](Bytes& s) { raw_detail::header_info(r, s); });
  with(1, [&](Bytes& s) { raw_detail::ftrace_formats(r, s); });
  with(2, [&](Bytes& s) { raw_detail::event_formats(r, s); });
  with(3, [&](Bytes& s) { r.kallsyms = std::string(s.bytes(s.u32())); });
  with(4, [&](Bytes& s) { r.printk = std::string(s.bytes(s.u32())); });
  with(5, [&](Bytes& s) { r.cmdlines = std::string(s.bytes(s.u64())); });
  return r;
}

}  // namespace rtlat_test
