// One CPU's events from a trace.dat buffer: pages read (or decompressed chunk by chunk) from the
// file, records decoded from each page, each record turned into an rtlat::Event through the
// per-id decode table (PageDecoder). Produces events in batches so the merge (and a worker thread,
// when used) touches shared state once per batch, not per event.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "rtlat/detail/tracedat/compression.hpp"
#include "rtlat/detail/tracedat/io.hpp"
#include "rtlat/detail/tracedat/limits.hpp"
#include "rtlat/detail/tracedat/meta.hpp"
#include "rtlat/detail/tracedat/page.hpp"
#include "rtlat/error.hpp"
#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// The memory the CPUs of one read() share: every buffer whose size the file decides (pages,
// decompressed chunks, compressed read-ahead, event batches) takes its bytes from here first, so
// that a file claiming big chunks on many CPUs fails with an InputError instead of taking memory
// from the machine. Touched when a buffer grows, not per event.
class ReadBudget {
 public:
  explicit ReadBudget(std::uint64_t limit = read_budget_bytes) noexcept : limit_(limit) {}
  ReadBudget(const ReadBudget&) = delete;
  ReadBudget& operator=(const ReadBudget&) = delete;

  bool take(std::uint64_t n) noexcept {
    std::uint64_t used = used_.load(std::memory_order_relaxed);
    do {
      if (n > limit_ - used) return false;
    } while (!used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
    return true;
  }
  void give(std::uint64_t n) noexcept { used_.fetch_sub(n, std::memory_order_relaxed); }
  std::uint64_t limit() const noexcept { return limit_; }
  std::uint64_t used() const noexcept { return used_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> used_{0};
  const std::uint64_t limit_;
};

// What a decoding thread brings to whichever CPU it decodes: the decompression context, one per
// thread rather than one per CPU (zstd's is about 100 KB).
class DecodeContext {
 public:
  Decompressor& decompressor(Compression c) {
    if (!dec_ || kind_ != c) {
      dec_ = std::make_unique<Decompressor>(c);
      kind_ = c;
    }
    return *dec_;
  }

 private:
  std::unique_ptr<Decompressor> dec_;
  Compression kind_ = Compression::none;
};

// Yields the pages of one CPU in file order.
class PageSource {
 public:
  // `budget` is shared with the other CPUs of the read (null: one of its own); `cpus` is how
  // many CPUs share it, which sets how far this one reads ahead.
  PageSource(const File& file, const BufferRef& buf, const CpuDataRef& cpu, Compression comp,
             ByteOrder order, ReadBudget* budget = nullptr, std::size_t cpus = 1)
      : order_(order),
        file_(file),
        cpu_(cpu),
        page_size_(buf.page_size),
        compressed_(buf.compressed),
        comp_(comp),
        budget_(budget != nullptr ? budget : &own_budget_),
        cpus_(std::max<std::size_t>(cpus, 1)) {
    // Read ahead while this CPU's share of the budget allows it, down to a page (or a chunk's
    // compressed bytes). Uncompressed pages are read into the read-ahead itself, which may take
    // half the budget; compressed read-ahead takes an eighth, the decompressed chunks need the
    // rest.
    const std::uint64_t share = budget_->limit() / cpus_;
    pages_per_read_ = std::clamp<std::uint64_t>(share / 2 / page_size_, 1, max_pages_per_read);
    cbuf_block_ = std::min<std::uint64_t>(share / 8, max_cbuf_block);
    pos_ = cpu.offset;
    end_ = cpu.offset + cpu.size;
    if (compressed_ && cpu.size != 0) {
      unsigned char b[4];
      file_.read_at(pos_, b, 4, where_name() + " (chunk count)");
      chunks_left_ = order_.u32(b);
      pos_ += 4;
      // trace-cmd records the size of the chunks without the leading chunk count.
      end_ += 4;
    }
  }
  PageSource(const PageSource&) = delete;
  PageSource& operator=(const PageSource&) = delete;
  ~PageSource() { budget_->give(held_); }

  // The next page, or nullptr at the end. `page_offset()` tells where it came from. `ctx`: the
  // calling thread's (null: this source's own).
  const unsigned char* next(DecodeContext* ctx = nullptr) {
    if (cur_ < have_) {
      const unsigned char* p = buf_.data() + cur_;
      page_off_ = buf_off_ + cur_;
      cur_ += page_size_;
      return p;
    }
    if (!refill(ctx != nullptr ? *ctx : own_ctx_)) return nullptr;
    return next(ctx);
  }
  std::string page_where() const {
    if (compressed_)
      return where_name() + ", compressed chunk at " + hex_offset(chunk_off_) + ", page at byte " +
             std::to_string(page_off_ - buf_off_);
    return where_name() + ", page at " + hex_offset(page_off_);
  }
  std::string where_name() const { return "cpu " + std::to_string(cpu_.cpu) + " data"; }

 private:
  [[noreturn]] void chunk_fail(const std::string& why) const {
    throw InputError(file_.path(), where_name() + ", chunk at " + hex_offset(chunk_off_), why);
  }

  // Makes room for n bytes in `v`, taking what it grows by from the budget.
  void grow(ByteBuffer& v, std::size_t n, const char* what, std::uint64_t at) {
    if (n > v.capacity()) {
      if (!budget_->take(n - v.capacity()))
        throw InputError(file_.path(), where_name() + ", " + hex_offset(at),
                         std::string("a ") + what + " of " + std::to_string(n) +
                             " bytes would take the buffers of the " + std::to_string(cpus_) +
                             " CPUs with data past the reader's limit of " +
                             byte_count(budget_->limit()) + " (" + std::to_string(budget_->used()) +
                             " bytes in use)");
      held_ += n - v.capacity();
      v.reset(n);  // the old contents are not needed
    }
  }

  bool refill(DecodeContext& ctx) {
    cur_ = 0;
    have_ = 0;
    if (!compressed_) {
      if (pos_ >= end_) return false;
      const std::uint64_t left = end_ - pos_;
      if (left < page_size_)
        throw InputError(file_.path(), where_name() + ", " + hex_offset(pos_),
                         "data ends with a partial page (" + std::to_string(left) + " bytes of " +
                             std::to_string(page_size_) + ")");
      std::uint64_t n = std::min<std::uint64_t>(left, std::uint64_t{page_size_} * pages_per_read_);
      n -= n % page_size_;
      grow(buf_, static_cast<std::size_t>(n) + load_slack, "page buffer", pos_);
      file_.read_at(pos_, buf_.data(), static_cast<std::size_t>(n), where_name());
      std::memset(buf_.data() + n, 0, load_slack);
      buf_off_ = pos_;
      pos_ += n;
      have_ = static_cast<std::size_t>(n);
      return true;
    }
    for (;;) {
      if (chunks_left_ == 0) return false;
      --chunks_left_;
      chunk_off_ = pos_;
      if (pos_ > end_ || end_ - pos_ < 8)
        throw InputError(file_.path(), where_name() + ", " + hex_offset(pos_),
                         "chunk header past the end of the cpu data (" +
                             std::to_string(chunks_left_ + 1) + " more chunks announced, " +
                             std::to_string(pos_ > end_ ? 0 : end_ - pos_) + " bytes left)");
      const unsigned char* h = take(pos_, 8);
      const std::uint32_t csize = order_.u32(h), usize = order_.u32(h + 4);
      pos_ += 8;
      if (csize > end_ - pos_)
        chunk_fail("compressed size " + std::to_string(csize) + " extends past the cpu data (" +
                   std::to_string(end_ - pos_) + " bytes left)");
      if (usize > max_chunk_bytes)
        chunk_fail("absurd chunk size (" + std::to_string(csize) + " compressed, " +
                   std::to_string(usize) + " uncompressed, more than the reader's limit of " +
                   byte_count(max_chunk_bytes) + ")");
      if (usize > std::uint64_t{csize} * max_expansion(comp_))
        chunk_fail("absurd chunk size (" + std::to_string(csize) + " compressed, " +
                   std::to_string(usize) + " uncompressed: more than " + compression_name(comp_) +
                   " can expand " + std::to_string(csize) + " bytes to)");
      if (csize > max_compressed(comp_, usize))
        chunk_fail("absurd chunk size (" + std::to_string(csize) + " compressed, " +
                   std::to_string(usize) + " uncompressed: more than " + compression_name(comp_) +
                   " writes for " + std::to_string(usize) + " bytes)");
      if (usize % page_size_ != 0)
        chunk_fail("uncompressed chunk size " + std::to_string(usize) +
                   " is not a multiple of the page size " + std::to_string(page_size_));
      const unsigned char* in = take(pos_, csize);
      pos_ += csize;
      grow(buf_, std::size_t{usize} + load_slack, "decompressed chunk", chunk_off_);
      if (const char* err = ctx.decompressor(comp_).run(in, csize, buf_.data(), usize))
        chunk_fail(std::string("bad compressed data: ") + err);
      std::memset(buf_.data() + usize, 0, load_slack);
      buf_off_ = 0;
      have_ = usize;
      if (have_ != 0) return true;
    }
  }

  // The n bytes of compressed data at file offset `off` (at or after the previous take): chunks
  // are a few KB, so they are read ahead in blocks of cbuf_block_ rather than two reads a chunk.
  const unsigned char* take(std::uint64_t off, std::uint32_t n) {
    if (off < cbase_ || off - cbase_ > chave_ || n > chave_ - (off - cbase_)) {
      const std::uint64_t left = end_ > off ? end_ - off : 0;
      // With no read-ahead to spare, a chunk's data is read with the next chunk's header.
      const std::uint64_t want =
          std::min<std::uint64_t>(left, std::max<std::uint64_t>(std::uint64_t{n} + 8, cbuf_block_));
      grow(cbuf_, static_cast<std::size_t>(want), "compressed read-ahead", off);
      file_.read_at(off, cbuf_.data(), static_cast<std::size_t>(want), where_name());
      cbase_ = off;
      chave_ = static_cast<std::size_t>(want);
    }
    return cbuf_.data() + (off - cbase_);
  }

  static constexpr std::uint64_t max_pages_per_read = 64;
  static constexpr std::uint64_t max_cbuf_block = 64u << 10;
  // Bytes after the last page, so field loads may read a whole 8-byte word (see FieldReaderT).
  static constexpr std::size_t load_slack = 8;
  ByteOrder order_;
  const File& file_;
  CpuDataRef cpu_;
  std::uint32_t page_size_;
  bool compressed_;
  Compression comp_;
  ReadBudget own_budget_;
  ReadBudget* budget_;
  std::size_t cpus_;
  DecodeContext own_ctx_;
  std::uint64_t pages_per_read_ = 1, cbuf_block_ = 0;
  std::uint64_t pos_ = 0, end_ = 0;
  std::uint32_t chunks_left_ = 0;
  std::uint64_t chunk_off_ = 0;
  ByteBuffer buf_, cbuf_;
  std::size_t held_ = 0;     // bytes taken from the budget
  std::uint64_t cbase_ = 0;  // file offset of cbuf_[0]
  std::size_t chave_ = 0;    // valid bytes in cbuf_
  std::uint64_t buf_off_ = 0, page_off_ = 0;
  std::size_t cur_ = 0, have_ = 0;
};

class CpuStream {
 public:
  CpuStream(const TraceDatMeta& m, const File& file, const BufferRef& buf, const CpuDataRef& cpu,
            ReadBudget* budget = nullptr, std::size_t cpus = 1)
      : pages_(file, buf, cpu, m.compression, m.order, budget, cpus),
        page_(m.decode, m.layout, m.order, static_cast<std::uint16_t>(cpu.cpu)),
        file_(file),
        page_size_(buf.page_size),
        swap_(m.order.swap) {}

  std::uint64_t skipped() const noexcept { return page_.skipped(); }
  const std::vector<std::uint64_t>& unparsed() const noexcept { return page_.unparsed(); }

  // Decodes up to `max` events into `out`; returns how many (0 only at the end of the data).
  // `ctx` belongs to the calling thread.
  std::size_t fill(Event* out, std::size_t max, DecodeContext& ctx) {
    return swap_ ? fill_as<true>(out, max, ctx) : fill_as<false>(out, max, ctx);
  }

 private:
  template <bool Swap>
  std::size_t fill_as(Event* out, std::size_t max, DecodeContext& ctx) {
    std::size_t n = 0;
    while (n < max) {
      if (!in_page_) {
        const unsigned char* page = pages_.next(&ctx);
        if (page == nullptr) break;
        if (!page_.load(page, page_size_))
          throw InputError(file_.path(), pages_.page_where(), page_.error());
        in_page_ = true;
      }
      n += page_.template fill_as<Swap>(out + n, max - n);
      if (page_.status() == PageDecoder::Status::end) {
        in_page_ = false;
      } else if (page_.status() == PageDecoder::Status::corrupt) {
        throw InputError(
            file_.path(),
            pages_.page_where() + ", record at byte " + std::to_string(page_.position()),
            page_.error());
      }
    }
    return n;
  }

  PageSource pages_;
  PageDecoder page_;
  const File& file_;
  std::uint32_t page_size_;
  bool swap_;
  bool in_page_ = false;
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
