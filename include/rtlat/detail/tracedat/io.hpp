// File access for the trace.dat reader: positioned reads that never go past the end, bounded
// in-memory cursors over metadata and over the file itself. Every failure is an
// InputError naming the file, the section or offset, and what is wrong.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "rtlat/detail/tracedat/bytes.hpp"
#include "rtlat/detail/tracedat/limits.hpp"
#include "rtlat/error.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

inline std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}
inline std::string hex_offset(std::uint64_t off) {
  return "offset " + hex(off);
}

// Bytes that are not zero-filled when allocated: a page becomes resident only once data is
// written into it, so a chunk size a file claims costs address space, not memory, until the
// decompressor really produces that much.
class ByteBuffer {
 public:
  unsigned char* data() noexcept { return p_.get(); }
  const unsigned char* data() const noexcept { return p_.get(); }
  std::size_t capacity() const noexcept { return cap_; }
  // Replaces the contents with n indeterminate bytes.
  void reset(std::size_t n) {
    p_.reset();
    p_.reset(new unsigned char[n]);
    cap_ = n;
  }

 private:
  std::unique_ptr<unsigned char[]> p_;
  std::size_t cap_ = 0;
};

class File {
  // A 32-bit off_t (armhf without _FILE_OFFSET_BITS=64) cannot address a trace over 2 GB;
  // rtlat::tracedat's CMake target and rtlat-tracedat.pc define it.
  static_assert(sizeof(off_t) >= 8, "rtlat's trace.dat reader needs -D_FILE_OFFSET_BITS=64");

