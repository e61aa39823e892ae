// Everything in a trace.dat before the ring-buffer data: the initial header, header_page, event
// formats, kallsyms, saved cmdlines, options (v6 option list, v7 option sections) and the
// per-CPU data locations of each buffer. Parsed once; the result drives the per-CPU decoders.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "rtlat/error.hpp"
#include "rtlat/event.hpp"
#include "rtlat/prev_state.hpp"
#include "rtlat/source/ringbuffer.hpp"
#include "rtlat/source/syscalls.hpp"
#include "rtlat/source/tracedat_format.hpp"
#include "rtlat/source/tracedat_io.hpp"

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

// Option ids (trace-cmd.dat(5)).
enum : std::uint16_t {
  opt_done = 0,
  opt_date = 1,
  opt_cpustat = 2,
  opt_buffer = 3,
  opt_traceclock = 4,
  opt_uname = 5,
  opt_offset = 7,
  opt_cpucount = 8,
  opt_tsc2nsec = 14,
  opt_strings = 15,
  opt_header_info = 16,
  opt_ftrace_events = 17,
  opt_event_formats = 18,
  opt_kallsyms = 19,
  opt_printk = 20,
  opt_cmdlines = 21,
  opt_buffer_text = 22,
};

// The metadata exactly as stored, for tools that rewrite a file (tracedat_writer.hpp).
struct RawTrace {
  std::string header_page, header_event;
  std::vector<std::string> ftrace_formats;
  std::vector<std::pair<std::string, std::vector<std::string>>> event_systems;
  std::string kallsyms, printk;
  // Options other than DONE, BUFFER*, CPUCOUNT and the v7 section pointers, in file order.
  std::vector<std::pair<std::uint16_t, std::string>> options;
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
  std::vector<BufferRef> buffers;  // top buffer (if any) first
  // Timestamp conversion: ts = (mult ? ts * mult >> shift : ts) + offset.
  std::uint32_t tsc_mult = 0, tsc_shift = 0;
  std::int64_t ts_offset = 0;

  TepPtr tep;
  std::vector<EventDecoder> table;  // by event id
  FieldRef common_type, common_pid;
  bool common_std = false;  // common_type u16 at 0, common_pid s32 at 4, host order
  std::uint32_t header_min = 0;
  PrevStateDecoder prev_state;
  // With the flag known from the format, a prev_state's class depends only on the bits up to the
  // flag: a lookup by raw & (size - 1) instead of the decoder's chain of tests. Empty: decode.
  std::vector<PrevState> prev_state_table;
  bool have_hrtimer_wakeup = false;
  std::uint64_t hrtimer_wakeup = 0;
  bool have_syscalls = false;
  TimerSleepSyscalls syscalls;
  bool syscall_events = false, irq_thread_events = false;
  std::vector<std::string> notes;

  // Kept until formats are turned into tables.
  std::string sched_switch_format;
  int format_failures = 0;
  std::vector<std::string> failed_formats;  // the first few: "system:event (why)"
  std::uint32_t format_count = 0;
  std::uint64_t format_text = 0, format_fields = 0;  // bytes, against the max_format_* limits
  std::uint64_t metadata_loaded = 0;  // section bytes held so far (max_metadata_total)
  bool want_kallsyms = false;
  RawTrace* raw = nullptr;  // filled while parsing when set
};

// ---- metadata parsers, shared by the v6 file stream and v7 in-memory sections -----------------

template <class C>
void parse_header_info(TraceDatMeta& m, C& c) {
  const auto tag = c.bytes(12, "header_page tag");
  if (std::memcmp(tag.data(), "header_page", 12) != 0) c.fail("expected \"header_page\"");
  const std::uint64_t n = c.u64("header_page size");
  std::string page(c.bytes(n, "header_page"));
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
  if (m.raw != nullptr) {
    m.raw->header_page = page;
    m.raw->header_event = std::string(c.bytes(n2, "header_event"));
  } else {
    c.skip(n2, "header_event");
  }
}

