// A live session as a trace.dat (file version 6): the metadata (header_page, the formats of the
// enabled events, the one kallsyms line the hrtimer marker needs, saved cmdlines) taken from
// tracefs, then each CPU's raw ring-buffer pages exactly as read. The same bytes serve twice: the
// header with no CPU data is what the live decoder is built from (decode.hpp), and --save writes
// the header with the pages, so `rtlat report` and `trace-cmd report` read what the live run
// analysed. Version 6 because it needs no section index: the file is written in one pass.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

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

// The kallsyms line of hrtimer_wakeup ("" when kallsyms hides addresses).
inline std::string hrtimer_wakeup_line() {
  const std::string all = read_text_file("/proc/kallsyms");
  std::size_t at = 0;
  const std::string_view sym = " hrtimer_wakeup";
  while ((at = all.find(sym, at)) != std::string::npos) {
    const std::size_t end = at + sym.size();
    if (end == all.size() || all[end] == '\n' || all[end] == '\t' || all[end] == ' ') {
      const std::size_t start = all.rfind('\n', at);
      const std::size_t b = start == std::string::npos ? 0 : start + 1;
      const std::size_t e = all.find('\n', at);
      std::string line = all.substr(b, e == std::string::npos ? std::string::npos : e - b);
      if (line.compare(0, 16, "0000000000000000") == 0) return "";
      return line + "\n";
    }
    at = end;
  }
  return "";
}

// Reads the metadata of `inst` and of the events it enabled.
inline FileMeta file_meta(const Instance& inst, std::uint32_t page_size, int cpus) {
  FileMeta m;
  m.page_size = page_size;
  m.cpus = cpus;
  const std::string events = std::string(tracefs_tracing_dir()) + "/events/";
  m.header_page = read_text_file(events + "header_page");
  m.header_event = read_text_file(events + "header_event");
  for (const auto& [sys, ev] : inst.recorded().events) {
    auto it = m.systems.begin();
    while (it != m.systems.end() && it->first != sys) ++it;
    if (it == m.systems.end()) it = m.systems.insert(m.systems.end(), {sys, {}});
    std::string path = events;
    path.append(sys).append("/").append(ev).append("/format");
    it->second.push_back(read_text_file(path));
  }
  m.kallsyms = hrtimer_wakeup_line();
  utsname u{};
  ::uname(&u);
  m.uname = std::string(u.sysname) + " " + u.nodename + " " + u.release + " " + u.version + " " +
            u.machine;
  m.clock = inst.read("trace_clock");
  while (!m.clock.empty() && m.clock.back() == '\n') m.clock.pop_back();
  return m;
}

// The file up to its CPU data, with the CPU table pointing at data that follows at the page
// aligned offsets `sizes` imply (all 0: no data). Returns the bytes; `data_at` gets each CPU's
// data offset.
inline std::string tracedat_v6(const FileMeta& m, const std::vector<std::uint64_t>& sizes,
                               std::vector<std::uint64_t>* data_at = nullptr) {
  std::string s(tracedat_magic);
  s += "6";
  s.push_back('\0');
  s.push_back(host_little_endian() ? 0 : 1);
  s.push_back(static_cast<char>(sizeof(long)));
  put_le(s, m.page_size, 4);
  s += std::string("header_page\0", 12);
  put_le(s, m.header_page.size(), 8);
  s += m.header_page;
  s += std::string("header_event\0", 13);
  put_le(s, m.header_event.size(), 8);
  s += m.header_event;
  put_le(s, 0, 4);  // no ftrace formats: nothing here prints function events
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
  put_le(s, m.kallsyms.size(), 4);
  s += m.kallsyms;
  put_le(s, 0, 4);  // printk formats
  put_le(s, m.cmdlines.size(), 8);
  s += m.cmdlines;
  put_le(s, static_cast<std::uint64_t>(m.cpus), 4);
  s += std::string("options  \0", 10);
  auto option = [&](std::uint16_t id, const std::string& data) {
    put_le(s, id, 2);
    put_le(s, data.size(), 4);
    s += data;
  };
  option(5, m.uname + std::string(1, '\0'));  // UNAME
  put_le(s, 0, 2);                            // DONE
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

  void finish(const FileMeta& m) {
    std::vector<std::uint64_t> at;
    const std::string head = tracedat_v6(m, sizes_, &at);
    const std::string tmp = path_ + ".tmp";
    const int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0)
      throw LiveError("--save " + path_ + ": cannot create " + tmp + ": " + std::strerror(errno));
    try {
      write_all(out, reinterpret_cast<const unsigned char*>(head.data()), head.size());
      std::uint64_t pos = head.size();
      std::vector<unsigned char> buf(1u << 20);
      for (std::size_t c = 0; c < fds_.size(); ++c) {
        if (sizes_[c] == 0) continue;
        if (at[c] > pos) {
          const std::vector<unsigned char> pad(static_cast<std::size_t>(at[c] - pos), 0);
          write_all(out, pad.data(), pad.size());
          pos = at[c];
        }
        std::uint64_t off = 0;
        while (off < sizes_[c]) {
          const std::size_t want =
              static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), sizes_[c] - off));
          const ssize_t r = ::pread(fds_[c], buf.data(), want, static_cast<off_t>(off));
          if (r <= 0) {
            if (r < 0 && errno == EINTR) continue;
            throw LiveError("--save " + path_ +
                            ": cannot read back the pages: " + std::strerror(r < 0 ? errno : EIO));
          }
          write_all(out, buf.data(), static_cast<std::size_t>(r));
          off += static_cast<std::uint64_t>(r);
        }
        pos += sizes_[c];
      }
      if (::close(out) != 0) throw LiveError("--save " + path_ + ": " + std::strerror(errno));
    } catch (...) {
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
