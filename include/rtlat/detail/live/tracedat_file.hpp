// A live session as a trace.dat: the metadata (header_page, the formats of the
// enabled events, the one kallsyms line the hrtimer marker needs, saved cmdlines) taken from
// tracefs (harvest.hpp), then each CPU's raw ring-buffer pages exactly as read. The same bytes
// serve twice: the header with no CPU data is what the live decoder is built from (decode.hpp), and
// --save writes the header with the pages, so `rtlat report` and `trace-cmd report` read what the
// live run analysed; the pid -> tgid pairs the live source learned go in rtlat's own option
// (tracedat/tgids.hpp), which trace-cmd skips. The decoder reads version 6 (no sections to index);
// --save writes version 7 with zstd, as trace-cmd record does, assembled at the end from the pages
// kept per CPU.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rtlat/detail/live/instance.hpp"
#include "rtlat/detail/tracedat/meta.hpp"
#include "rtlat/detail/tracedat/tgids.hpp"
#include "rtlat/detail/vocabulary.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {
namespace live {

// What goes into the file besides the pages.
struct FileMeta {
  std::uint32_t page_size = 4096;
  int cpus = 1;
  std::string header_page, header_event;
  std::vector<std::pair<std::string, std::vector<std::string>>> systems;  // formats per system
  std::string kallsyms;  // only the lines rtlat reads
  std::string cmdlines;
  std::string tgids;  // "PID TGID EVENTS" lines (tracedat/tgids.hpp)
  std::string uname;
  std::string clock;  // the trace_clock file ("local global [mono] ...")
};

constexpr bool host_little_endian() noexcept {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  return false;
#else
  return true;
#endif
}

// Numbers in the host's byte order, which is the kernel's (the file header says which).
inline void put_le(std::string& s, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) {
    const int shift = host_little_endian() ? 8 * i : 8 * (n - 1 - i);
    s.push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

// The metadata blocks, each as both file versions store it (v7 puts each in a section).
inline std::string file_start(const FileMeta& m, char version) {
  std::string s(tracedat_magic);
  s.push_back(version);
  s.push_back('\0');
  s.push_back(host_little_endian() ? 0 : 1);
  s.push_back(static_cast<char>(sizeof(long)));
  put_le(s, m.page_size, 4);
  return s;
}
inline std::string block_header_info(const FileMeta& m) {
  std::string s("header_page\0", 12);
  put_le(s, m.header_page.size(), 8);
  s += m.header_page;
  s += std::string("header_event\0", 13);
  put_le(s, m.header_event.size(), 8);
  s += m.header_event;
  return s;
}
inline std::string block_ftrace() {
  std::string s;
  put_le(s, 0, 4);  // no ftrace formats: nothing here prints function events
  return s;
}
inline std::string block_events(const FileMeta& m) {
  std::string s;
  put_le(s, m.systems.size(), 4);
  for (const auto& [sys, formats] : m.systems) {
    s += sys;
    s.push_back('\0');
    put_le(s, formats.size(), 4);
    for (const std::string& f : formats) {
      put_le(s, f.size(), 8);
      s += f;
    }
  }
  return s;
}
inline std::string block_kallsyms(const FileMeta& m) {
  std::string s;
  put_le(s, m.kallsyms.size(), 4);
  return s + m.kallsyms;
}
inline std::string block_printk() {
  std::string s;
  put_le(s, 0, 4);
  return s;
}
inline std::string block_cmdlines(const FileMeta& m) {
  std::string s;
  put_le(s, m.cmdlines.size(), 8);
  return s + m.cmdlines;
}

// The v6 file up to its CPU data, with the CPU table pointing at data that follows at the page
// aligned offsets `sizes` imply (all 0: no data). Returns the bytes; `data_at` gets each CPU's
// data offset.
inline std::string tracedat_v6(const FileMeta& m, const std::vector<std::uint64_t>& sizes,
                               std::vector<std::uint64_t>* data_at = nullptr) {
  std::string s = file_start(m, '6');
  s += block_header_info(m) + block_ftrace() + block_events(m) + block_kallsyms(m) +
       block_printk() + block_cmdlines(m);
  put_le(s, static_cast<std::uint64_t>(m.cpus), 4);
  s += std::string("options  \0", 10);
  auto option = [&](std::uint16_t id, const std::string& data) {
    put_le(s, id, 2);
    put_le(s, data.size(), 4);
    s += data;
  };
  option(opt_uname, m.uname + std::string(1, '\0'));
  if (!m.tgids.empty()) option(opt_rtlat_tgids, m.tgids);
  put_le(s, 0, 2);  // DONE
  s += std::string("flyrecord\0", 10);
  const std::size_t table = s.size();
  s.append(static_cast<std::size_t>(m.cpus) * 16, '\0');
  put_le(s, m.clock.size(), 8);
  s += m.clock;
  std::uint64_t at = s.size();
  if (data_at != nullptr) data_at->assign(static_cast<std::size_t>(m.cpus), 0);
  for (int c = 0; c < m.cpus; ++c) {
    const std::uint64_t size = static_cast<std::size_t>(c) < sizes.size() ? sizes[c] : 0;
    if (size == 0) continue;
    at = (at + m.page_size - 1) / m.page_size * m.page_size;
    std::string entry;
    put_le(entry, at, 8);
    put_le(entry, size, 8);
    s.replace(table + static_cast<std::size_t>(c) * 16, 16, entry);
    if (data_at != nullptr) (*data_at)[static_cast<std::size_t>(c)] = at;
    at += size;
  }
  return s;
}

// Collects each CPU's pages in an unlinked file next to the destination, then writes the
// trace.dat (to DEST.tmp, renamed over DEST once complete).
class Saver {
 public:
  Saver(std::string path, int cpus) : path_(std::move(path)) {
    const std::size_t slash = path_.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash + 1);
    for (int c = 0; c < cpus; ++c) {
      int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
      if (fd < 0) {
        std::string tmpl = path_ + ".cpuXXXXXX";
        fd = ::mkstemp(tmpl.data());
        if (fd >= 0) ::unlink(tmpl.c_str());
      }
      if (fd < 0) {
        close_all();
        throw LiveError("--save " + path_ +
                        ": cannot create a file there: " + std::strerror(errno));
      }
      fds_.push_back(fd);
      sizes_.push_back(0);
    }
  }
  Saver(const Saver&) = delete;
  Saver& operator=(const Saver&) = delete;
  ~Saver() { close_all(); }

  void page(int cpu, const unsigned char* p, std::size_t n) {
    const auto c = static_cast<std::size_t>(cpu);
    if (c >= fds_.size()) return;
    write_all(fds_[c], p, n);
    sizes_[c] += n;
  }

  // Writes the file: version 7 with zstd-compressed sections and chunks (what trace-cmd record
  // writes by default), or version 6 uncompressed.
  void finish(const FileMeta& m, int version = 7) {
    const std::string tmp = path_ + ".tmp";
    out_ = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_ < 0)
      throw LiveError("--save " + path_ + ": cannot create " + tmp + ": " + std::strerror(errno));
    pos_ = 0;
    try {
      if (version == 6)
        write_v6(m);
      else
        write_v7(m);
      const int fd = out_;
      out_ = -1;
      if (::close(fd) != 0) throw LiveError("--save " + path_ + ": " + std::strerror(errno));
    } catch (...) {
      if (out_ >= 0) ::close(out_);
      out_ = -1;
      ::unlink(tmp.c_str());
      throw;
    }
    if (::rename(tmp.c_str(), path_.c_str()) != 0) {
      const int e = errno;
      ::unlink(tmp.c_str());
      throw LiveError("--save " + path_ + ": " + std::strerror(e));
    }
  }

