// Rewrites a trace.dat: another file version (6 or 7), compression (none, zstd, zlib), byte order
// or kernel long size, and optionally a filtered kallsyms. Used to make the small format samples
// in data/format (a big-endian / 32-bit file from a recording made on x86-64) and by tests that
// round-trip files through every layout. A test tool, not library: it reads the recording with
// the reader and its stored metadata with tracedat_raw.hpp. Clarity over speed.
//
// Byte-swapping rewrites every number the reader interprets: file header and metadata numbers,
// page headers, record headers, and each event field wider than a byte (from the event formats).
// A 4-byte kernel long changes the page header (commit is 4 bytes, data starts at 12).
#pragma once

#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rtlat/detail/tracedat/page.hpp>
#include <rtlat/detail/tracedat/stream.hpp>
#include <rtlat/error.hpp>
#include <rtlat/source/tracedat.hpp>

#include "tracedat_raw.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

struct TraceDatWriteOptions {
  int version = 7;
  Compression compression = Compression::none;
  bool big_endian = false;
  bool long4 = false;  // rewrite the page header for a 32-bit kernel long
  std::uint32_t chunk_pages = 10;
  // v7 only: deal each CPU's pages round-robin to this many CPUs (cpu c -> c * spread + i), to
  // make files with many CPUs (each still time-ordered) from a 2-CPU recording.
  std::uint32_t spread = 1;
  // Keeps a kallsyms line when true; empty keeps everything.
  std::function<bool(std::string_view)> keep_kallsyms_line;
  // Keeps page `index` of `cpu` (in the input byte order) when true; empty keeps every page.
  std::function<bool(int cpu, std::size_t index, const unsigned char* page)> keep_page;
  // Options added to the output (data already in the output byte order).
  std::vector<std::pair<std::uint16_t, std::string>> extra_options;
  // rtlat live's tgid map (opt_rtlat_tgids: "PID TGID EVENTS" lines), replacing the input's;
  // unset keeps the input's.
  std::optional<std::string> tgids;
  // Keeps an event format (system "ftrace" for the ftrace formats) when true; empty keeps all.
  std::function<bool(std::string_view system, std::string_view text)> keep_format;
  // The saved cmdlines lines kept (all when negative), and whether the printk formats are.
  long cmdlines_lines = -1;
  bool keep_printk = true;
  // Another machine's identity, for samples of ARM recordings: the UNAME option's text (empty:
  // the input's), an edit of each kept event format's text, and an edit of each record in the
  // output byte order (`type`: its common_type, as in the input's TraceDatMeta::table).
  std::string uname;
  std::function<std::string(std::string_view system, std::string text)> edit_format;
  std::function<void(const TraceDatMeta& in, std::uint64_t type, unsigned char* rec,
                     std::uint32_t size)>
      edit_record;
};

class TraceDatWriter {
 public:
  TraceDatWriter(const std::string& in, TraceDatWriteOptions o) : opt_(std::move(o)) {
    src_ = std::make_unique<TraceDatSource>(in);
    raw_ = rtlat_test::read_raw_trace(in);
    out_order_.swap = opt_.big_endian != host_is_big_endian();
  }

  void write(const std::string& out_path) {
    const TraceDatMeta& m = tracedat_meta(*src_);
    page_size_ = m.page_size;
    out_.clear();
    out_.append(tracedat_magic);
    out_ += opt_.version == 6 ? '6' : '7';
    out_.push_back('\0');
    out_.push_back(opt_.big_endian ? 1 : 0);
    out_.push_back(static_cast<char>(opt_.long4 ? 4 : m.long_size));
    put32(m.page_size);
    if (opt_.version == 6)
      write_v6();
    else
      write_v7();
    std::FILE* f = std::fopen(out_path.c_str(), "wb");
    if (f == nullptr) throw InputError(out_path, "", "cannot create");
    const bool ok = std::fwrite(out_.data(), 1, out_.size(), f) == out_.size();
    if (std::fclose(f) != 0 || !ok) throw InputError(out_path, "", "write failed");
  }

