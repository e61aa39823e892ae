// What a trace.dat says before its ring-buffer data (TraceDatMeta: the initial header, header_page,
// kallsyms, saved cmdlines, options, the per-CPU data of each buffer), and the parsers of its
// parts that v6 (one stream) and v7 (sections) share. MetadataReader (metadata.hpp) drives them.
#pragma once

#include <traceevent/event-parse.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rtlat/detail/tracedat/compression.hpp"
#include "rtlat/detail/tracedat/decode_table.hpp"
#include "rtlat/detail/tracedat/file_parts.hpp"
#include "rtlat/detail/tracedat/io.hpp"
#include "rtlat/detail/tracedat/kallsyms.hpp"
#include "rtlat/detail/tracedat/limits.hpp"
#include "rtlat/detail/tracedat/page.hpp"
#include "rtlat/detail/tracedat/tgids.hpp"
#include "rtlat/event.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

struct CpuDataRef {
  int cpu = 0;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

struct BufferRef {
  std::string name;  // "" for the top buffer
  std::string clock;
  std::uint32_t page_size = 0;
  bool compressed = false;
  bool latency = false;  // text latency data, not ring-buffer pages
  std::vector<CpuDataRef> cpus;
};

struct TraceDatMeta {
  std::string path;
  int version = 0;
  ByteOrder order;
  unsigned long_size = 8;
  std::uint32_t page_size = 0;
  Compression compression = Compression::none;
  SubBufferLayout layout;
  int cpus = 0;
  std::string uname, arch, clock;
  std::string cmdlines;
  std::vector<TgidHint> tgids;  // rtlat live's map (tgids.hpp), in stream order
  bool have_tgids = false;
  std::vector<BufferRef> buffers;  // top buffer (if any) first
  // Timestamp conversion: ts = (mult ? ts * mult >> shift : ts) + offset.
  std::uint32_t tsc_mult = 0, tsc_shift = 0;
  std::int64_t ts_offset = 0;

  TepPtr tep;
  bool have_hrtimer_wakeup = false;  // from kallsyms
  std::uint64_t hrtimer_wakeup = 0;
  DecodeTable decode;  // built from the formats and the facts above once they are all read
  std::vector<std::string> notes;