// Why `text` (up to its print fmt) does not have the exact shape the kernel writes ("name: N",
// "ID: N", "format:", then "\tfield:DECL;\toffset:N;\tsize:N;\tsigned:N;" lines), or "" when it
// has. libtraceevent's field parser dereferences NULL on some malformed declarations (found by
// fuzzing: a NUL byte inside "char comm[...]"), so nothing else is handed to it.
inline std::string format_problem(std::string_view text) {
  auto ident = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  auto digits = [](std::string_view v) {
    if (v.empty() || v.size() > 9) return false;
    for (char c : v)
      if (c < '0' || c > '9') return false;
    return true;
  };
  auto take = [](std::string_view& v, std::string_view prefix) {
    if (v.substr(0, prefix.size()) != prefix) return false;
    v.remove_prefix(prefix.size());
    return true;
  };
  auto number_until = [&](std::string_view& v, char end) {
    const std::size_t at = v.find(end);
    if (at == std::string_view::npos || !digits(v.substr(0, at))) return false;
    v.remove_prefix(at + 1);
    return true;
  };
  auto decl_ok = [&](std::string_view d) {
    if (d.empty() || d.size() > 256 || !ident(d.back())) {
      if (d.empty() || d.back() != ']') return false;
    }
    bool in_bracket = false;
    for (char c : d) {
      if (c == '[') {
        if (in_bracket) return false;
        in_bracket = true;
      } else if (c == ']') {
        if (!in_bracket) return false;
        in_bracket = false;
      } else if (!ident(c) && !(!in_bracket && (c == ' ' || c == '*'))) {
        return false;
      }
    }
    return !in_bracket;
  };
  auto field_ok = [&](std::string_view line) {
    if (!take(line, "\tfield:")) return false;
    const std::size_t semi = line.find(';');
    if (semi == std::string_view::npos || !decl_ok(line.substr(0, semi))) return false;
    line.remove_prefix(semi + 1);
    if (!take(line, "\toffset:") || !number_until(line, ';')) return false;
    if (!take(line, "\tsize:") || !number_until(line, ';')) return false;
    if (!line.empty() && (!take(line, "\tsigned:") || !number_until(line, ';'))) return false;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    return line.empty();
  };
  int line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.substr(0, 10) == "print fmt:") {
      if (line_no >= 3) return {};
      break;
    }
    ++line_no;
    for (char c : line)
      if ((c < 0x20 || c > 0x7e) && c != '\t')
        return "line " + std::to_string(line_no) + " holds a control or non-ASCII byte";
    switch (line_no) {
      case 1: {
        bool ok = take(line, "name: ") && !line.empty();
        for (char c : line) ok = ok && ident(c);
        if (!ok) return "line 1 is not \"name: NAME\"";
        continue;
      }
      case 2:
        if (!take(line, "ID: ") || !digits(line)) return "line 2 is not \"ID: NUMBER\"";
        continue;
      case 3:
        if (line != "format:") return "line 3 is not \"format:\"";
        continue;
      default:
        break;
    }
    if (!line.empty() && !field_ok(line))
      return "line " + std::to_string(line_no) + " is not a \"field:\" line the kernel writes";
  }
  return line_no < 3 ? "cut short before its fields" : "no \"print fmt:\" line";
}

inline bool plausible_format(std::string_view text) {
  return format_problem(text).empty();
}

// "system:event" for messages, from the format's own name line when it has a readable one.
inline std::string format_label(std::string_view text, const char* system) {
  std::string label = system;
  label += ':';
  std::string_view name;
  if (text.substr(0, 6) == "name: ")
    name = text.substr(6, text.find('\n') - std::min<std::size_t>(text.find('\n'), 6));
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) ok = ok && c > 0x20 && c < 0x7f;
  label += ok ? std::string(name) : std::string("?");
  return label;
}

inline void format_failed(TraceDatMeta& m, std::string_view text, const char* system,
                          const std::string& why) {
  constexpr std::size_t listed = 4;  // the note names this many, then counts the rest
  ++m.format_failures;
  if (m.failed_formats.size() < listed)
    m.failed_formats.push_back(format_label(text, system) + " (" + why + ")");
}

inline void parse_one_format(TraceDatMeta& m, std::string_view text, const char* system) {
  const std::string_view raw = text;
  if (std::string why = format_problem(text); !why.empty()) {
    format_failed(m, raw, system, why);
    return;
  }
  // libtraceevent is given the fields only: its print fmt parser dereferences NULL on formats
  // whose arguments name a missing field (found by fuzzing), and nothing here prints events. The
  // one thing read from a print fmt, sched_switch's preemption flag, is parsed from the raw text.
  std::string fields;
  const std::size_t pf = text.find("\nprint fmt:");
  if (pf != std::string_view::npos) {
    fields.assign(text.substr(0, pf + 1));
    fields += "print fmt: \"\"\n";
    text = fields;
  }
  if (const tep_errno e = tep_parse_event(m.tep.get(), text.data(), text.size(), system);
      e != TEP_ERRNO__SUCCESS) {
    char buf[128] = "";
    tep_strerror(m.tep.get(), e, buf, sizeof buf);
    format_failed(m, raw, system, std::string("libtraceevent: ") + buf);
    return;
  }
  if (std::string_view(system) == "sched" && raw.substr(0, 19) == "name: sched_switch\n")
    m.sched_switch_format = std::string(raw);
}