 private:
  // ---- little helpers ----
  void put16(std::uint16_t v) { put_n(v, 2); }
  void put32(std::uint32_t v) { put_n(v, 4); }
  void put64(std::uint64_t v) { put_n(v, 8); }
  void put_n(std::uint64_t v, int n) {
    unsigned char b[8];
    for (int i = 0; i < n; ++i) {
      const int shift = opt_.big_endian ? (n - 1 - i) * 8 : i * 8;
      b[i] = static_cast<unsigned char>(v >> shift);
    }
    out_.append(reinterpret_cast<const char*>(b), static_cast<std::size_t>(n));
  }
  void patch64(std::size_t at, std::uint64_t v) {
    std::string save;
    save.swap(out_);
    put64(v);
    std::memcpy(&save[at], out_.data(), 8);
    out_.swap(save);
  }
  void align_page() {
    while (out_.size() % page_size_ != 0) out_.push_back('\0');
  }

 public:
  static std::string put_num(std::uint64_t v, int n, bool big) {
    std::string s;
    for (int i = 0; i < n; ++i) {
      const int shift = big ? (n - 1 - i) * 8 : i * 8;
      s.push_back(static_cast<char>(v >> shift));
    }
    return s;
  }

 private:
  std::string compress(const std::string& in) const {
    std::string out;
    if (opt_.compression == Compression::zstd) {
      out.resize(ZSTD_compressBound(in.size()));
      const std::size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
      if (ZSTD_isError(n)) throw std::runtime_error("zstd compression failed");
      out.resize(n);
    } else {
      uLongf n = compressBound(static_cast<uLong>(in.size()));
      out.resize(n);
      if (compress2(reinterpret_cast<Bytef*>(out.data()), &n,
                    reinterpret_cast<const Bytef*>(in.data()), static_cast<uLong>(in.size()),
                    6) != Z_OK)
        throw std::runtime_error("zlib compression failed");
      out.resize(n);
    }
    return out;
  }

  std::string kallsyms() const {
    if (!opt_.keep_kallsyms_line) return raw_.kallsyms;
    std::string out;
    std::string_view s = raw_.kallsyms;
    while (!s.empty()) {
      const std::size_t nl = s.find('\n');
      const std::string_view line = s.substr(0, nl == std::string_view::npos ? s.size() : nl + 1);
      if (opt_.keep_kallsyms_line(line)) out.append(line);
      s.remove_prefix(line.size());
    }
    return out;
  }

  std::string header_page_text() const {
    if (!opt_.long4) return raw_.header_page;
    const std::uint32_t data = page_size_ - 12;
    return "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
           "\tfield: local_t commit;\toffset:8;\tsize:4;\tsigned:1;\n"
           "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
           "\tfield: char data;\toffset:12;\tsize:" +
           std::to_string(data) + ";\tsigned:0;\n";
  }

