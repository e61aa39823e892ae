// Everything in a trace.dat before the ring-buffer data: the initial header, header_page, event
// formats, kallsyms, saved cmdlines, options (v6 option list, v7 option sections) and the
// per-CPU data locations of each buffer. Parsed once; the result drives the per-CPU decoders.
#pragma once

#include <algorithm>
#include <cstdint>
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

// Sequential reader over the file itself (v6 metadata is a stream with no section sizes).
class FileCursor {
 public:
  FileCursor(const File& f, std::uint64_t pos) : f_(f), pos_(pos) {}
  std::uint64_t pos() const noexcept { return pos_; }
  void seek(std::uint64_t p) noexcept { pos_ = p; }
  void set_section(std::string s) { section_ = std::move(s); }

  std::uint16_t u16(const char* what) { return order.u16(raw(2, what)); }
  std::uint32_t u32(const char* what) { return order.u32(raw(4, what)); }
  std::uint64_t u64(const char* what) { return order.u64(raw(8, what)); }
  std::string_view bytes(std::uint64_t n, const char* what) {
    if (n > max_metadata_bytes) fail(std::string(what) + ": absurd size " + std::to_string(n));
    f_.check_range(pos_, n, "section " + section_ + " (" + what + ")");
    buf_.resize(static_cast<std::size_t>(n));
    if (n != 0) f_.read_at(pos_, buf_.data(), buf_.size(), "section " + section_);
    pos_ += n;
    return buf_;
  }
  void skip(std::uint64_t n, const char* what) {
    f_.check_range(pos_, n, "section " + section_ + " (" + what + ")");
    pos_ += n;
  }
  std::string_view cstr(const char* what) {
    std::string s;
    for (;;) {
      char c;
      f_.read_at(pos_, &c, 1, "section " + section_ + " (" + what + ")");
      ++pos_;
      if (c == '\0') break;
      s.push_back(c);
      if (s.size() > 4096) fail(std::string("unterminated string: ") + what);
    }
    buf_ = std::move(s);
    return buf_;
  }
  [[noreturn]] void fail(const std::string& reason) const {
    throw InputError(f_.path(), "section " + section_ + ", " + hex_offset(pos_), reason);
  }

  ByteOrder order;

 private:
  const unsigned char* raw(std::size_t n, const char* what) {
    f_.read_at(pos_, tmp_, n, "section " + section_ + " (" + what + ")");
    pos_ += n;
    return tmp_;
  }
  const File& f_;
  std::uint64_t pos_;
  std::string section_ = "header";
  std::string buf_;
  unsigned char tmp_[8];
};

inline constexpr unsigned char tracedat_magic[10] = {0x17, 0x08, 0x44, 't', 'r',
                                                     'a',  'c',  'i',  'n', 'g'};

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
  bool have_hrtimer_wakeup = false;
  std::uint64_t hrtimer_wakeup = 0;
  bool have_syscalls = false;
  TimerSleepSyscalls syscalls;
  bool syscall_events = false, irq_thread_events = false;
  std::vector<std::string> notes;

  // Kept until formats are turned into tables.
  std::string sched_switch_format;
  int format_failures = 0;
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

// Whether `text` (up to its print fmt) has the exact shape the kernel writes: "name: N", "ID: N",
// "format:", then "\tfield:DECL;\toffset:N;\tsize:N;\tsigned:N;" lines. libtraceevent's field
// parser dereferences NULL on some malformed declarations (found by fuzzing: a NUL byte inside
// "char comm[...]"), so nothing else is handed to it.
inline bool plausible_format(std::string_view text) {
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
  int line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.substr(0, 10) == "print fmt:") return line_no >= 3;
    for (char c : line)
      if ((c < 0x20 || c > 0x7e) && c != '\t') return false;
    switch (line_no++) {
      case 0: {
        if (!take(line, "name: ") || line.empty()) return false;
        for (char c : line)
          if (!ident(c)) return false;
        continue;
      }
      case 1:
        if (!take(line, "ID: ") || !digits(line)) return false;
        continue;
      case 2:
        if (line != "format:") return false;
        continue;
      default:
        break;
    }
    if (line.empty()) continue;
    if (!take(line, "\tfield:")) return false;
    const std::size_t semi = line.find(';');
    if (semi == std::string_view::npos || !decl_ok(line.substr(0, semi))) return false;
    line.remove_prefix(semi + 1);
    if (!take(line, "\toffset:") || !number_until(line, ';')) return false;
    if (!take(line, "\tsize:") || !number_until(line, ';')) return false;
    if (!line.empty() && (!take(line, "\tsigned:") || !number_until(line, ';'))) return false;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (!line.empty()) return false;
  }
  return false;  // no print fmt line
}

inline void parse_one_format(TraceDatMeta& m, std::string_view text, const char* system) {
  const std::string_view raw = text;
  if (!plausible_format(text)) {
    ++m.format_failures;
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
  if (tep_parse_event(m.tep.get(), text.data(), text.size(), system) != 0) {
    ++m.format_failures;
    return;
  }
  if (std::string_view(system) == "sched" && raw.substr(0, 19) == "name: sched_switch\n")
    m.sched_switch_format = std::string(raw);
}

template <class C>
void parse_ftrace_formats(TraceDatMeta& m, C& c) {
  const std::uint32_t n = c.u32("ftrace format count");
  if (n > 100000) c.fail("absurd ftrace format count " + std::to_string(n));
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint64_t size = c.u64("ftrace format size");
    const auto text = c.bytes(size, "ftrace format");
    if (m.raw != nullptr) m.raw->ftrace_formats.emplace_back(text);
    parse_one_format(m, text, "ftrace");
  }
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
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::uint64_t size = c.u64("event format size");
      const auto text = c.bytes(size, "event format");
      if (m.raw != nullptr) m.raw->event_systems.back().second.emplace_back(text);
      parse_one_format(m, text, sys.c_str());
    }
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
    m.raw->kallsyms = std::string(c.bytes(n, "kallsyms"));
    KallsymsScan all(kallsyms_symbol);
    all.feed(m.raw->kallsyms);
    set_hrtimer_wakeup(m, all);
    return;
  }
  // Read in pieces and only as far as the symbol.
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
    m.raw->printk = std::string(c.bytes(n, "printk formats"));
  else
    c.skip(n, "printk formats");
}

template <class C>
void parse_cmdlines(TraceDatMeta& m, C& c) {
  const std::uint64_t n = c.u64("cmdlines size");
  m.cmdlines = std::string(c.bytes(n, "saved cmdlines"));
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

// Options common to both versions; the rest are handled by the version-specific parsers.
inline void apply_common_option(TraceDatMeta& m, std::uint16_t id, std::string_view data,
                                const std::function<void(const std::string&)>& fail) {
  if (m.raw != nullptr && id != opt_cpucount && id != opt_strings)
    m.raw->options.emplace_back(id, std::string(data));
  switch (id) {
    case opt_date: {
      // Microseconds between trace time and wall time, as "0x..." text (trace-cmd -d/--date).
      const std::string s = option_string(data);
      m.ts_offset += std::strtoll(s.c_str(), nullptr, 0) * 1000;
      break;
    }
    case opt_offset: {
      const std::string s = option_string(data);
      m.ts_offset += std::strtoll(s.c_str(), nullptr, 0);
      break;
    }
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
        if (n > max_cpus) fail("absurd CPU count " + std::to_string(n));
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
