// Decoding one ftrace ring-buffer sub-buffer (a "page"): shared by trace.dat and live capture.
//
// Layout (kernel ring_buffer.c, described by events/header_page): a u64 timestamp, a `local_t`
// commit word (4 or 8 bytes: the kernel's long) whose low 27 bits are the bytes used and whose
// bits 31/30 say "events were lost before this page" / "the count is stored after the data", then
// the records. Each record starts with a 32-bit header: 5 bits type_len, 27 bits time delta.
// Every read is bounds-checked against the page: a corrupt page yields an error, never an
// out-of-bounds read.
//
// Why not libtraceevent's kbuffer: it hands out one record per call through an opaque handle,
// with the byte order decided at run time on every read, and the fields are then looked up
// separately. Walking the page here, with the byte order fixed at compile time, lets the trace.dat
// reader turn each record straight into an rtlat::Event and keeps all bounds checks in one place
// (README's Performance section has the measurement against libtracecmd, from bench/compare).
//
// PageDecoder is the whole page stage: a page in, Events out, given only the decode table. It
// knows no file, so a live source can hand it the pages it reads from trace_pipe_raw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "rtlat/detail/tracedat/bytes.hpp"
#include "rtlat/detail/tracedat/decode_table.hpp"
#include "rtlat/detail/tracedat/record.hpp"
#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// Where the page header fields are, from events/header_page.
struct SubBufferLayout {
  unsigned commit_offset = 8;
  unsigned commit_size = 8;  // the kernel's long
  unsigned data_offset = 16;
};

// Iterates the records of one sub-buffer. Usage: load(), then next() until it returns
// Status::end; Status::corrupt leaves `error()` set and the rest of the page unread.
class SubBufferReader {
 public:
  enum class Status { record, end, corrupt };

  static constexpr std::uint64_t missed_events_flag = 1ull << 31;
  static constexpr std::uint64_t missed_stored_flag = 1ull << 30;
  static constexpr std::uint64_t commit_mask = (1ull << 27) - 1;
  static constexpr unsigned type_padding = 29;
  static constexpr unsigned type_time_extend = 30;
  static constexpr unsigned type_time_stamp = 31;

  SubBufferReader(SubBufferLayout layout, ByteOrder order) noexcept
      : layout_(layout), order_(order) {}

  // Loads a page of `page_size` bytes. Returns false (error() says why) when its header is
  // inconsistent. After a successful load, missed() tells whether events were lost before it:
  // missed_count() is the number when the kernel stored it, 0 when unknown.
  bool load(const unsigned char* page, std::size_t page_size) noexcept {
    page_ = page;
    error_ = nullptr;
    missed_ = false;
    missed_count_ = 0;
    if (page_size < layout_.data_offset ||
        layout_.commit_offset + layout_.commit_size > page_size) {
      error_ = "page smaller than its header";
      return false;
    }
    ts_ = order_.u64(page);
    const std::uint64_t commit = order_.uint(page + layout_.commit_offset, layout_.commit_size);
    const std::uint64_t used = commit & commit_mask;
    if (used > page_size - layout_.data_offset) {
      error_ = "page commit size larger than the page";
      return false;
    }
    end_ = layout_.data_offset + static_cast<std::size_t>(used);
    pos_ = layout_.data_offset;
    if (commit & missed_events_flag) {
      missed_ = true;
      if ((commit & missed_stored_flag) && end_ + layout_.commit_size <= page_size)
        missed_count_ = order_.uint(page + end_, layout_.commit_size);
    }
    return true;
  }

  std::uint64_t page_timestamp() const noexcept { return ts_; }
  bool missed() const noexcept { return missed_; }
  std::uint64_t missed_count() const noexcept { return missed_count_; }
  const char* error() const noexcept { return error_; }
  std::size_t position() const noexcept { return pos_; }