  // Metadata blocks, in the output byte order.
  std::string block_header_info() const {
    std::string s("header_page\0", 12);
    const std::string hp = header_page_text();
    s += put_num(hp.size(), 8, opt_.big_endian) + hp;
    s += std::string("header_event\0", 13);
    s += put_num(raw_.header_event.size(), 8, opt_.big_endian) + raw_.header_event;
    return s;
  }
  std::vector<std::string> kept_formats(std::string_view sys,
                                        const std::vector<std::string>& fmts) const {
    std::vector<std::string> v;
    for (const auto& f : fmts)
      if (!opt_.keep_format || opt_.keep_format(sys, f))
        v.push_back(opt_.edit_format ? opt_.edit_format(sys, f) : f);
    return v;
  }
  std::string block_ftrace() const {
    const auto fmts = kept_formats("ftrace", raw_.ftrace_formats);
    std::string s = put_num(fmts.size(), 4, opt_.big_endian);
    for (const auto& f : fmts) s += put_num(f.size(), 8, opt_.big_endian) + f;
    return s;
  }
  std::string block_events() const {
    std::string s = put_num(raw_.event_systems.size(), 4, opt_.big_endian);
    for (const auto& [sys, all] : raw_.event_systems) {
      const auto fmts = kept_formats(sys, all);
      s += sys + std::string(1, '\0');
      s += put_num(fmts.size(), 4, opt_.big_endian);
      for (const auto& f : fmts) s += put_num(f.size(), 8, opt_.big_endian) + f;
    }
    return s;
  }
  std::string block_kallsyms() const {
    const std::string k = kallsyms();
    return put_num(k.size(), 4, opt_.big_endian) + k;
  }
  std::string block_printk() const {
    const std::string p = opt_.keep_printk ? raw_.printk : std::string();
    return put_num(p.size(), 4, opt_.big_endian) + p;
  }
  std::string block_cmdlines() const {
    std::string c = tracedat_meta(*src_).cmdlines;
    if (opt_.cmdlines_lines >= 0) {
      std::size_t end = 0;
      for (long i = 0; i < opt_.cmdlines_lines && end < c.size(); ++i) {
        const std::size_t nl = c.find('\n', end);
        end = nl == std::string::npos ? c.size() : nl + 1;
      }
      c.resize(end);
    }
    return put_num(c.size(), 8, opt_.big_endian) + c;
  }
  // Plain options, numbers converted where the option holds numbers.
  std::string option_data(std::uint16_t id, const std::string& data) const {
    const ByteOrder in = tracedat_meta(*src_).order;
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    if (id == opt_uname && !opt_.uname.empty()) return opt_.uname + std::string(1, '\0');
    if (id == opt_traceid && data.size() == 8) return put_num(in.u64(p), 8, opt_.big_endian);
    if (id == opt_tsc2nsec && data.size() >= 16)
      return put_num(in.u32(p), 4, opt_.big_endian) + put_num(in.u32(p + 4), 4, opt_.big_endian) +
             put_num(in.u64(p + 8), 8, opt_.big_endian);
    return data;
  }
  void put_option(std::uint16_t id, const std::string& data) {
    put16(id);
    put32(static_cast<std::uint32_t>(data.size()));
    out_ += data;
  }

  // The input's options (all but the tgid map when it is replaced), then the added ones.
  void put_options() {
    for (const auto& [id, data] : raw_.options)
      if (id != opt_rtlat_tgids || !opt_.tgids) put_option(id, option_data(id, data));
    for (const auto& [id, data] : opt_.extra_options) put_option(id, data);
    if (opt_.tgids) put_option(opt_rtlat_tgids, *opt_.tgids);
  }

  // The pages of one CPU, decompressed and converted to the output layout.
  std::vector<std::string> pages(const BufferRef& b, const CpuDataRef& c) {
    const TraceDatMeta& m = tracedat_meta(*src_);
    PageSource ps(tracedat_file(*src_), b, c, m.compression, m.order);
    std::vector<std::string> v;
    std::size_t index = 0;
    while (const unsigned char* p = ps.next()) {
      if (!opt_.keep_page || opt_.keep_page(c.cpu, index, p)) v.push_back(convert_page(p));
      ++index;
    }
    return v;
  }

