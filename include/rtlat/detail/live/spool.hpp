// --save's files: each CPU's pages, exactly as read, spooled to an unlinked file next to the
// destination while the session runs, then the trace.dat made from them by the writer
// (tracedat/writer.hpp) into DEST.tmp and renamed over DEST once complete, so DEST is never a
// partial file.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rtlat/detail/live/instance.hpp"
#include "rtlat/detail/tracedat/writer.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {
namespace live {

class PageSpool {
 public:
  PageSpool(std::string path, int cpus) : path_(std::move(path)) {
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
        throw error("cannot create a file there: " + std::string(std::strerror(errno)));
      }
      fds_.push_back(fd);
      sizes_.push_back(0);
    }
  }
  PageSpool(const PageSpool&) = delete;
  PageSpool& operator=(const PageSpool&) = delete;
  ~PageSpool() { close_all(); }

  void page(int cpu, const unsigned char* p, std::size_t n) {
    const auto c = static_cast<std::size_t>(cpu);
    if (c >= fds_.size()) return;
    write_all(fds_[c], p, n);
    sizes_[c] += n;
  }

  std::uint64_t bytes() const noexcept {
    std::uint64_t n = 0;
    for (std::uint64_t s : sizes_) n += s;
    return n;
  }

  // Writes the trace.dat of `layout` and `meta` with the spooled pages as its top buffer.
  void finish(const TraceDatLayout& layout, const MetadataBlocks& meta) {
    const std::string tmp = path_ + ".tmp";
    FileOut out(*this, ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (out.fd < 0) throw error("cannot create " + tmp + ": " + std::strerror(errno));
    try {
      BufferPages top;
      for (std::size_t c = 0; c < fds_.size(); ++c)
        if (sizes_[c] != 0) top.cpus.push_back(cpu_pages(c));
      try {
        TraceDatWriter<FileOut>(out, layout, meta).write({top});
      } catch (const LiveError&) {
        throw;
      } catch (const std::exception& e) {
        throw error(e.what());  // a compression failure: say which file it stopped
      }
      const int fd = std::exchange(out.fd, -1);
      if (::close(fd) != 0) throw error(std::strerror(errno));
    } catch (...) {
      if (out.fd >= 0) ::close(std::exchange(out.fd, -1));
      ::unlink(tmp.c_str());
      throw;
    }
    if (::rename(tmp.c_str(), path_.c_str()) != 0) {
      const int e = errno;
      ::unlink(tmp.c_str());
      throw error(std::strerror(e));
    }
  }

 private:
  // The writer's output: the file being made, patched in place.
  struct FileOut {
    PageSpool& spool;
    int fd;
    std::uint64_t at = 0;
    FileOut(PageSpool& s, int f) : spool(s), fd(f) {}
    void put(std::string_view s) {
      spool.write_all(fd, reinterpret_cast<const unsigned char*>(s.data()), s.size());
      at += s.size();
    }
    std::uint64_t pos() const noexcept { return at; }
    void patch(std::uint64_t where, std::string_view s) const {
      if (::pwrite(fd, s.data(), s.size(), static_cast<off_t>(where)) !=
          static_cast<ssize_t>(s.size()))
        throw spool.error("write failed: " + std::string(std::strerror(errno)));
    }
  };

  // CPU `c`'s spooled pages, read back a block at a time.
  CpuPages cpu_pages(std::size_t c) {
    CpuPages p;
    p.cpu = static_cast<int>(c);
    p.size = sizes_[c];
    p.read = [this, c](std::size_t block, const CpuPages::Put& put) {
      std::vector<unsigned char> buf(block);
      for (std::uint64_t off = 0; off < sizes_[c];) {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(block, sizes_[c] - off));
        read_all(fds_[c], buf.data(), want, off);
        put(buf.data(), want);
        off += want;
      }
    };
    return p;
  }

  LiveError error(const std::string& why) const {
    return LiveError("--save " + path_ + ": " + why);
  }

  void read_all(int fd, unsigned char* p, std::size_t n, std::uint64_t off) const {
    std::size_t got = 0;
    while (got < n) {
      const ssize_t r = ::pread(fd, p + got, n - got, static_cast<off_t>(off + got));
      if (r <= 0) {
        if (r < 0 && errno == EINTR) continue;
        throw error("cannot read back the pages: " +
                    std::string(std::strerror(r < 0 ? errno : EIO)));
      }
      got += static_cast<std::size_t>(r);
    }
  }
  void write_all(int fd, const unsigned char* p, std::size_t n) const {
    while (n != 0) {
      const ssize_t w = ::write(fd, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        throw error("write failed: " + std::string(std::strerror(errno)));
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
