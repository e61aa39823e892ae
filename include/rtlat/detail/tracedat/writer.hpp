// Serialises a trace.dat, version 6 or 7 (trace-cmd.dat(5)), from its metadata blocks
// (file_parts.hpp) and each CPU's ring-buffer pages as they are: it reads no tracefs and changes
// no page. `rtlat live` writes its --save file (live/spool.hpp) and the header its decoder is
// built from with it; the tests' rewriter (tests/support/tracedat_rewrite.hpp) makes every layout
// the reader handles with it. Pages pass through once, a block at a time: sizes and offsets that
// are known only after the data are patched in afterwards, so the output must take an 8-byte
// patch of what it already holds (StringOut here; a file in live/spool.hpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "rtlat/detail/tracedat/bytes.hpp"
#include "rtlat/detail/tracedat/compression.hpp"
#include "rtlat/detail/tracedat/file_parts.hpp"
#include "rtlat/detail/vocabulary.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// `n` bytes of `v` in the file's byte order.
inline std::string encode_uint(std::uint64_t v, int n, bool big_endian) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    const int shift = big_endian ? 8 * (n - 1 - i) : 8 * i;
    s.push_back(static_cast<char>((v >> shift) & 0xff));
  }
  return s;
}

// The clock in brackets of a trace_clock text (bracketed_clock()); the whole text when none is
// bracketed.
inline std::string selected_clock(const std::string& trace_clock) {
  const std::optional<std::string_view> clock = bracketed_clock(trace_clock);
  return clock ? std::string(*clock) : trace_clock;
}

// One CPU's ring-buffer pages, `size` bytes of whole pages, handed over by `read`.
struct CpuPages {
  using Put = std::function<void(const unsigned char*, std::size_t)>;
  int cpu = 0;
  std::uint64_t size = 0;
  // Calls put(bytes, n) over the pages in order, `block` bytes at a time (the last may be
  // shorter); `block` is a whole number of pages.
  std::function<void(std::size_t block, const Put& put)> read;

  // Pages held in memory, which must outlive the write.
  static CpuPages in_memory(int cpu, std::string_view pages) {
    CpuPages c;
    c.cpu = cpu;
    c.size = pages.size();
    c.read = [pages](std::size_t block, const Put& put) {
      for (std::size_t at = 0; at < pages.size(); at += block)
        put(reinterpret_cast<const unsigned char*>(pages.data()) + at,
            std::min(block, pages.size() - at));
    };
    return c;
  }
};

struct BufferPages {
  std::string name;             // "" for the top buffer
  std::string clock;            // v7; "" = the one selected in the layout's trace_clock
  std::uint32_t page_size = 0;  // v7; 0 = the layout's
  std::vector<CpuPages> cpus;   // v6: each CPU below the layout's count at most once
};

// What the file header and the per-CPU tables say, besides the metadata blocks.
struct TraceDatLayout {
  int version = 7;
  Compression compression = Compression::zstd;  // v7 only: v6 is never compressed
  bool big_endian = host_is_big_endian();
  unsigned long_size = sizeof(long);
  std::uint32_t page_size = 4096;
  int cpus = 1;
  std::uint32_t chunk_pages = 10;  // v7 compressed: pages per data chunk, as trace-cmd's default
  // The trace_clock file's text ("local global [mono]"): v6 stores it after each CPU table,
  // announced by an empty TRACECLOCK option unless the metadata holds one; v7 names the selected
  // clock in each buffer's option.
  std::string trace_clock;
};

// An output held in memory.
class StringOut {
 public:
  void put(std::string_view s) { s_.append(s); }
  std::uint64_t pos() const noexcept { return s_.size(); }
  void patch(std::uint64_t at, std::string_view s) {
    s_.replace(static_cast<std::size_t>(at), s.size(), s);
  }
  std::string& str() noexcept { return s_; }

 private:
  std::string s_;
};

// Out: put(std::string_view), pos() -> bytes written, patch(at, std::string_view) over bytes
// already written.
template <class Out>
class TraceDatWriter {
 public:
  TraceDatWriter(Out& out, const TraceDatLayout& layout, const MetadataBlocks& meta)
      : out_(out), l_(layout), m_(meta) {
    if (l_.version != 6 && l_.version != 7)
      throw std::invalid_argument("trace.dat writer: version " + std::to_string(l_.version));
    if (l_.page_size == 0) throw std::invalid_argument("trace.dat writer: page size 0");
  }