  std::string convert_page(const unsigned char* page) const {
    const TraceDatMeta& m = tracedat_meta(*src_);
    const ByteOrder in = m.order;
    const bool in_big = in.swap != host_is_big_endian();
    const unsigned in_cs = m.layout.commit_size, in_data = m.layout.data_offset;
    const unsigned out_cs = opt_.long4 ? 4 : in_cs, out_data = opt_.long4 ? 12 : in_data;
    std::string out(page_size_, '\0');
    auto w = [&](std::size_t at, std::uint64_t v, int n) {
      const std::string s = put_num(v, n, opt_.big_endian);
      std::memcpy(&out[at], s.data(), static_cast<std::size_t>(n));
    };
    const std::uint64_t commit = in.uint(page + m.layout.commit_offset, in_cs);
    const std::size_t used = static_cast<std::size_t>(commit & SubBufferReader::commit_mask);
    if (out_data + used > page_size_) throw std::runtime_error("page does not fit the new layout");
    w(0, in.u64(page), 8);
    w(8, commit & 0xffffffffu, static_cast<int>(out_cs));
    if ((commit & SubBufferReader::missed_stored_flag) && in_data + used + in_cs <= page_size_ &&
        out_data + used + out_cs <= page_size_)
      w(out_data + used, in.uint(page + in_data + used, in_cs), static_cast<int>(out_cs));
    // Records.
    std::memcpy(&out[out_data], page + in_data, used);
    std::size_t pos = 0;
    while (pos + 4 <= used) {
      const unsigned char* p = page + in_data + pos;
      const std::uint32_t head = in.u32(p);
      const unsigned type_len = in_big ? head >> 27 : head & 0x1fu;
      const std::uint32_t delta = in_big ? head & 0x07ffffffu : head >> 5;
      const std::uint32_t out_head =
          opt_.big_endian ? (type_len << 27) | delta : type_len | (delta << 5);
      w(out_data + pos, out_head, 4);
      if (type_len == SubBufferReader::type_padding && delta == 0) break;
      if (type_len >= SubBufferReader::type_padding || type_len == 0) {
        if (pos + 8 > used) break;
        const std::uint32_t len = in.u32(p + 4);
        w(out_data + pos + 4, len, 4);
        if (type_len == 0) {
          swap_fields(p + 8, len - 4, &out[out_data + pos + 8]);
          edit_record(&out[out_data + pos + 8], len - 4);
          pos += 8 + ((static_cast<std::size_t>(len) - 4 + 3) & ~std::size_t{3});
        } else if (type_len == SubBufferReader::type_padding) {
          pos += 4 + len;
        } else {
          pos += 8;
        }
      } else {
        swap_fields(p + 4, type_len * 4, &out[out_data + pos + 4]);
        edit_record(&out[out_data + pos + 4], type_len * 4);
        pos += 4 + type_len * 4u;
      }
    }
    return out;
  }

  void edit_record(char* rec, std::uint32_t size) const {
    const TraceDatMeta& m = tracedat_meta(*src_);
    if (!opt_.edit_record || size < m.decode.header_min) return;
    auto* r = reinterpret_cast<unsigned char*>(rec);
    opt_.edit_record(m, out_order_.uint(r + m.decode.common_type.offset, m.decode.common_type.size),
                     r, size);
  }

  // Rewrites every multi-byte field of one record in the output byte order.
  void swap_fields(const unsigned char* rec, std::uint32_t size, char* out) const {
    const TraceDatMeta& m = tracedat_meta(*src_);
    if (m.order.swap == out_order_.swap) return;  // same byte order: bytes are already right
    if (size < m.decode.header_min) return;
    const std::uint64_t type =
        m.order.uint(rec + m.decode.common_type.offset, m.decode.common_type.size);
    tep_event* ev = tep_find_event(m.tep.get(), static_cast<int>(type));
    if (ev == nullptr) return;
    auto one = [&](tep_format_field* f) {
      for (; f != nullptr; f = f->next) {
        if (f->offset < 0 || f->size <= 0 || static_cast<std::uint32_t>(f->offset + f->size) > size)
          continue;
        unsigned elem = static_cast<unsigned>(f->size);
        unsigned count = 1;
        if (f->flags & TEP_FIELD_IS_DYNAMIC) {
          elem = 4;
        } else if (f->flags & TEP_FIELD_IS_ARRAY) {
          elem = f->elementsize > 0 ? static_cast<unsigned>(f->elementsize) : 1;
          count = static_cast<unsigned>(f->size) / elem;
        }
        if (elem != 2 && elem != 4 && elem != 8) continue;
        for (unsigned i = 0; i < count; ++i) {
          const std::size_t at = static_cast<std::size_t>(f->offset) + std::size_t{i} * elem;
          const unsigned char* p = rec + at;
          char* o = out + at;
          for (unsigned b = 0; b < elem; ++b) o[b] = static_cast<char>(p[elem - 1 - b]);
        }
      }
    };
    one(ev->format.common_fields);
    one(ev->format.fields);
  }