// Counts one format of `size` bytes against the limits on formats (their number, their text, and
// the part libtraceevent keeps); reads and parses it.
// `keep`: where RawTrace keeps the text, if at all.
template <class C>
void take_format(TraceDatMeta& m, C& c, const char* what, const char* system,
                 std::vector<std::string>* keep) {
  const std::uint64_t size = c.u64(what);
  if (++m.format_count > max_formats)
    c.fail("more than " + std::to_string(max_formats) + " event formats: the reader's limit");
  if (size > max_format_text_bytes - m.format_text)
    c.fail(over_limit("event format text", m.format_text + size, max_format_text_bytes));
  const auto text = c.bytes(size, "format text");
  m.format_text += size;
  const std::size_t pf = text.find("\nprint fmt:");
  m.format_fields += pf == std::string_view::npos ? text.size() : pf;
  if (m.format_fields > max_format_field_bytes)
    c.fail(over_limit("event format fields", m.format_fields, max_format_field_bytes));
  if (keep != nullptr) keep->emplace_back(text);
  parse_one_format(m, text, system);
}

template <class C>
void parse_ftrace_formats(TraceDatMeta& m, C& c) {
  const std::uint32_t n = c.u32("ftrace format count");
  if (n > 100000) c.fail("absurd ftrace format count " + std::to_string(n));
  for (std::uint32_t i = 0; i < n; ++i)
    take_format(m, c, "ftrace format size", "ftrace", m.raw ? &m.raw->ftrace_formats : nullptr);
}

template <class C>
void parse_event_formats(TraceDatMeta& m, C& c) {
  const std::uint32_t systems = c.u32("event system count");
  if (systems > 100000) c.fail("absurd event system count " + std::to_string(systems));
  for (std::uint32_t s = 0; s < systems; ++s) {
    const std::string sys(c.cstr("system name"));
    if (m.raw != nullptr) m.raw->event_systems.emplace_back(sys, std::vector<std::string>{});
    const std::uint32_t n = c.u32("event count");
    if (n > 100000) c.fail("absurd event count " + std::to_string(n));
    for (std::uint32_t i = 0; i < n; ++i)
      take_format(m, c, "event format size", sys.c_str(),
                  m.raw ? &m.raw->event_systems.back().second : nullptr);
  }
}

// The one kallsyms symbol rtlat needs: hrtimer_start of this function is a timer sleep.
inline constexpr std::string_view kallsyms_symbol = "hrtimer_wakeup";
inline constexpr std::uint32_t kallsyms_piece = 256u << 10;

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
  if (!m.want_kallsyms) {
    c.skip(n, "kallsyms");
    return;
  }
  if (m.raw != nullptr) {
    m.raw->kallsyms = std::string(c.bytes(n, "kallsyms", max_raw_bytes));
    KallsymsScan all(kallsyms_symbol);
    all.feed(m.raw->kallsyms);
    set_hrtimer_wakeup(m, all);
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

template <class C>
void parse_printk(TraceDatMeta& m, C& c) {
  const std::uint32_t n = c.u32("printk size");
  if (m.raw != nullptr)
    m.raw->printk = std::string(c.bytes(n, "printk formats", max_raw_bytes));
  else
    c.skip(n, "printk formats");
}

template <class C>
void parse_cmdlines(TraceDatMeta& m, C& c) {
  const std::uint64_t n = c.u64("cmdlines size");
  m.cmdlines = std::string(c.bytes(n, "saved cmdlines", max_cmdlines_bytes));
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
  if (m.raw != nullptr && id != opt_cpucount && id != opt_strings)
    m.raw->options.emplace_back(id, std::string(data));
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
    case opt_traceclock: {
      // "[local] global counter ...": the selected clock is in brackets.
      const std::string s = option_string(data);
      const std::size_t a = s.find('['), b = s.find(']');
      if (a != std::string::npos && b != std::string::npos && b > a)
        m.clock = s.substr(a + 1, b - a - 1);
      break;
    }
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
    default:
      break;
  }
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