  std::uint64_t bytes() const noexcept {
    std::uint64_t n = 0;
    for (std::uint64_t s : sizes_) n += s;
    return n;
  }

 private:
  void put(const std::string& s) {
    write_all(out_, reinterpret_cast<const unsigned char*>(s.data()), s.size());
    pos_ += s.size();
  }
  void patch64(std::uint64_t at, std::uint64_t v) {
    std::string b;
    put_le(b, v, 8);
    if (::pwrite(out_, b.data(), 8, static_cast<off_t>(at)) != 8)
      throw LiveError("--save " + path_ + ": write failed: " + std::strerror(errno));
  }
  void align(std::uint32_t page) {
    const std::uint64_t to = (pos_ + page - 1) / page * page;
    if (to > pos_) put(std::string(static_cast<std::size_t>(to - pos_), '\0'));
  }
  // Calls f(bytes, n) for `cpu`'s pages, `n` pages' worth at a time.
  template <class F>
  void each_block(std::size_t cpu, std::size_t bytes_per_block, F&& f) {
    std::vector<unsigned char> buf(bytes_per_block);
    std::uint64_t off = 0;
    while (off < sizes_[cpu]) {
      const std::size_t want =
          static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), sizes_[cpu] - off));
      std::size_t got = 0;
      while (got < want) {
        const ssize_t r =
            ::pread(fds_[cpu], buf.data() + got, want - got, static_cast<off_t>(off + got));
        if (r <= 0) {
          if (r < 0 && errno == EINTR) continue;
          throw LiveError("--save " + path_ +
                          ": cannot read back the pages: " + std::strerror(r < 0 ? errno : EIO));
        }
        got += static_cast<std::size_t>(r);
      }
      f(buf.data(), want);
      off += want;
    }
  }
  std::string zstd(const unsigned char* p, std::size_t n) const {
    std::string z(ZSTD_compressBound(n), '\0');
    const std::size_t k = ZSTD_compress(z.data(), z.size(), p, n, 3);
    if (ZSTD_isError(k)) throw LiveError("--save " + path_ + ": zstd: " + ZSTD_getErrorName(k));
    z.resize(k);
    return z;
  }

  void write_v6(const FileMeta& m) {
    std::vector<std::uint64_t> at;
    put(tracedat_v6(m, sizes_, &at));
    for (std::size_t c = 0; c < fds_.size(); ++c) {
      if (sizes_[c] == 0) continue;
      if (at[c] > pos_) put(std::string(static_cast<std::size_t>(at[c] - pos_), '\0'));
      each_block(c, 1u << 20, [&](const unsigned char* p, std::size_t n) {
        write_all(out_, p, n);
        pos_ += n;
      });
    }
  }

  void write_v7(const FileMeta& m) {
    std::string head = file_start(m, '7');
    head += std::string("zstd") + '\0' + ZSTD_versionString() + '\0';
    const std::uint64_t first_options_at = head.size();
    put_le(head, 0, 8);
    put(head);
    const std::string blocks[6] = {block_header_info(m), block_ftrace(), block_events(m),
                                   block_kallsyms(m),    block_printk(), block_cmdlines(m)};
    std::uint64_t sec[6];
    for (int i = 0; i < 6; ++i) {
      sec[i] = pos_;
      const std::string z =
          zstd(reinterpret_cast<const unsigned char*>(blocks[i].data()), blocks[i].size());
      std::string h;
      put_le(h, opt_header_info + static_cast<unsigned>(i), 2);
      put_le(h, 1, 2);  // compressed
      put_le(h, 0, 4);
      put_le(h, z.size() + 8, 8);
      put_le(h, z.size(), 4);
      put_le(h, blocks[i].size(), 4);
      put(h + z);
    }
    // The buffer: its section header, then each CPU's chunks from a page boundary on.
    const std::uint64_t buffer_at = pos_;
    std::string bh;
    put_le(bh, opt_buffer, 2);
    put_le(bh, 1, 2);
    put_le(bh, 0, 4);
    const std::uint64_t size_at = pos_ + bh.size();
    put_le(bh, 0, 8);
    put(bh);
    const std::uint64_t data_start = pos_;
    struct Cpu {
      std::uint32_t cpu;
      std::uint64_t offset, size;
    };
    std::vector<Cpu> cpus;
    const std::size_t chunk = std::size_t{m.page_size} * chunk_pages;
    for (std::size_t c = 0; c < fds_.size(); ++c) {
      if (sizes_[c] == 0) continue;
      align(m.page_size);
      const std::uint64_t off = pos_;
      std::string n;
      put_le(n, (sizes_[c] + chunk - 1) / chunk, 4);
      put(n);
      each_block(c, chunk, [&](const unsigned char* p, std::size_t len) {
        const std::string z = zstd(p, len);
        std::string h;
        put_le(h, z.size(), 4);
        put_le(h, len, 4);
        put(h + z);
      });
      cpus.push_back({static_cast<std::uint32_t>(c), off, pos_ - off - 4});  // without the count
    }
    patch64(size_at, pos_ - data_start);
    // One options section pointing at everything.
    patch64(first_options_at, pos_);
    std::string o;
    put_le(o, opt_done, 2);
    put_le(o, 0, 2);
    put_le(o, 0, 4);
    const std::uint64_t opt_size_at = pos_ + o.size();
    put_le(o, 0, 8);
    const std::size_t opt_start = o.size();
    auto option = [&](std::uint16_t id, const std::string& data) {
      put_le(o, id, 2);
      put_le(o, data.size(), 4);
      o += data;
    };
    for (int i = 0; i < 6; ++i) {
      std::string v;
      put_le(v, sec[i], 8);
      option(static_cast<std::uint16_t>(opt_header_info + i), v);
    }
    option(opt_uname, m.uname + std::string(1, '\0'));
    option(opt_traceclock, m.clock + "\n");
    std::string count;
    put_le(count, static_cast<std::uint64_t>(m.cpus), 4);
    option(opt_cpucount, count);
    if (!m.tgids.empty()) option(opt_rtlat_tgids, m.tgids);
    std::string b;
    put_le(b, buffer_at, 8);
    b += std::string(1, '\0') + selected_clock(m.clock) + std::string(1, '\0');
    put_le(b, m.page_size, 4);
    put_le(b, cpus.size(), 4);
    for (const Cpu& c : cpus) {
      put_le(b, c.cpu, 4);
      put_le(b, c.offset, 8);
      put_le(b, c.size, 8);
    }
    option(opt_buffer, b);
    option(opt_done, std::string(8, '\0'));
    const std::uint64_t opt_bytes = o.size() - opt_start;
    put(o);
    patch64(opt_size_at, opt_bytes);
  }

  // "local global [mono] ..." -> "mono"
  static std::string selected_clock(const std::string& clocks) {
    const std::size_t a = clocks.find('['), b = clocks.find(']');
    if (a == std::string::npos || b == std::string::npos || b < a) return clocks;
    return clocks.substr(a + 1, b - a - 1);
  }

  static constexpr std::size_t chunk_pages = 10;
  int out_ = -1;
  std::uint64_t pos_ = 0;
  void write_all(int fd, const unsigned char* p, std::size_t n) {
    while (n != 0) {
      const ssize_t w = ::write(fd, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        throw LiveError("--save " + path_ + ": write failed: " + std::strerror(errno));
      }
      p += w;
      n -= static_cast<std::size_t>(w);
    }
  }
  void close_all() noexcept {
    for (int fd : fds_) ::close(fd);
    fds_.clear();
  }

  std::string path_;
  std::vector<int> fds_;
  std::vector<std::uint64_t> sizes_;
};

}  // namespace live
}  // namespace detail
}  // namespace v1
}  // namespace rtlat