  // ---- v6 ----
  void write_v6() {
    const TraceDatMeta& m = tracedat_meta(*src_);
    out_ += block_header_info() + block_ftrace() + block_events() + block_kallsyms() +
            block_printk() + block_cmdlines();
    const std::uint32_t cpus = static_cast<std::uint32_t>(std::max(m.cpus, 1));
    put32(cpus);
    out_ += std::string("options  \0", 10);
    put_options();
    std::vector<std::size_t> buffer_offset_at;
    std::vector<const BufferRef*> insts;
    for (const auto& b : m.buffers) {
      if (b.name.empty() || b.latency) continue;
      put16(opt_buffer);
      put32(static_cast<std::uint32_t>(8 + b.name.size() + 1));
      buffer_offset_at.push_back(out_.size());
      put64(0);
      out_ += b.name + std::string(1, '\0');
      insts.push_back(&b);
    }
    put16(opt_done);
    const BufferRef* top = nullptr;
    for (const auto& b : m.buffers)
      if (b.name.empty() && !b.latency) top = &b;
    auto write_buffer = [&](const BufferRef* b) {
      out_ += std::string("flyrecord\0", 10);
      const std::size_t table = out_.size();
      for (std::uint32_t i = 0; i < cpus; ++i) put64(0), put64(0);
      put64(m.clock.size() + 2);
      out_ += "[" + m.clock + "]";
      if (b == nullptr) return;
      for (const auto& c : b->cpus) {
        if (c.cpu < 0 || static_cast<std::uint32_t>(c.cpu) >= cpus || c.size == 0) continue;
        align_page();
        const std::uint64_t off = out_.size();
        for (const auto& p : pages(*b, c)) out_ += p;
        patch64(table + static_cast<std::size_t>(c.cpu) * 16, off);
        patch64(table + static_cast<std::size_t>(c.cpu) * 16 + 8, out_.size() - off);
      }
    };
    write_buffer(top);
    for (std::size_t i = 0; i < insts.size(); ++i) {
      patch64(buffer_offset_at[i], out_.size());
      write_buffer(insts[i]);
    }
  }

  // ---- v7 ----
  void put_section(std::uint16_t id, const std::string& data, bool compress_it) {
    put16(id);
    put16(compress_it ? 1 : 0);
    put32(0);
    if (!compress_it) {
      put64(data.size());
      out_ += data;
      return;
    }
    const std::string z = compress(data);
    put64(z.size() + 8);
    put32(static_cast<std::uint32_t>(z.size()));
    put32(static_cast<std::uint32_t>(data.size()));
    out_ += z;
  }