  void write(const std::vector<BufferPages>& buffers) {
    put(tracedat_magic);
    put(l_.version == 6 ? std::string_view("6\0", 2) : std::string_view("7\0", 2));
    put(std::string(1, l_.big_endian ? 1 : 0) + static_cast<char>(l_.long_size));
    put(num(l_.page_size, 4));
    if (l_.version == 6)
      write_v6(buffers);
    else
      write_v7(buffers);
  }

 private:
  std::string num(std::uint64_t v, int n) const { return encode_uint(v, n, l_.big_endian); }
  void put(std::string_view s) { out_.put(s); }
  void patch(std::uint64_t at, std::uint64_t v) { out_.patch(at, num(v, 8)); }
  void align() {
    const std::uint64_t pos = out_.pos(),
                        to = (pos + l_.page_size - 1) / l_.page_size * l_.page_size;
    if (to > pos) put(std::string(static_cast<std::size_t>(to - pos), '\0'));
  }
  std::string option(std::uint16_t id, std::string_view data) const {
    return num(id, 2) + num(data.size(), 4) + std::string(data);
  }
  std::string options() const {
    std::string s;
    for (const auto& [id, data] : m_.options) s += option(id, data);
    return s;
  }

  // ---- the metadata blocks, each as both versions store it (v7: one per section) ----
  std::string formats(const std::vector<std::string>& fs) const {
    std::string s = num(fs.size(), 4);
    for (const std::string& f : fs) s += num(f.size(), 8) + f;
    return s;
  }
  std::string block(int i) const {
    switch (i) {
      case 0:
        return std::string("header_page\0", 12) + num(m_.header_page.size(), 8) + m_.header_page +
               std::string("header_event\0", 13) + num(m_.header_event.size(), 8) + m_.header_event;
      case 1:
        return formats(m_.ftrace_formats);
      case 2: {
        std::string s = num(m_.event_systems.size(), 4);
        for (const auto& [sys, fs] : m_.event_systems)
          s += sys + std::string(1, '\0') + formats(fs);
        return s;
      }
      case 3:
        return num(m_.kallsyms.size(), 4) + m_.kallsyms;
      case 4:
        return num(m_.printk.size(), 4) + m_.printk;
      default:
        return num(m_.cmdlines.size(), 8) + m_.cmdlines;
    }
  }
  static constexpr int blocks = 6;  // header_info .. cmdlines, in file order

  // ---- version 6: one stream; each buffer a flyrecord with a CPU table ----
  // A reader takes the clock text after the CPU table only when a TRACECLOCK option is there,
  // so the text and the option go together.
  bool has_clock_option() const {
    return std::any_of(m_.options.begin(), m_.options.end(),
                       [](const auto& o) { return o.first == opt_traceclock; });
  }
  void write_v6(const std::vector<BufferPages>& buffers) {
    for (int i = 0; i < blocks; ++i) put(block(i));
    put(num(static_cast<std::uint64_t>(l_.cpus), 4));
    put(std::string_view("options  \0", 10));
    put(options());
    const bool stored_clock_option = has_clock_option();
    if (!l_.trace_clock.empty() && !stored_clock_option) put(option(opt_traceclock, ""));
    clock_follows_ = stored_clock_option || !l_.trace_clock.empty();
    const BufferPages* top = nullptr;
    std::vector<std::pair<const BufferPages*, std::uint64_t>> instances;  // offset's place
    for (const BufferPages& b : buffers) {
      if (b.name.empty()) {
        top = &b;
        continue;
      }
      put(num(opt_buffer, 2) + num(8 + b.name.size() + 1, 4));
      instances.emplace_back(&b, out_.pos());
      put(num(0, 8) + b.name + std::string(1, '\0'));
    }
    put(num(opt_done, 2));
    flyrecord(top);
    for (const auto& [b, offset_at] : instances) {
      patch(offset_at, out_.pos());
      flyrecord(b);
    }
  }
  void flyrecord(const BufferPages* b) {
    put(std::string_view("flyrecord\0", 10));
    const std::uint64_t table = out_.pos();
    put(std::string(static_cast<std::size_t>(l_.cpus) * 16, '\0'));
    if (clock_follows_) put(num(l_.trace_clock.size(), 8) + l_.trace_clock);
    if (b == nullptr) return;
    for (const CpuPages& c : b->cpus) {
      if (c.cpu < 0 || c.cpu >= l_.cpus)
        throw std::invalid_argument("trace.dat writer: cpu " + std::to_string(c.cpu) +
                                    " is not below the CPU count");
      align();
      const std::uint64_t at = out_.pos();
      copy(c);
      const std::uint64_t entry = table + static_cast<std::uint64_t>(c.cpu) * 16;
      patch(entry, at);
      patch(entry + 8, out_.pos() - at);
    }
  }
  void copy(const CpuPages& c) {
    c.read(std::size_t{l_.page_size} * 256, [&](const unsigned char* p, std::size_t n) {
      put(std::string_view(reinterpret_cast<const char*>(p), n));
    });
  }

