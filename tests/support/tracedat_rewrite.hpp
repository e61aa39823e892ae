// Rewrites a trace.dat: another file version (6 or 7), compression (none, zstd, zlib), byte order
// or kernel long size, and optionally a filtered kallsyms. Used to make the small format samples
// in data/format (a big-endian / 32-bit file from a recording made on x86-64) and by tests that
// round-trip files through every layout. A test tool: it reads the recording with the reader, its
// stored metadata too (read_metadata_blocks), changes pages and metadata as asked, and leaves the
// format to the library's writer (rtlat/detail/tracedat/writer.hpp). Clarity over speed.
//
// Byte-swapping rewrites every number the reader interprets: file header and metadata numbers,
// page headers, record headers, and each event field wider than a byte (from the event formats).
// A 4-byte kernel long changes the page header (commit is 4 bytes, data starts at 12).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rtlat/detail/tracedat/metadata.hpp>
#include <rtlat/detail/tracedat/page.hpp>
#include <rtlat/detail/tracedat/stream.hpp>
#include <rtlat/detail/tracedat/writer.hpp>
#include <rtlat/error.hpp>
#include <rtlat/source/tracedat.hpp>

namespace rtlat {
inline namespace v1 {
namespace detail {

struct TraceDatRewriteOptions {
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
  // Options added to the output (data already in the output byte order), and ids of the
  // input's options left out.
  std::vector<std::pair<std::uint16_t, std::string>> extra_options;
  std::vector<std::uint16_t> drop_options;
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

class TraceDatRewriter {
 public:
  TraceDatRewriter(const std::string& in, TraceDatRewriteOptions o) : opt_(std::move(o)) {
    src_ = std::make_unique<TraceDatSource>(in);
    stored_ = read_metadata_blocks(in);
    out_order_.swap = opt_.big_endian != host_is_big_endian();
  }

  void write(const std::string& out_path) {
    const TraceDatMeta& m = tracedat_meta(*src_);
    page_size_ = m.page_size;
    TraceDatLayout l;
    l.version = opt_.version == 6 ? 6 : 7;
    l.compression = opt_.compression;
    l.big_endian = opt_.big_endian;
    l.long_size = opt_.long4 ? 4 : m.long_size;
    l.page_size = m.page_size;
    l.cpus = std::max(m.cpus, 1) * static_cast<int>(l.version == 7 ? spread() : 1);
    l.chunk_pages = opt_.chunk_pages;
    l.trace_clock = "[" + m.clock + "]";
    const MetadataBlocks blocks = metadata();
    pages_.clear();
    const std::string out =
        tracedat_bytes(l, blocks, l.version == 6 ? buffers_v6(l.cpus) : buffers_v7());
    std::FILE* f = std::fopen(out_path.c_str(), "wb");
    if (f == nullptr) throw InputError(out_path, "", "cannot create");
    const bool ok = std::fwrite(out.data(), 1, out.size(), f) == out.size();
    if (std::fclose(f) != 0 || !ok) throw InputError(out_path, "", "write failed");
  }

 private:
  std::uint32_t spread() const { return std::max<std::uint32_t>(1, opt_.spread); }
  std::string num(std::uint64_t v, int n) const { return encode_uint(v, n, opt_.big_endian); }

  // ---- metadata ----
  MetadataBlocks metadata() const {
    MetadataBlocks b;
    b.header_page = header_page_text();
    b.header_event = stored_.header_event;
    b.ftrace_formats = kept_formats("ftrace", stored_.ftrace_formats);
    for (const auto& [sys, all] : stored_.event_systems)
      b.event_systems.emplace_back(sys, kept_formats(sys, all));
    b.kallsyms = kallsyms();
    if (opt_.keep_printk) b.printk = stored_.printk;
    b.cmdlines = cmdlines();
    // The input's options (all but the tgid map when it is replaced), then the added ones.
    for (const auto& [id, data] : stored_.options) {
      const auto& drop = opt_.drop_options;
      if (std::find(drop.begin(), drop.end(), id) != drop.end()) continue;
      if (id != opt_rtlat_tgids || !opt_.tgids) b.options.emplace_back(id, option_data(id, data));
    }
    for (const auto& o : opt_.extra_options) b.options.push_back(o);
    if (opt_.tgids) b.options.emplace_back(opt_rtlat_tgids, *opt_.tgids);
    return b;
  }

  std::string kallsyms() const {
    if (!opt_.keep_kallsyms_line) return stored_.kallsyms;
    std::string out;
    std::string_view s = stored_.kallsyms;
    while (!s.empty()) {
      const std::size_t nl = s.find('\n');
      const std::string_view line = s.substr(0, nl == std::string_view::npos ? s.size() : nl + 1);
      if (opt_.keep_kallsyms_line(line)) out.append(line);
      s.remove_prefix(line.size());
    }
    return out;
  }

  std::string header_page_text() const {
    if (!opt_.long4) return stored_.header_page;
    const std::uint32_t data = page_size_ - 12;
    return "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
           "\tfield: local_t commit;\toffset:8;\tsize:4;\tsigned:1;\n"
           "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
           "\tfield: char data;\toffset:12;\tsize:" +
           std::to_string(data) + ";\tsigned:0;\n";
  }

  std::vector<std::string> kept_formats(std::string_view sys,
                                        const std::vector<std::string>& fmts) const {
    std::vector<std::string> v;
    for (const auto& f : fmts)
      if (!opt_.keep_format || opt_.keep_format(sys, f))
        v.push_back(opt_.edit_format ? opt_.edit_format(sys, f) : f);
    return v;
  }

  std::string cmdlines() const {
    std::string c = stored_.cmdlines;
    if (opt_.cmdlines_lines >= 0) {
      std::size_t end = 0;
      for (long i = 0; i < opt_.cmdlines_lines && end < c.size(); ++i) {
        const std::size_t nl = c.find('\n', end);
        end = nl == std::string::npos ? c.size() : nl + 1;
      }
      c.resize(end);
    }
    return c;
  }

  // Plain options, numbers converted where the option holds numbers.
  std::string option_data(std::uint16_t id, const std::string& data) const {
    const ByteOrder in = tracedat_meta(*src_).order;
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    if (id == opt_uname && !opt_.uname.empty()) return opt_.uname + std::string(1, '\0');
    if (id == opt_traceid && data.size() == 8) return num(in.u64(p), 8);
    if (id == opt_tsc2nsec && data.size() >= 16)
      return num(in.u32(p), 4) + num(in.u32(p + 4), 4) + num(in.u64(p + 8), 8);
    return data;
  }

  // ---- buffers ----
  // Pages are converted buffer by buffer in the order the file holds them (keep_page may count),
  // and kept here until the file is written.
  CpuPages held(int cpu, const std::vector<std::string>& pages) {
    std::string& all = pages_.emplace_back();
    for (const std::string& p : pages) all += p;
    return CpuPages::in_memory(cpu, all);
  }
  BufferPages buffer(const BufferRef& b) const {
    BufferPages out;
    out.name = b.name;
    out.clock = b.clock;
    out.page_size = b.page_size;
    return out;
  }

  // v6: the top buffer first, then the instances, each CPU once in its table.
  std::vector<BufferPages> buffers_v6(int cpus) {
    const TraceDatMeta& m = tracedat_meta(*src_);
    std::vector<const BufferRef*> order{nullptr};
    for (const auto& b : m.buffers) {
      if (b.latency) continue;
      if (b.name.empty())
        order.front() = &b;
      else
        order.push_back(&b);
    }
    std::vector<BufferPages> out;
    for (const BufferRef* b : order) {
      if (b == nullptr) continue;
      out.push_back(buffer(*b));
      for (const auto& c : b->cpus)
        if (c.cpu >= 0 && c.cpu < cpus && c.size != 0)
          out.back().cpus.push_back(held(c.cpu, pages(*b, c)));
    }
    return out;
  }

  // v7: the buffers in file order; with `spread`, each CPU's pages dealt to several CPUs.
  std::vector<BufferPages> buffers_v7() {
    const TraceDatMeta& m = tracedat_meta(*src_);
    const std::uint32_t k = spread();
    std::vector<BufferPages> out;
    for (const auto& b : m.buffers) {
      if (b.latency) continue;
      out.push_back(buffer(b));
      for (const auto& c : b.cpus) {
        if (c.size == 0) continue;
        const auto all = pages(b, c);
        for (std::uint32_t part = 0; part < k; ++part) {
          std::vector<std::string> ps;
          for (std::size_t i = part; i < all.size(); i += k) ps.push_back(all[i]);
          if (!ps.empty())
            out.back().cpus.push_back(
                held(c.cpu * static_cast<int>(k) + static_cast<int>(part), ps));
        }
      }
    }
    return out;
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
      const std::string s = num(v, n);
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

  TraceDatRewriteOptions opt_;
  MetadataBlocks stored_;  // the input's metadata as stored
  std::unique_ptr<TraceDatSource> src_;
  ByteOrder out_order_;
  std::uint32_t page_size_ = 4096;
  std::deque<std::string> pages_;  // what the CpuPages of a write point at
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