  void write_v7() {
    const TraceDatMeta& m = tracedat_meta(*src_);
    const bool z = opt_.compression != Compression::none;
    if (z) {
      out_ += std::string(compression_name(opt_.compression)) + std::string(1, '\0');
      out_ += std::string(opt_.compression == Compression::zstd ? ZSTD_versionString()
                                                                : zlibVersion()) +
              std::string(1, '\0');
    } else {
      out_ += std::string("none\0\0", 6);
    }
    const std::size_t first_options_at = out_.size();
    put64(0);
    std::uint64_t sec[6];
    const std::string blocks[6] = {block_header_info(), block_ftrace(), block_events(),
                                   block_kallsyms(),    block_printk(), block_cmdlines()};
    for (int i = 0; i < 6; ++i) {
      sec[i] = out_.size();
      put_section(static_cast<std::uint16_t>(opt_header_info + i), blocks[i], z);
    }
    // Buffers: section header, padding to a page, then each CPU's data page-aligned.
    struct Written {
      const BufferRef* b;
      std::uint64_t offset;
      std::vector<CpuDataRef> cpus;
    };
    std::vector<Written> written;
    for (const auto& b : m.buffers) {
      if (b.latency) continue;
      Written w{&b, out_.size(), {}};
      put16(opt_buffer);
      put16(z ? 1 : 0);
      put32(0);
      const std::size_t size_at = out_.size();
      put64(0);
      const std::size_t data_start = out_.size();
      for (const auto& c : b.cpus) {
        if (c.size == 0) continue;
        const auto all = pages(b, c);
        const std::uint32_t k = std::max<std::uint32_t>(1, opt_.spread);
        for (std::uint32_t part = 0; part < k; ++part) {
          std::vector<std::string> ps;
          for (std::size_t i = part; i < all.size(); i += k) ps.push_back(all[i]);
          if (ps.empty()) continue;
          align_page();
          CpuDataRef r{c.cpu * static_cast<int>(k) + static_cast<int>(part), out_.size(), 0};
          if (!z) {
            for (const auto& p : ps) out_ += p;
            r.size = out_.size() - r.offset;
          } else {
            const std::uint32_t per = std::max<std::uint32_t>(1, opt_.chunk_pages);
            const std::uint32_t chunks = static_cast<std::uint32_t>((ps.size() + per - 1) / per);
            put32(chunks);
            for (std::size_t i = 0; i < ps.size(); i += per) {
              std::string chunk;
              for (std::size_t j = i; j < std::min(ps.size(), i + per); ++j) chunk += ps[j];
              const std::string zc = compress(chunk);
              put32(static_cast<std::uint32_t>(zc.size()));
              put32(static_cast<std::uint32_t>(chunk.size()));
              out_ += zc;
            }
            r.size = out_.size() - r.offset - 4;  // trace-cmd leaves out the chunk count
          }
          w.cpus.push_back(r);
        }
      }
      patch64(size_at, out_.size() - data_start);
      written.push_back(std::move(w));
    }
    // One options section pointing at everything.
    patch64(first_options_at, out_.size());
    put16(opt_done);
    put16(0);
    put32(0);
    const std::size_t opt_size_at = out_.size();
    put64(0);
    const std::size_t opt_start = out_.size();
    for (int i = 0; i < 6; ++i)
      put_option(static_cast<std::uint16_t>(opt_header_info + i),
                 put_num(sec[i], 8, opt_.big_endian));
    put_options();
    put_option(opt_cpucount, put_num(static_cast<std::uint64_t>(std::max(m.cpus, 1)) *
                                         std::max<std::uint32_t>(1, opt_.spread),
                                     4, opt_.big_endian));
    for (const auto& w : written) {
      std::string d = put_num(w.offset, 8, opt_.big_endian) + w.b->name + std::string(1, '\0') +
                      (w.b->clock.empty() ? m.clock : w.b->clock) + std::string(1, '\0');
      d += put_num(w.b->page_size, 4, opt_.big_endian);
      d += put_num(w.cpus.size(), 4, opt_.big_endian);
      for (const auto& c : w.cpus) {
        d += put_num(static_cast<std::uint64_t>(c.cpu), 4, opt_.big_endian);
        d += put_num(c.offset, 8, opt_.big_endian);
        d += put_num(c.size, 8, opt_.big_endian);
      }
      put_option(opt_buffer, d);
    }
    put_option(opt_done, put_num(0, 8, opt_.big_endian));
    patch64(opt_size_at, out_.size() - opt_start);
  }

  TraceDatWriteOptions opt_;
  rtlat_test::RawTrace raw_;
  std::unique_ptr<TraceDatSource> src_;
  ByteOrder out_order_;
  std::uint32_t page_size_ = 4096;
  std::string out_;
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