  Status next(RingRecord& out) noexcept {
    return order_.swap ? next_as<true>(out) : next_as<false>(out);
  }
  // The same with the byte order fixed at compile time (Swap: file order differs from the host's).
  template <bool Swap>
  Status next_as(RingRecord& out) noexcept {
    const ByteOrder order{Swap};
    while (pos_ < end_) {
      if (end_ - pos_ < 4) return fail("record header past the commit size");
      const unsigned char* p = page_ + pos_;
      const std::uint32_t head = order.u32(p);
      unsigned type_len;
      std::uint32_t delta;
      if (Swap != host_is_big_endian()) {  // file is big-endian
        type_len = head >> 27;
        delta = head & 0x07ffffffu;
      } else {
        type_len = head & 0x1fu;
        delta = head >> 5;
      }
      const std::size_t avail = end_ - pos_;
      switch (type_len) {
        case type_padding: {
          if (delta == 0) {  // the rest of the page is unused
            pos_ = end_;
            return Status::end;
          }
          if (avail < 8) return fail("padding record truncated");
          const std::uint32_t len = order.u32(p + 4);
          if (len > avail - 4) return fail("padding record past the commit size");
          ts_ += delta;  // as libtraceevent's kbuffer does for discarded records
          pos_ += 4 + static_cast<std::size_t>(len);
          continue;
        }
        case type_time_extend: {
          if (avail < 8) return fail("time extend record truncated");
          ts_ += (static_cast<std::uint64_t>(order.u32(p + 4)) << 27) + delta;
          pos_ += 8;
          continue;
        }
        case type_time_stamp: {
          if (avail < 8) return fail("absolute timestamp record truncated");
          std::uint64_t abs = (static_cast<std::uint64_t>(order.u32(p + 4)) << 27) | delta;
          // Newer kernels store only the low 59 bits; the top bits come from the running time.
          const std::uint64_t top = ts_ & ~((1ull << 59) - 1);
          if ((abs >> 59) == 0) abs |= top;
          ts_ = abs;
          pos_ += 8;
          continue;
        }
        case 0: {
          if (avail < 8) return fail("record length truncated");
          const std::uint32_t len = order.u32(p + 4);
          if (len < 4) return fail("record length too small");
          const std::size_t payload = (static_cast<std::size_t>(len) - 4 + 3) & ~std::size_t{3};
          if (payload > avail - 8) return fail("record past the commit size");
          ts_ += delta;
          out.ts = ts_;
          out.data = p + 8;
          out.size = len - 4;
          pos_ += 8 + payload;
          return Status::record;
        }
        default: {
          const std::size_t payload = static_cast<std::size_t>(type_len) * 4;
          if (payload > avail - 4) return fail("record past the commit size");
          ts_ += delta;
          out.ts = ts_;
          out.data = p + 4;
          out.size = static_cast<std::uint32_t>(payload);
          pos_ += 4 + payload;
          return Status::record;
        }
      }
    }
    return Status::end;
  }

 private:
  Status fail(const char* why) noexcept {
    error_ = why;
    pos_ = end_;
    return Status::corrupt;
  }

  SubBufferLayout layout_;
  ByteOrder order_;
  const unsigned char* page_ = nullptr;
  std::size_t pos_ = 0, end_ = 0;
  std::uint64_t ts_ = 0;
  bool missed_ = false;
  std::uint64_t missed_count_ = 0;
  const char* error_ = nullptr;
};

// Decodes pages of one CPU into Events: load() a page, then fill() until status() is no longer
// Status::record. The page (and the 8 bytes after it, which must be readable) must stay valid
// while its records are decoded.
class PageDecoder {
 public:
  using Status = SubBufferReader::Status;

  PageDecoder(const DecodeTable& table, SubBufferLayout layout, ByteOrder order,
              std::uint16_t cpu) noexcept
      : rb_(layout, order), rec_(table, cpu), swap_(order.swap) {}

  // Starts a page of `page_size` bytes; false (error() says why) when its header is inconsistent.
  // Events lost before the page come out first, as one lost event.
  bool load(const unsigned char* page, std::size_t page_size) noexcept {
    status_ = Status::end;
    if (!rb_.load(page, page_size)) {
      status_ = Status::corrupt;
      return false;
    }
    status_ = Status::record;
    lost_ = rb_.missed();
    return true;
  }

  // Decodes up to `max` events of the page into `out`; returns how many. Stops early at the end
  // of the page (status() end) or at a corrupt record (status() corrupt, error() and position()
  // say what and where).
  std::size_t fill(Event* out, std::size_t max) {
    return swap_ ? fill_as<true>(out, max) : fill_as<false>(out, max);
  }
  // The same with the byte order fixed at compile time (Swap: the order differs from the host's).
  template <bool Swap>
  RTLAT_ALWAYS_INLINE std::size_t fill_as(Event* out, std::size_t max) {
    std::size_t n = 0;
    if (lost_ && n < max) {
      out[n++] =
          Event::make_lost(rec_.convert(rb_.page_timestamp()), rec_.cpu(), rb_.missed_count());
      lost_ = false;
    }
    while (n < max) {
      RingRecord r;
      const Status st = rb_.template next_as<Swap>(r);
      if (st != Status::record) {
        status_ = st;
        break;
      }
      if (rec_.template decode<Swap>(r, out[n])) ++n;
    }
    return n;
  }

  Status status() const noexcept { return status_; }
  const char* error() const noexcept { return rb_.error(); }
  std::size_t position() const noexcept { return rb_.position(); }
  std::uint64_t skipped() const noexcept { return rec_.skipped(); }
  const std::vector<std::uint64_t>& unparsed() const noexcept { return rec_.unparsed(); }

 private:
  SubBufferReader rb_;
  RecordDecoder rec_;
  bool swap_;
  bool lost_ = false;
  Status status_ = Status::end;
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
