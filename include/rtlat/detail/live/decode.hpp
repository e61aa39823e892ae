// The live path's one contact with the trace.dat reader: live pages are decoded by the very code
// that decodes a trace.dat's per-CPU data, so a live run and `rtlat report` on its --save file
// see the same events. The decoder is built from a header-only trace.dat of the session's own
// formats (harvest.hpp), and each batch of pages is handed to it as one CPU's data in a
// scratch memory file. Everything named from the trace.dat side is in this file.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "rtlat/detail/live/instance.hpp"
#include "rtlat/detail/tracedat/io.hpp"
#include "rtlat/detail/tracedat/meta.hpp"
#include "rtlat/detail/tracedat/metadata.hpp"
#include "rtlat/detail/tracedat/stream.hpp"
#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {
namespace live {

class MemFile {
 public:
  explicit MemFile(const char* name) {
    fd_ = ::memfd_create(name, MFD_CLOEXEC);
    if (fd_ < 0) throw LiveError(std::string("memfd_create: ") + std::strerror(errno));
  }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  ~MemFile() { ::close(fd_); }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }
  void write_at(std::uint64_t off, const void* p, std::size_t n) const {
    const auto* b = static_cast<const unsigned char*>(p);
    while (n != 0) {
      const ssize_t w = ::pwrite(fd_, b, n, static_cast<off_t>(off));
      if (w < 0) {
        if (errno == EINTR) continue;
        throw LiveError(std::string("memfd write: ") + std::strerror(errno));
      }
      b += w;
      off += static_cast<std::uint64_t>(w);
      n -= static_cast<std::size_t>(w);
    }
  }
  void resize(std::uint64_t n) const {
    if (::ftruncate(fd_, static_cast<off_t>(n)) != 0)
      throw LiveError(std::string("memfd resize: ") + std::strerror(errno));
  }

 private:
  int fd_ = -1;
};

class PageDecoder {
 public:
  // `header`: a trace.dat without CPU data; `batch_bytes`: the most one decode() takes. The
  // header is read by the trace.dat metadata reader alone: no source is needed to decode pages.
  PageDecoder(const std::string& header, std::size_t batch_bytes)
      : header_file_("rtlat-live-header"), scratch_("rtlat-live-pages") {
    header_file_.write_at(0, header.data(), header.size());
    const File header_in(header_file_.path());
    m_.path = header_file_.path();
    MetadataReader(header_in, m_).read("");
    scratch_.resize(batch_bytes);
    scratch_file_ = std::make_unique<File>(scratch_.path());
    buf_.page_size = m_.page_size;
  }

  // What the header says of the machine: its CPU count and architecture (uname -m).
  int cpus() const noexcept { return m_.cpus; }
  const std::string& arch() const noexcept { return m_.arch; }
  std::uint64_t skipped() const noexcept { return skipped_; }

  // Appends the events of `bytes` bytes of `cpu`'s pages (whole pages) to `out`.
  void decode(int cpu, const unsigned char* pages, std::size_t bytes, std::vector<Event>& out) {
    if (bytes == 0) return;
    scratch_.write_at(0, pages, bytes);
    CpuDataRef ref;
    ref.cpu = cpu;
    ref.offset = 0;
    ref.size = bytes;
    CpuStream s(m_, *scratch_file_, buf_, ref);
    for (;;) {
      const std::size_t at = out.size();
      out.resize(at + chunk);
      const std::size_t got = s.fill(out.data() + at, chunk, ctx_);
      out.resize(at + got);
      if (got == 0) break;
    }
    skipped_ += s.skipped();
  }

 private:
  static constexpr std::size_t chunk = 1024;
  MemFile header_file_, scratch_;
  TraceDatMeta m_;
  std::unique_ptr<File> scratch_file_;
  BufferRef buf_;
  DecodeContext ctx_;
  std::uint64_t skipped_ = 0;
};

}  // namespace live
}  // namespace detail
}  // namespace v1
}  // namespace rtlat