  // Kept until formats are turned into tables.
  std::string sched_switch_format;
  int format_failures = 0;
  // Every format that could not be parsed: "system:event (why)" and its event id (-1 when the
  // format does not give one). Its records are counted apart (DecodeTable::unparsed), so a note
  // speaks of it only when the file holds such events.
  struct FailedFormat {
    std::string what;
    std::int64_t id = -1;
  };
  std::vector<FailedFormat> failed_formats;
  std::uint32_t format_count = 0;
  std::uint64_t format_text = 0, format_fields = 0;  // bytes, against the max_format_* limits
  std::uint64_t metadata_loaded = 0;  // section bytes held so far (max_metadata_total)
  bool want_kallsyms = false;
  // Set only by read_metadata_blocks (metadata.hpp): the parsers then also copy every block as
  // stored, the ones they would skip included. Unset, nothing more is read or copied.
  MetadataBlocks* stored = nullptr;
};

// ---- metadata parsers, shared by the v6 file stream and v7 in-memory sections -----------------

template <class C>
void parse_header_info(TraceDatMeta& m, C& c) {
  const auto tag = c.bytes(12, "header_page tag");
  if (std::memcmp(tag.data(), "header_page", 12) != 0) c.fail("expected \"header_page\"");
  const std::uint64_t n = c.u64("header_page size");
  std::string page(c.bytes(n, "header_page"));
  if (m.stored != nullptr) m.stored->header_page = page;
  // Our own reading of the sub-buffer layout; libtraceevent gets the same text.
  auto field = [&](std::string_view name, unsigned& off, unsigned& size) {
    const std::size_t at = page.find(std::string(" ") + std::string(name) + ";");
    if (at == std::string::npos) return false;
    const std::size_t o = page.find("offset:", at), s = page.find("size:", at);
    if (o == std::string::npos || s == std::string::npos) return false;
    off = static_cast<unsigned>(std::strtoul(page.c_str() + o + 7, nullptr, 10));
    size = static_cast<unsigned>(std::strtoul(page.c_str() + s + 5, nullptr, 10));
    return true;
  };
  unsigned ts_off = 0, ts_size = 0, c_off = 0, c_size = 0, d_off = 0, d_size = 0;
  if (!field("timestamp", ts_off, ts_size) || !field("commit", c_off, c_size) ||
      !field("data", d_off, d_size))
    c.fail("header_page lacks the timestamp, commit or data field");
  if (ts_off != 0 || ts_size != 8) c.fail("header_page timestamp is not a u64 at offset 0");
  if ((c_size != 4 && c_size != 8) || c_off < 8 || c_off + c_size > d_off || d_off > 64)
    c.fail("header_page commit/data fields are not a layout this reader knows");
  m.layout.commit_offset = c_off;
  m.layout.commit_size = c_size;
  m.layout.data_offset = d_off;
  tep_parse_header_page(m.tep.get(), page.data(), static_cast<unsigned long>(page.size()),
                        static_cast<int>(m.long_size));
  const auto tag2 = c.bytes(13, "header_event tag");
  if (std::memcmp(tag2.data(), "header_event", 13) != 0) c.fail("expected \"header_event\"");
  const std::uint64_t n2 = c.u64("header_event size");
  if (m.stored != nullptr)
    m.stored->header_event = std::string(c.bytes(n2, "header_event"));
  else
    c.skip(n2, "header_event");
}

inline void set_hrtimer_wakeup(TraceDatMeta& m, KallsymsScan& scan) {
  scan.finish();
  if (auto a = scan.address(); a && *a != 0) {
    m.have_hrtimer_wakeup = true;
    m.hrtimer_wakeup = *a;
  }
}

template <class C>
void parse_kallsyms(TraceDatMeta& m, C& c) {
  const std::uint32_t n = c.u32("kallsyms size");
  if (m.stored != nullptr) {
    m.stored->kallsyms = std::string(c.bytes(n, "kallsyms", max_kallsyms_bytes));
    if (!m.want_kallsyms) return;
    KallsymsScan scan(kallsyms_symbol);
    scan.feed(m.stored->kallsyms);
    set_hrtimer_wakeup(m, scan);
    return;
  }
  if (!m.want_kallsyms) {
    c.skip(n, "kallsyms");
    return;
  }
  // Read in pieces and only as far as the symbol; a text the file cannot hold is an error
  // about the text, not about its first piece.
  c.need(n, "kallsyms");
  KallsymsScan scan(kallsyms_symbol);
  std::uint32_t left = n;
  while (left != 0) {
    const std::uint32_t k = std::min<std::uint32_t>(left, kallsyms_piece);
    left -= k;
    if (scan.feed(c.bytes(k, "kallsyms"))) break;
  }
  c.skip(left, "kallsyms");
  set_hrtimer_wakeup(m, scan);
}

// The printk formats: nothing here prints events, so they are only skipped (or kept as stored).
template <class C>
void parse_printk(TraceDatMeta& m, C& c) {
  const std::uint32_t n = c.u32("printk size");
  if (m.stored != nullptr)
    m.stored->printk = std::string(c.bytes(n, "printk formats"));
  else
    c.skip(n, "printk formats");
}

template <class C>
void parse_cmdlines(TraceDatMeta& m, C& c) {
  const std::uint64_t n = c.u64("cmdlines size");
  m.cmdlines = std::string(c.bytes(n, "saved cmdlines", max_cmdlines_bytes));
  if (m.stored != nullptr) m.stored->cmdlines = m.cmdlines;
}

// The architecture is the last word of the uname string ("Linux host 6.1.0 x86_64").
inline std::string arch_from_uname(std::string_view u) {
  while (!u.empty() && (u.back() == '\0' || u.back() == ' ' || u.back() == '\n'))
    u.remove_suffix(1);
  const std::size_t sp = u.find_last_of(' ');
  return std::string(sp == std::string_view::npos ? u : u.substr(sp + 1));
}

inline std::string option_string(std::string_view data) {
  const std::size_t nul = data.find('\0');
  return std::string(nul == std::string_view::npos ? data : data.substr(0, nul));
}

// The clock a trace_clock text selects, taken as the file's when it names one.
inline void take_clock(TraceDatMeta& m, std::string_view trace_clock) {
  const std::optional<std::string_view> clock = bracketed_clock(trace_clock);
  if (clock && !clock->empty()) m.clock = std::string(*clock);
}

// "cpu count 9000: more than the 8192 CPUs rtlat handles"
inline std::string too_many_cpus(const char* what, std::uint64_t n) {
  return std::string(what) + " " + std::to_string(n) + ": " +
         (std::string_view(what).find("id") != std::string_view::npos ? "at or above"
                                                                      : "more than") +
         " the " + std::to_string(max_cpus) + " CPUs rtlat handles (rtlat::max_cpus)";
}

// Options the reader takes anything from (the rest are skipped unread).
inline bool option_used(std::uint16_t id) noexcept {
  switch (id) {
    case opt_date:
    case opt_buffer:
    case opt_traceclock:
    case opt_uname:
    case opt_offset:
    case opt_cpucount:
    case opt_tsc2nsec:
    case opt_buffer_text:
    case opt_rtlat_tgids:
      return true;
    default:
      return false;
  }
}

// A string kept from the file, cut at its NUL; longer than max_option_bytes is an error.
template <class Fail>
std::string bounded_string(std::string_view s, const char* what, Fail&& fail) {
  const std::size_t nul = s.find('\0');
  if (nul != std::string_view::npos) s = s.substr(0, nul);
  if (s.size() > max_option_bytes) fail(over_limit(what, s.size(), max_option_bytes));
  return std::string(s);
}

// Adds a DATE or OFFSET option's number (times `unit` nanoseconds) to the timestamp offset. A
// number, or a sum, that does not fit in 64 bits is an error, not a wrapped offset.
template <class Fail>
void add_ts_offset(TraceDatMeta& m, const std::string& text, long long unit, const char* name,
                   Fail&& fail) {
  errno = 0;
  const long long v = std::strtoll(text.c_str(), nullptr, 0);
  long long ns = 0, sum = 0;
  if (errno == ERANGE || __builtin_mul_overflow(v, unit, &ns) ||
      __builtin_add_overflow(static_cast<long long>(m.ts_offset), ns, &sum))
    fail(std::string(name) + " option \"" + text.substr(0, 32) +
         "\": the timestamp offset does not fit in 64 bits");
  m.ts_offset = sum;
}

// Options common to both versions; the rest are handled by the version-specific parsers.
inline void apply_common_option(TraceDatMeta& m, std::uint16_t id, std::string_view data,
                                const std::function<void(const std::string&)>& fail) {
  if ((id == opt_date || id == opt_offset || id == opt_traceclock || id == opt_uname) &&
      data.size() > max_option_bytes)
    fail(over_limit("option " + std::to_string(id), data.size(), max_option_bytes));
  switch (id) {
    case opt_date:
      // Microseconds between trace time and wall time, as "0x..." text (trace-cmd -d/--date).
      add_ts_offset(m, option_string(data), 1000, "DATE", fail);
      break;
    case opt_offset:
      add_ts_offset(m, option_string(data), 1, "OFFSET", fail);
      break;
    case opt_traceclock:
      take_clock(m, option_string(data));
      break;
    case opt_uname:
      m.uname = option_string(data);
      m.arch = arch_from_uname(m.uname);
      break;
    case opt_cpucount:
      if (data.size() < 4) fail("CPUCOUNT option shorter than 4 bytes");
      {
        const std::uint32_t n = m.order.u32(reinterpret_cast<const unsigned char*>(data.data()));
        if (n > max_cpus) fail(too_many_cpus("CPUCOUNT option: cpu count", n));
        if (static_cast<int>(n) > m.cpus) m.cpus = static_cast<int>(n);
      }
      break;
    case opt_tsc2nsec:
      if (data.size() < 16) fail("TSC2NSEC option shorter than 16 bytes");
      {
        const auto* p = reinterpret_cast<const unsigned char*>(data.data());
        m.tsc_mult = m.order.u32(p);
        m.tsc_shift = m.order.u32(p + 4);
        if (m.tsc_shift > 32) fail("TSC2NSEC shift " + std::to_string(m.tsc_shift) + " above 32");
      }
      break;
    case opt_rtlat_tgids:
      if (m.have_tgids) fail("more than one rtlat tgids option");
      m.have_tgids = true;
      m.tgids = parse_tgids(data, fail);
      break;
    default:
      break;
  }
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