 public:
  explicit File(std::string path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw InputError(path_, "", std::string("cannot open: ") + std::strerror(errno));
    struct stat st;
    if (::fstat(fd_, &st) != 0) {
      const int e = errno;
      ::close(fd_);
      throw InputError(path_, "", std::string("cannot stat: ") + std::strerror(e));
    }
    size_ = static_cast<std::uint64_t>(st.st_size);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File() {
    if (fd_ >= 0) ::close(fd_);
  }

  const std::string& path() const noexcept { return path_; }
  std::uint64_t size() const noexcept { return size_; }

  // Reads exactly n bytes at `off`; `what` names the section for the error message.
  void read_at(std::uint64_t off, void* buf, std::size_t n, std::string_view what) const {
    if (off > size_ || n > size_ - off)
      throw InputError(path_, std::string(what) + ", " + hex_offset(off), truncation(off, n));
    auto* p = static_cast<unsigned char*>(buf);
    std::size_t done = 0;
    while (done < n) {
      const ssize_t r = ::pread(fd_, p + done, n - done, static_cast<off_t>(off + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        throw InputError(path_, std::string(what) + ", " + hex_offset(off + done),
                         std::string("read error: ") + std::strerror(errno));
      }
      if (r == 0)
        throw InputError(path_, std::string(what) + ", " + hex_offset(off + done),
                         "unexpected end of file");
      done += static_cast<std::size_t>(r);
    }
  }

  void check_range(std::uint64_t off, std::uint64_t n, std::string_view what) const {
    if (off > size_ || n > size_ - off)
      throw InputError(path_, std::string(what) + ", " + hex_offset(off),
                       "extends past the end of the file: " + std::to_string(n) + " bytes at " +
                           hex_offset(off) + ", " + left_at(off));
  }

  // "truncated: needs 2 bytes at offset 0x1f00, 0 left (file size 7936)"
  std::string truncation(std::uint64_t off, std::uint64_t n) const {
    return "truncated: needs " + std::to_string(n) + " bytes at " + hex_offset(off) + ", " +
           left_at(off);
  }

 private:
  std::string left_at(std::uint64_t off) const {
    if (off > size_) return "which is past the end (file size " + std::to_string(size_) + ")";
    return std::to_string(size_ - off) + " left (file size " + std::to_string(size_) + ")";
  }

  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

// A bounds-checked reader over bytes held in memory (a metadata section). Messages give a
// place as the file offset `base` + position, or, when `unit` is set (the bytes are not the
// file's: a decompressed section, one option), as "byte N of <unit>".
class Cursor {
 public:
  Cursor(const std::string* file, std::string section, const unsigned char* data, std::size_t size,
         ByteOrder order, std::uint64_t base, const char* unit = nullptr)
      : file_(file),
        section_(std::move(section)),
        p_(data),
        size_(size),
        order_(order),
        base_(base),
        unit_(unit) {}

  std::size_t pos() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return size_ - pos_; }
  bool at_end() const noexcept { return pos_ >= size_; }
  const unsigned char* here() const noexcept { return p_ + pos_; }

  [[noreturn]] void fail(const std::string& reason) const { fail_at(pos_, reason); }
  // The same for the value that starts at `at` (a position taken before reading it).
  [[noreturn]] void fail_at(std::size_t at, const std::string& reason) const {
    std::string where = "section " + section_ + ", ";
    if (unit_ != nullptr)
      where += "byte " + std::to_string(at) + " of " + unit_;
    else
      where += hex_offset(base_ + at);
    throw InputError(*file_, where, reason);
  }
  void need(std::uint64_t n, const char* what) const {
    if (n > remaining())
      fail(std::string("truncated: ") + what + " needs " + std::to_string(n) + " bytes, " +
           std::to_string(remaining()) + " left in the section (section size " +
           std::to_string(size_) + ")");
  }
  std::uint16_t u16(const char* what) {
    need(2, what);
    const auto v = order_.u16(p_ + pos_);
    pos_ += 2;
    return v;
  }
  std::uint32_t u32(const char* what) {
    need(4, what);
    const auto v = order_.u32(p_ + pos_);
    pos_ += 4;
    return v;
  }
  std::uint64_t u64(const char* what) {
    need(8, what);
    const auto v = order_.u64(p_ + pos_);
    pos_ += 8;
    return v;
  }
  // `limit` caps what the caller may go on to copy or hand to a parser.
  std::string_view bytes(std::uint64_t n, const char* what,
                         std::uint64_t limit = max_section_bytes) {
    if (n > limit) fail(over_limit(what, n, limit));
    need(n, what);
    std::string_view v(reinterpret_cast<const char*>(p_ + pos_), static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return v;
  }
  // A NUL-terminated string.
  std::string_view cstr(const char* what) {
    const void* nul = std::memchr(p_ + pos_, 0, remaining());
    if (nul == nullptr) fail(std::string("unterminated string: ") + what);
    const std::size_t n =
        static_cast<std::size_t>(static_cast<const unsigned char*>(nul) - (p_ + pos_));
    std::string_view v(reinterpret_cast<const char*>(p_ + pos_), n);
    pos_ += n + 1;
    return v;
  }
  void skip(std::uint64_t n, const char* what) {
    need(n, what);
    pos_ += static_cast<std::size_t>(n);
  }

 private:
  const std::string* file_;
  std::string section_;
  const unsigned char* p_;
  std::size_t size_;
  std::size_t pos_ = 0;
  ByteOrder order_;
  std::uint64_t base_;
  const char* unit_;
};

// Sequential reader over the file itself (v6 metadata is a stream with no section sizes). Reads
// ahead a block at a time: a v6 header is thousands of small fields, one system call each
// otherwise. A view returned by bytes() or cstr() is valid until the next read.
class FileCursor {
 public:
  FileCursor(const File& f, std::uint64_t pos) : f_(f), pos_(pos) {}
  std::uint64_t pos() const noexcept { return pos_; }
  void seek(std::uint64_t p) noexcept { pos_ = p; }
  void set_section(std::string s) { section_ = std::move(s); }

  std::uint16_t u16(const char* what) { return order.u16(take(2, what)); }
  std::uint32_t u32(const char* what) { return order.u32(take(4, what)); }
  std::uint64_t u64(const char* what) { return order.u64(take(8, what)); }
  // `limit` caps what the caller may go on to hold.
  std::string_view bytes(std::uint64_t n, const char* what,
                         std::uint64_t limit = max_section_bytes) {
    if (n > limit) fail(over_limit(what, n, limit));
    f_.check_range(pos_, n, where(what));
    if (n <= block)
      return {reinterpret_cast<const char*>(take(n, what)), static_cast<std::size_t>(n)};
    const auto k = static_cast<std::size_t>(n);
    if (buf_.capacity() < k) buf_.reset(k);
    f_.read_at(pos_, buf_.data(), k, where(what));
    pos_ += n;
    return {reinterpret_cast<const char*>(buf_.data()), k};
  }
  void skip(std::uint64_t n, const char* what) {
    need(n, what);
    pos_ += n;
  }
  // Checks that n bytes follow, without reading them.
  void need(std::uint64_t n, const char* what) const { f_.check_range(pos_, n, where(what)); }
  // A NUL-terminated string of at most max_string bytes.
  std::string_view cstr(const char* what) {
    const std::uint64_t left = pos_ < f_.size() ? f_.size() - pos_ : 0;
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, max_string + 1));
    const unsigned char* p = n == 0 ? nullptr : take(n, what);
    pos_ -= n;
    const void* nul = p == nullptr ? nullptr : std::memchr(p, 0, n);
    if (nul == nullptr) {
      if (n > max_string) fail(std::string("unterminated string: ") + what);
      throw InputError(f_.path(), where(what) + ", " + hex_offset(pos_),
                       "truncated: no NUL ending the string before the end of the file (" +
                           std::to_string(n) + " bytes left at " + hex_offset(pos_) + ")");
    }
    const auto len = static_cast<std::size_t>(static_cast<const unsigned char*>(nul) - p);
    pos_ += len + 1;
    return {reinterpret_cast<const char*>(p), len};
  }
  [[noreturn]] void fail(const std::string& reason) const { fail_at(pos_, reason); }
  // The same for the value that starts at `at` (a position taken before reading it).
  [[noreturn]] void fail_at(std::uint64_t at, const std::string& reason) const {
    throw InputError(f_.path(), "section " + section_ + ", " + hex_offset(at), reason);
  }

  ByteOrder order;

 private:
  static constexpr std::size_t block = 64u << 10;
  static constexpr std::size_t max_string = 4096;

  std::string where(const char* what) const { return "section " + section_ + " (" + what + ")"; }
  // The n <= block bytes at pos_, which then moves past them. The read-ahead starts small (a
  // v7 section header is 16 bytes) and doubles while the reads go on (a v6 header is a stream).
  const unsigned char* take(std::uint64_t n, const char* what) {
    if (pos_ > f_.size() || n > f_.size() - pos_)
      throw InputError(f_.path(), where(what) + ", " + hex_offset(pos_), f_.truncation(pos_, n));
    if (pos_ < base_ || pos_ - base_ > have_ || n > have_ - (pos_ - base_)) {
      ahead_size_ = std::min(ahead_size_ * 2, block);
      const auto k = static_cast<std::size_t>(
          std::min<std::uint64_t>(std::max<std::uint64_t>(ahead_size_, n), f_.size() - pos_));
      if (ahead_.capacity() < k) ahead_.reset(std::max<std::size_t>(k, ahead_size_));
      f_.read_at(pos_, ahead_.data(), k, where(what));
      base_ = pos_;
      have_ = k;
    }
    const unsigned char* p = ahead_.data() + (pos_ - base_);
    pos_ += n;
    return p;
  }

  const File& f_;
  std::uint64_t pos_;
  std::string section_ = "header";
  ByteBuffer buf_, ahead_;
  std::size_t ahead_size_ = 256;
  std::uint64_t base_ = 0;  // file offset of ahead_[0]
  std::size_t have_ = 0;    // valid bytes in ahead_
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
