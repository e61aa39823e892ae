// File access for the trace.dat reader: positioned reads that never go past the end, bounded
// in-memory cursors over metadata, and zstd / zlib block decompression. Every failure is an
// InputError naming the file, the section or offset, and what is wrong.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "rtlat/error.hpp"
#include "rtlat/source/ringbuffer.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

inline std::string hex_offset(std::uint64_t off) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "offset 0x%llx", static_cast<unsigned long long>(off));
  return buf;
}

// Caps on sizes read from the file, so a corrupt number cannot ask for gigabytes.
inline constexpr std::uint64_t max_metadata_bytes = 256ull << 20;  // one metadata section
inline constexpr std::uint64_t max_chunk_bytes = 64ull << 20;      // one compressed data chunk

class File {
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
      throw InputError(path_, std::string(what) + ", " + hex_offset(off),
                       "truncated: needs " + std::to_string(n) + " bytes, file has " +
                           std::to_string(off > size_ ? 0 : size_ - off));
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
                       "extends past the end of the file (" + std::to_string(n) +
                           " bytes at this offset, file size " + std::to_string(size_) + ")");
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

// A bounds-checked reader over bytes held in memory (a metadata section). `base` is the file
// offset of the first byte, for messages; 0 with `compressed` set means offsets are within the
// decompressed section.
class Cursor {
 public:
  Cursor(const std::string* file, std::string section, const unsigned char* data, std::size_t size,
         ByteOrder order, std::uint64_t base, bool compressed = false)
      : file_(file),
        section_(std::move(section)),
        p_(data),
        size_(size),
        order_(order),
        base_(base),
        compressed_(compressed) {}

  std::size_t pos() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return size_ - pos_; }
  bool at_end() const noexcept { return pos_ >= size_; }
  const unsigned char* here() const noexcept { return p_ + pos_; }

  [[noreturn]] void fail(const std::string& reason) const {
    std::string where = "section " + section_ + ", ";
    if (compressed_)
      where += "byte " + std::to_string(pos_) + " of the decompressed section";
    else
      where += hex_offset(base_ + pos_);
    throw InputError(*file_, where, reason);
  }
  void need(std::size_t n, const char* what) const {
    if (n > remaining())
      fail(std::string("truncated: ") + what + " needs " + std::to_string(n) + " bytes, " +
           std::to_string(remaining()) + " left");
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
  std::string_view bytes(std::uint64_t n, const char* what) {
    if (n > remaining())
      fail(std::string("truncated: ") + what + " of " + std::to_string(n) + " bytes, " +
           std::to_string(remaining()) + " left");
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
  void skip(std::uint64_t n, const char* what) { (void)bytes(n, what); }

 private:
  const std::string* file_;
  std::string section_;
  const unsigned char* p_;
  std::size_t size_;
  std::size_t pos_ = 0;
  ByteOrder order_;
  std::uint64_t base_;
  bool compressed_;
};

enum class Compression { none, zstd, zlib };

inline const char* compression_name(Compression c) noexcept {
  switch (c) {
    case Compression::zstd:
      return "zstd";
    case Compression::zlib:
      return "zlib";
    case Compression::none:
      break;
  }
  return "none";
}

// Decompresses whole blocks (a compressed section or one data chunk). Keeps its context so that
// per-chunk use does not allocate.
class Decompressor {
 public:
  explicit Decompressor(Compression c) : c_(c) {
    if (c_ == Compression::zstd) {
      zctx_ = ZSTD_createDCtx();
      if (zctx_ == nullptr) throw std::bad_alloc();
    }
  }
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;
  ~Decompressor() {
    if (zctx_ != nullptr) ZSTD_freeDCtx(zctx_);
  }

  // Returns nullptr on success, else a reason. Exactly `out_size` bytes must come out.
  const char* run(const unsigned char* in, std::size_t in_size, unsigned char* out,
                  std::size_t out_size) {
    if (c_ == Compression::zstd) {
      const std::size_t r = ZSTD_decompressDCtx(zctx_, out, out_size, in, in_size);
      if (ZSTD_isError(r)) return ZSTD_getErrorName(r);
      if (r != out_size) return "decompressed size differs from the recorded size";
      return nullptr;
    }
    if (c_ == Compression::zlib) {
      if (in_size > 0xffffffffu || out_size > 0xffffffffu) return "block too large";
      uLongf dest = static_cast<uLongf>(out_size);
      const int r = ::uncompress(out, &dest, in, static_cast<uLong>(in_size));
      if (r != Z_OK) return r == Z_DATA_ERROR ? "corrupt zlib data" : "zlib decompression failed";
      if (dest != out_size) return "decompressed size differs from the recorded size";
      return nullptr;
    }
    return "data is not compressed";
  }

  // Decompresses a whole block in pieces of at most `piece` bytes into `scratch`, handing each
  // to sink(const unsigned char*, std::size_t), which returns true to stop early. Returns
  // nullptr on success or an early stop, else a reason.
  template <class Sink>
  const char* run_pieces(const unsigned char* in, std::size_t in_size,
                         std::vector<unsigned char>& scratch, Sink&& sink) {
    constexpr std::size_t piece = 64u << 10;
    scratch.resize(piece);
    if (c_ == Compression::zstd) {
      ZSTD_DCtx_reset(zctx_, ZSTD_reset_session_only);
      ZSTD_inBuffer src{in, in_size, 0};
      for (;;) {
        ZSTD_outBuffer dst{scratch.data(), piece, 0};
        const std::size_t r = ZSTD_decompressStream(zctx_, &dst, &src);
        if (ZSTD_isError(r)) return ZSTD_getErrorName(r);
        if (dst.pos != 0 && sink(scratch.data(), dst.pos)) return nullptr;
        if (r == 0) return nullptr;  // the frame is complete
        if (src.pos == src.size && dst.pos == 0) return "compressed data ends early";
      }
    }
    if (c_ == Compression::zlib) {
      if (in_size > 0xffffffffu) return "block too large";
      z_stream z{};
      if (inflateInit(&z) != Z_OK) return "zlib decompression failed";
      struct End {
        z_stream& z;
        ~End() { inflateEnd(&z); }
      } end{z};
      z.next_in = const_cast<unsigned char*>(in);
      z.avail_in = static_cast<uInt>(in_size);
      for (;;) {
        z.next_out = scratch.data();
        z.avail_out = static_cast<uInt>(piece);
        const int r = inflate(&z, Z_NO_FLUSH);
        if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
          return r == Z_DATA_ERROR ? "corrupt zlib data" : "zlib decompression failed";
        const std::size_t got = piece - z.avail_out;
        if (got != 0 && sink(scratch.data(), got)) return nullptr;
        if (r == Z_STREAM_END) return nullptr;
        if (got == 0) return "compressed data ends early";
      }
    }
    return "data is not compressed";
  }

 private:
  Compression c_;
  ZSTD_DCtx* zctx_ = nullptr;
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