  // ---- version 7: sections, found from one options section that the header points at ----
  bool compressed() const noexcept { return l_.compression != Compression::none; }
  std::string section(std::uint16_t id, const std::string& data) const {
    std::string s = num(id, 2) + num(compressed() ? 1 : 0, 2) + num(0, 4);
    if (!compressed()) return s + num(data.size(), 8) + data;
    const std::string z = compress_block(l_.compression, data);
    return s + num(z.size() + 8, 8) + num(z.size(), 4) + num(data.size(), 4) + z;
  }

  struct Written {
    const BufferPages* b;
    std::uint64_t at;
    std::string cpus;  // the option's CPU entries
    std::uint32_t count = 0;
  };

  void write_v7(const std::vector<BufferPages>& buffers) {
    if (compressed())
      put(std::string(compression_name(l_.compression)) + std::string(1, '\0') +
          compressor_version(l_.compression) + std::string(1, '\0'));
    else
      put(std::string_view("none\0\0", 6));
    const std::uint64_t first_options_at = out_.pos();
    put(num(0, 8));
    std::uint64_t sec[blocks];
    for (int i = 0; i < blocks; ++i) {
      sec[i] = out_.pos();
      put(section(static_cast<std::uint16_t>(opt_header_info + i), block(i)));
    }
    std::vector<Written> written;
    written.reserve(buffers.size());
    for (const BufferPages& b : buffers) written.push_back(buffer_section(b));
    patch(first_options_at, out_.pos());
    put(num(opt_done, 2) + num(0, 2) + num(0, 4));
    const std::uint64_t size_at = out_.pos();
    put(num(0, 8));
    std::string o;
    for (int i = 0; i < blocks; ++i)
      o += option(static_cast<std::uint16_t>(opt_header_info + i), num(sec[i], 8));
    o += options();
    o += option(opt_cpucount, num(static_cast<std::uint64_t>(l_.cpus), 4));
    for (const Written& w : written) {
      const std::string clock = w.b->clock.empty() ? selected_clock(l_.trace_clock) : w.b->clock;
      o += option(opt_buffer, num(w.at, 8) + w.b->name + std::string(1, '\0') + clock +
                                  std::string(1, '\0') +
                                  num(w.b->page_size != 0 ? w.b->page_size : l_.page_size, 4) +
                                  num(w.count, 4) + w.cpus);
    }
    o += option(opt_done, num(0, 8));
    put(o);
    patch(size_at, o.size());
  }

  // The buffer's section: its header, then each CPU's data from a page boundary on, compressed
  // in chunks of chunk_pages pages when the file is.
  Written buffer_section(const BufferPages& b) {
    Written w{&b, out_.pos(), {}, 0};
    put(num(opt_buffer, 2) + num(compressed() ? 1 : 0, 2) + num(0, 4));
    const std::uint64_t size_at = out_.pos();
    put(num(0, 8));
    const std::uint64_t data_start = out_.pos();
    const std::size_t chunk =
        std::size_t{l_.page_size} * std::max<std::uint32_t>(1, l_.chunk_pages);
    for (const CpuPages& c : b.cpus) {
      align();
      const std::uint64_t at = out_.pos();
      std::uint64_t size = 0;
      if (!compressed()) {
        copy(c);
        size = out_.pos() - at;
      } else {
        put(num((c.size + chunk - 1) / chunk, 4));
        c.read(chunk, [&](const unsigned char* p, std::size_t n) {
          const std::string z =
              compress_block(l_.compression, std::string_view(reinterpret_cast<const char*>(p), n));
          put(num(z.size(), 4) + num(n, 4) + z);
        });
        size = out_.pos() - at - 4;  // trace-cmd leaves the chunk count out
      }
      w.cpus += num(static_cast<std::uint64_t>(c.cpu), 4) + num(at, 8) + num(size, 8);
      ++w.count;
    }
    patch(size_at, out_.pos() - data_start);
    return w;
  }

  Out& out_;
  const TraceDatLayout& l_;
  const MetadataBlocks& m_;
  bool clock_follows_ = false;  // v6: the CPU tables are followed by the trace_clock text
};

// The whole file in memory.
inline std::string tracedat_bytes(const TraceDatLayout& layout, const MetadataBlocks& meta,
                                  const std::vector<BufferPages>& buffers = {}) {
  StringOut out;
  TraceDatWriter<StringOut>(out, layout, meta).write(buffers);
  return std::move(out.str());
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
