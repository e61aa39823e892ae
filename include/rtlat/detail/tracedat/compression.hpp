// zstd and zlib for trace.dat v7 sections and data chunks: decompression for the reader, and the
// one-shot compression the writer (writer.hpp) uses.
#pragma once

#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>

#include "rtlat/detail/tracedat/io.hpp"
#include "rtlat/detail/tracedat/limits.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

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

// The library version a v7 file names after its compression ("1.5.5"), as trace-cmd writes it.
inline const char* compressor_version(Compression c) noexcept {
  if (c == Compression::zstd) return ZSTD_versionString();
  if (c == Compression::zlib) return ::zlibVersion();
  return "";
}

// `in` compressed as one block, at the levels trace-cmd uses (zstd 3, zlib 6). Throws
// std::runtime_error if the library fails, which only lack of memory makes it do.
inline std::string compress_block(Compression c, std::string_view in) {
  std::string out(static_cast<std::size_t>(max_compressed(c, in.size())), '\0');
  if (c == Compression::zstd) {
    const std::size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
    if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
    out.resize(n);
    return out;
  }
  if (c != Compression::zlib) throw std::logic_error("compress_block: no compression");
  auto n = static_cast<uLongf>(out.size());
  if (::compress2(reinterpret_cast<Bytef*>(out.data()), &n,
                  reinterpret_cast<const Bytef*>(in.data()), static_cast<uLong>(in.size()),
                  6) != Z_OK)
    throw std::runtime_error("zlib: compression failed");
  out.resize(n);
  return out;
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
