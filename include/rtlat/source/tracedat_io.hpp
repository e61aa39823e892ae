// File access for the trace.dat reader: positioned reads that never go past the end, bounded
// in-memory cursors over metadata, and zstd / zlib block decompression. Every failure is an
// InputError naming the file, the section or offset, and what is wrong.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "rtlat/error.hpp"
#include "rtlat/source/ringbuffer.hpp"

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

inline std::string byte_count(std::uint64_t n) {
  if (n >= (1ull << 20) && n % (1ull << 20) == 0) return std::to_string(n >> 20) + " MiB";
  return std::to_string(n) + " bytes";
}

// ---- What the reader holds at most, whatever sizes a file claims ------------------------------
//
// Every size read from a file is checked, before anything is allocated, against what the file can
// hold (its size; for compressed data, the most the format can expand to) and against one of the
// limits below, so that no input makes the reader hold more than a few tens of MiB. Each limit is
// several times what real recordings need; a file beyond one is an InputError that names it.
inline constexpr std::uint64_t mib = 1ull << 20;
// One metadata item held whole: a v7 section (decompressed) or a v6 header_page, format or option.
inline constexpr std::uint64_t max_section_bytes = 16 * mib;
// Saved cmdlines, kept for the whole read: kernels save at most 32768 "pid comm" lines (< 1 MiB).
inline constexpr std::uint64_t max_cmdlines_bytes = 4 * mib;
// Event formats of the file, all together: the text read, and the part given to libtraceevent
// (header and fields), which it keeps, at about 2.5 times the size. Every event of a kernel
// (record -e all) is a few MiB of text, and a few thousand formats.
inline constexpr std::uint64_t max_format_text_bytes = 16 * mib;
inline constexpr std::uint64_t max_format_field_bytes = 6 * mib;
inline constexpr std::uint32_t max_formats = 16384;
// Metadata sections decompressed in all: bounds the work of a chain of options sections.
inline constexpr std::uint64_t max_metadata_total = 64 * mib;
inline constexpr std::uint32_t max_option_sections = 1024;
// Instance buffers, and per-CPU data entries of all buffers together.
inline constexpr std::size_t max_buffers = 256;
inline constexpr std::size_t max_cpu_entries = 65536;
// The buffers of one read(), all CPUs together: pages or decompressed chunks, the compressed
// read-ahead and the decoded event batches (trace-cmd's chunks are 10 pages).
inline constexpr std::uint64_t read_budget_bytes = 24 * mib;
inline constexpr std::uint64_t max_chunk_bytes = 16 * mib;  // one decompressed data chunk
inline std::string over_limit(std::string_view what, std::uint64_t n, std::uint64_t limit) {
  return std::string(what) + " of " + std::to_string(n) +
         " bytes: more than the reader's limit of " + byte_count(limit);
}

// A string option or name kept (uname, trace clock, a buffer's name): real ones are a line.
inline constexpr std::uint64_t max_option_bytes = 64u << 10;
// kallsyms is scanned, never held, but only this far: a distribution kernel's is about 10 MiB.
inline constexpr std::uint64_t max_kallsyms_bytes = 64 * mib;
// Kept whole only for rewriting tools (RawTrace): kallsyms and printk formats.
inline constexpr std::uint64_t max_raw_bytes = 256 * mib;

// The most output one byte of input can give: deflate's limit is 1032:1; zstd's is set by its
// smallest block (4 bytes of RLE) holding the largest (128 KiB).
inline constexpr std::uint64_t max_expansion_zlib = 1032;
inline constexpr std::uint64_t max_expansion_zstd = 32768;

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

inline std::uint64_t max_expansion(Compression c) noexcept {
  return c == Compression::zlib ? max_expansion_zlib : max_expansion_zstd;
}

// The most compressed bytes the compressor writes for n bytes (incompressible data grows a
// little): anything larger is not a block trace-cmd wrote.
inline std::uint64_t max_compressed(Compression c, std::uint64_t n) noexcept {
  if (c == Compression::zlib)
    return ::compressBound(static_cast<uLong>(std::min<std::uint64_t>(n, 0xffffffffu)));
  return ZSTD_compressBound(static_cast<std::size_t>(n));
}

// Decompresses blocks: a data chunk in one call, a metadata section streamed from the file.
// Keeps its context so that per-chunk use does not allocate.
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

  // Returns nullptr on success, else a reason. Exactly `out_size` bytes must come out. Needs no
  // memory beyond `out`: zstd decodes a whole frame straight into it.
  const char* run(const unsigned char* in, std::size_t in_size, unsigned char* out,
                  std::size_t out_size) {
    if (c_ == Compression::zstd) {
      const std::size_t r = ZSTD_decompressDCtx(zctx_, out, out_size, in, in_size);
      if (ZSTD_isError(r)) {
        if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall) return longer;
        return ZSTD_getErrorName(r);
      }
      if (r != out_size) return shorter;
      return nullptr;
    }
    if (c_ == Compression::zlib) {
      if (in_size > 0xffffffffu || out_size > 0xffffffffu) return "block too large";
      uLongf dest = static_cast<uLongf>(out_size);
      const int r = ::uncompress(out, &dest, in, static_cast<uLong>(in_size));
      if (r == Z_BUF_ERROR && dest == out_size) return longer;
      if (r != Z_OK) return r == Z_DATA_ERROR ? "corrupt zlib data" : "zlib decompression failed";
      if (dest != out_size) return shorter;
      return nullptr;
    }
    return "data is not compressed";
  }

  // Decompresses the block of `in_size` bytes at file offset `off`, reading it a piece at a time,
  // and hands the output to sink(const unsigned char*, std::size_t) in pieces; sink returns true
  // to stop early. Memory: two pieces, and zstd's window, which `window_log` bounds (a frame
  // needing more is an error). Returns nullptr on success or an early stop, else a reason.
  template <class Sink>
  const char* stream(const File& f, std::uint64_t off, std::uint64_t in_size, std::string_view what,
                     unsigned window_log, Sink&& sink) {
    // Buffers kept from one block to the next, never bigger than the data needs.
    constexpr std::size_t piece = 64u << 10;
    const auto in_piece = static_cast<std::size_t>(std::min<std::uint64_t>(piece, in_size));
    if (in_.capacity() < in_piece) in_.reset(std::max<std::size_t>(in_piece, 4096));
    if (out_.capacity() < piece) out_.reset(piece);
    unsigned char* in = in_.data();
    unsigned char* out = out_.data();
    std::uint64_t read = 0;
    auto more = [&]() -> std::size_t {
      const auto k = static_cast<std::size_t>(std::min<std::uint64_t>(in_piece, in_size - read));
      f.read_at(off + read, in, k, what);
      read += k;
      return k;
    };
    if (c_ == Compression::zstd) {
      ZSTD_DCtx_reset(zctx_, ZSTD_reset_session_and_parameters);
      ZSTD_DCtx_setParameter(zctx_, ZSTD_d_windowLogMax, static_cast<int>(window_log));
      ZSTD_inBuffer src{in, 0, 0};
      for (;;) {
        if (src.pos == src.size && read < in_size) src = ZSTD_inBuffer{in, more(), 0};
        ZSTD_outBuffer dst{out, piece, 0};
        const std::size_t r = ZSTD_decompressStream(zctx_, &dst, &src);
        if (ZSTD_isError(r)) return ZSTD_getErrorName(r);
        if (dst.pos != 0 && sink(out, dst.pos)) return nullptr;
        if (r == 0) return nullptr;  // the frame is complete
        if (src.pos == src.size && read == in_size && dst.pos == 0) return ends_early;
      }
    }
    if (c_ == Compression::zlib) {
      z_stream z{};
      if (inflateInit(&z) != Z_OK) return "zlib decompression failed";
      struct End {
        z_stream& z;
        ~End() { inflateEnd(&z); }
      } end{z};
      for (;;) {
        if (z.avail_in == 0 && read < in_size) {
          z.next_in = in;
          z.avail_in = static_cast<uInt>(more());
        }
        z.next_out = out;
        z.avail_out = static_cast<uInt>(piece);
        const int r = inflate(&z, Z_NO_FLUSH);
        if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
          return r == Z_DATA_ERROR ? "corrupt zlib data" : "zlib decompression failed";
        const std::size_t got = piece - z.avail_out;
        if (got != 0 && sink(out, got)) return nullptr;
        if (r == Z_STREAM_END) return nullptr;
        if (got == 0 && z.avail_in == 0 && read == in_size) return ends_early;
      }
    }
    return "data is not compressed";
  }

  static constexpr const char* longer = "decompresses to more than the recorded size";
  static constexpr const char* shorter = "decompresses to less than the recorded size";
  static constexpr const char* ends_early = "compressed data ends early";

 private:
  Compression c_;
  ZSTD_DCtx* zctx_ = nullptr;
  ByteBuffer in_, out_;  // stream()'s
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
