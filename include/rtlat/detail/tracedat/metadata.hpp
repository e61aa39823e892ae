// Reads everything a trace.dat holds before its ring-buffer data into a TraceDatMeta: the initial
// header, then v6's one stream (header info, formats, kallsyms, printk, cmdlines, options, the
// per-CPU data of each buffer) or v7's chain of options sections pointing at the sections; then
// picks the buffer to read and builds the decode table. Asked to (read_metadata_blocks), it also
// hands out the metadata as stored.
#pragma once

#include <traceevent/event-parse.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <new>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "rtlat/detail/tracedat/compression.hpp"
#include "rtlat/detail/tracedat/decode_table.hpp"
#include "rtlat/detail/tracedat/formats.hpp"
#include "rtlat/detail/tracedat/io.hpp"
#include "rtlat/detail/tracedat/limits.hpp"
#include "rtlat/detail/tracedat/meta.hpp"
#include "rtlat/detail/tracedat/print_fmt.hpp"
#include "rtlat/detail/tracedat/sections.hpp"
#include "rtlat/detail/vocabulary.hpp"
#include "rtlat/error.hpp"
#include "rtlat/event.hpp"
#include "rtlat/syscalls.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

class MetadataReader {
 public:
  MetadataReader(const File& file, TraceDatMeta& m) : file_(file), m_(m), sec_(file, m) {}

  // Parses the metadata into the TraceDatMeta and returns the buffer named `buffer` ("" for the
  // top one). Throws InputError on bad input.
  const BufferRef& read(const std::string& buffer) {
    parse();
    return finish(buffer);
  }

  // Parses the metadata as read() does, and copies every block as stored into `blocks` (those
  // read() skips too); picks no buffer.
  void read_blocks(MetadataBlocks& blocks) {
    struct Unset {
      TraceDatMeta& m;
      ~Unset() { m.stored = nullptr; }
    } unset{m_};
    m_.stored = &blocks;
    parse();
  }

 private:
  [[noreturn]] void fail(const std::string& where, const std::string& why) const {
    throw InputError(file_.path(), where, why);
  }

  void parse() {
    m_.tep.reset(tep_alloc());
    if (!m_.tep) throw std::bad_alloc();
    FileCursor c(file_, 0);
    c.set_section("initial header");
    const auto magic = c.bytes(10, "magic");
    if (magic != tracedat_magic) c.fail("not a trace.dat file (wrong magic)");
    const std::string ver(c.cstr("version"));
    if (ver == "6")
      m_.version = 6;
    else if (ver == "7")
      m_.version = 7;
    else
      c.fail("unsupported trace.dat version \"" + ver.substr(0, 16) + "\" (6 and 7 are read)");
    const auto flags = c.bytes(2, "endianness and long size");
    const bool big = flags[0] != 0;
    if (flags[0] != 0 && flags[0] != 1) c.fail("bad endianness byte " + std::to_string(flags[0]));
    m_.long_size = static_cast<unsigned char>(flags[1]);
    if (m_.long_size != 4 && m_.long_size != 8)
      c.fail("bad long size " + std::to_string(m_.long_size));
    m_.order.swap = big != host_is_big_endian();
    c.order = m_.order;
    m_.page_size = c.u32("page size");
    if (m_.page_size < 64 || m_.page_size > (1u << 24))
      c.fail_at(c.pos() - 4, "absurd page size " + std::to_string(m_.page_size));
    tep_set_file_bigendian(m_.tep.get(), big ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
    tep_set_local_bigendian(m_.tep.get(),
                            host_is_big_endian() ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
    tep_set_long_size(m_.tep.get(), static_cast<int>(m_.long_size));
    tep_set_page_size(m_.tep.get(), static_cast<int>(m_.page_size));
    if (m_.version == 6)
      parse_v6(c);
    else
      parse_v7(c);
  }

  void parse_v6(FileCursor& c) {
    // kallsyms come after the formats; whether we need them is known once formats are parsed.
    c.set_section("header info");
    parse_header_info(m_, c);
    c.set_section("ftrace formats");
    parse_ftrace_formats(m_, c);
    c.set_section("event formats");
    parse_event_formats(m_, c);
    m_.want_kallsyms = has_event("timer", "hrtimer_start");
    c.set_section("kallsyms");
    parse_kallsyms(m_, c);
    c.set_section("printk formats");
    parse_printk(m_, c);
    c.set_section("saved cmdlines");
    parse_cmdlines(m_, c);
    c.set_section("cpu count");
    const std::uint64_t cpus_at = c.pos();
    const std::uint32_t cpus = c.u32("cpu count");
    if (cpus > max_cpus) c.fail_at(cpus_at, too_many_cpus("cpu count", cpus));
    m_.cpus = static_cast<int>(cpus);
    c.set_section("options");
    auto tag = std::string(c.bytes(10, "section tag"));
    std::vector<std::pair<std::string, std::uint64_t>> instances;
    bool clock_follows = false;  // a TRACECLOCK option: the clock text follows the CPU table
    if (tag == std::string("options  \0", 10)) {
      for (int count = 0;; ++count) {
        if (count > 100000) c.fail("too many options");
        const std::uint16_t id = c.u16("option id");
        if (id == opt_done) break;
        const std::uint32_t size = c.u32("option size");
        // Options nothing here reads (CPUSTAT, ...) are skipped, however large, unless kept.
        const bool used = option_used(id);
        if (!used && m_.stored == nullptr) {
          c.skip(size, "option data");
          continue;
        }
        const bool tgids = id == opt_rtlat_tgids;
        const std::string data(c.bytes(size, tgids ? "rtlat tgids option" : "option data",
                                       tgids  ? max_tgids_bytes
                                       : used ? max_option_bytes
                                              : max_section_bytes));
        if (id == opt_traceclock) clock_follows = true;
        // The empty TRACECLOCK option only points at the text after the CPU table: the writer
        // makes it from the layout's trace_clock, as it does that text.
        if (m_.stored != nullptr && kept_in_blocks(id) && !(id == opt_traceclock && size == 0))
          m_.stored->options.emplace_back(id, data);
        if (!used) continue;
        if (id == opt_buffer) {
          if (data.size() < 9) c.fail("BUFFER option shorter than 9 bytes");
          if (instances.size() + 1 >= max_buffers)
            c.fail("more than " + std::to_string(max_buffers) + " buffers: the reader's limit");
          const std::uint64_t off =
              m_.order.u64(reinterpret_cast<const unsigned char*>(data.data()));
          instances.emplace_back(option_string(std::string_view(data).substr(8)), off);
        } else {
          apply_common_option(m_, id, data, [&](const std::string& r) { c.fail(r); });
        }
      }
      c.set_section("data header");
      tag = std::string(c.bytes(10, "section tag"));
    }
    if (tag == std::string("latency  \0", 10))
      c.fail("latency (text) trace data: only flyrecord (ring-buffer) data can be read");
    if (tag != std::string("flyrecord\0", 10)) c.fail("expected \"flyrecord\" or \"options\"");
    BufferRef top;
    top.page_size = m_.page_size;
    read_v6_cpus(c, top, cpus);
    if (clock_follows) read_v6_clock(c);
    m_.buffers.push_back(std::move(top));
    for (auto& [name, off] : instances) {
      BufferRef b;
      b.name = name;
      b.page_size = m_.page_size;
      c.seek(off);
      c.set_section("buffer \"" + name + "\"");
      if (std::string(c.bytes(10, "flyrecord tag")) != std::string("flyrecord\0", 10))
        c.fail("expected \"flyrecord\"");
      read_v6_cpus(c, b, cpus);
      m_.buffers.push_back(std::move(b));
    }
  }

  void read_v6_cpus(FileCursor& c, BufferRef& b, std::uint32_t cpus) {
    count_cpu_entries(cpus, c.pos());
    for (std::uint32_t i = 0; i < cpus; ++i) {
      CpuDataRef r;
      r.cpu = static_cast<int>(i);
      r.offset = c.u64("cpu data offset");
      r.size = c.u64("cpu data size");
      if (r.size != 0) file_.check_range(r.offset, r.size, "cpu " + std::to_string(i) + " data");
      b.cpus.push_back(r);
    }
  }

  // trace-cmd's v6 stores the trace_clock file's text ("local global [mono]") after the top
  // buffer's CPU table, and its reader takes it there whenever a TRACECLOCK option is present
  // (empty, as `trace-cmd record` writes it, or holding the text as well), over the option's
  // text. An instance's table is followed by the same text, which trace-cmd does not read.
  void read_v6_clock(FileCursor& c) {
    c.set_section("trace clock");
    const std::uint64_t at = c.pos();
    const std::uint64_t n = c.u64("trace clock size");
    if (n > max_option_bytes) c.fail_at(at, over_limit("trace clock text", n, max_option_bytes));
    take_clock(m_, option_string(c.bytes(n, "trace clock text")));
  }

  // Per-CPU data entries of all buffers together are bounded: each costs memory whether or not
  // its CPU has data.
  void count_cpu_entries(std::uint64_t n, std::uint64_t at) {
    cpu_entries_ += n;
    if (cpu_entries_ > max_cpu_entries)
      fail("options, " + hex_offset(at),
           "more than " + std::to_string(max_cpu_entries) +
               " per-CPU data entries in all buffers: the reader's limit");
  }

  // No two CPUs' data (of any buffer) may share bytes: trace-cmd never writes it so, and a file
  // pointing every CPU at the same bytes would have them read, decompressed and decoded again
  // for each.
  void check_data_ranges() const {
    struct Range {
      std::uint64_t begin, end;
      const BufferRef* buf;
      int cpu;
    };
    std::vector<Range> rs;
    for (const auto& b : m_.buffers)
      for (const auto& c : b.cpus)
        if (c.size != 0)
          rs.push_back({c.offset, c.offset + c.size + (b.compressed ? 4 : 0), &b, c.cpu});
    std::stable_sort(rs.begin(), rs.end(),
                     [](const Range& x, const Range& y) { return x.begin < y.begin; });
    auto name = [](const Range& r) {
      return (r.buf->name.empty() ? std::string() : "buffer \"" + r.buf->name + "\" ") + "cpu " +
             std::to_string(r.cpu) + " data";
    };
    for (std::size_t i = 1; i < rs.size(); ++i)
      if (rs[i].begin < rs[i - 1].end)
        fail(name(rs[i]) + ", " + hex_offset(rs[i].begin), "overlaps " + name(rs[i - 1]) + " (" +
                                                               hex_offset(rs[i - 1].begin) + ".." +
                                                               hex(rs[i - 1].end) + ")");
  }

  void parse_v7(FileCursor& c) {
    const std::string comp(c.cstr("compression name"));
    (void)c.cstr("compression version");
    if (comp == "none" || comp.empty())
      m_.compression = Compression::none;
    else if (comp == "zstd")
      m_.compression = Compression::zstd;
    else if (comp == "zlib")
      m_.compression = Compression::zlib;
    else
      c.fail("unsupported compression \"" + comp.substr(0, 32) + "\" (zstd and zlib are read)");
    std::uint64_t next = c.u64("first options offset");
    std::uint64_t sec_off[6] = {};  // header_info .. cmdlines
    struct RawBuffer {
      std::string data;
      bool latency;
    };
    std::vector<RawBuffer> raw_buffers;
    // The options sections read so far, offset -> end: a chain may not come back to (or into)
    // one of them, so however it is built, no byte is read twice.
    std::map<std::uint64_t, std::uint64_t> chain;
    while (next != 0) {
      const std::string where = "options, " + hex_offset(next);
      if (chain.size() >= max_option_sections)
        fail(where, "more than " + std::to_string(max_option_sections) +
                        " options sections: the reader's limit");
      const Section s = sec_.checked_section(next, opt_done, "options");
      const std::uint64_t end = s.data_offset + s.size;
      auto after = chain.lower_bound(next);
      if ((after != chain.end() && after->first < end) ||
          (after != chain.begin() && std::prev(after)->second > next)) {
        const auto hit = after != chain.end() && after->first < end ? after : std::prev(after);
        fail(where, hit->first == next ? "options sections form a loop (back to this one)"
                                       : "options sections form a loop (this one overlaps the one "
                                         "at " +
                                             hex(hit->first) + ")");
      }
      chain.emplace(next, end);
      std::uint64_t following = 0;
      sec_.with_section(s, "options", max_section_bytes, [&](Cursor& cur) {
        for (;;) {
          if (cur.at_end()) cur.fail("options section ends without a DONE option");
          const std::uint16_t id = cur.u16("option id");
          const std::uint32_t size = cur.u32("option size");
          const std::string_view data =
              cur.bytes(size, id == opt_rtlat_tgids ? "rtlat tgids option" : "option data");
          if (m_.stored != nullptr && kept_in_blocks(id))
            m_.stored->options.emplace_back(id, std::string(data));
          if (id == opt_done) {
            if (data.size() < 8) cur.fail("DONE option shorter than 8 bytes");
            following = m_.order.u64(reinterpret_cast<const unsigned char*>(data.data()));
            break;
          }
          if (id >= opt_header_info && id <= opt_cmdlines) {
            if (data.size() < 8) cur.fail("section option shorter than 8 bytes");
            sec_off[id - opt_header_info] =
                m_.order.u64(reinterpret_cast<const unsigned char*>(data.data()));
          } else if (id == opt_buffer || id == opt_buffer_text) {
            if (raw_buffers.size() >= max_buffers)
              cur.fail("more than " + std::to_string(max_buffers) + " buffers: the reader's limit");
            raw_buffers.push_back({std::string(data), id == opt_buffer_text});
          } else {
            apply_common_option(m_, id, data, [&](const std::string& r) { cur.fail(r); });
          }
        }
      });
      next = following;
    }
    const char* names[6] = {"header info", "ftrace formats", "event formats",
                            "kallsyms",    "printk formats", "saved cmdlines"};
    const std::uint64_t section = max_section_bytes;
    if (sec_off[0] == 0) fail("options", "no HEADER_INFO section");
    sec_.with_section(sec_off[0], opt_header_info, names[0], section,
                      [&](Cursor& cur) { parse_header_info(m_, cur); });
    if (sec_off[1] != 0)
      sec_.with_section(sec_off[1], opt_ftrace_events, names[1], section,
                        [&](Cursor& cur) { parse_ftrace_formats(m_, cur); });
    if (sec_off[2] != 0)
      sec_.with_section(sec_off[2], opt_event_formats, names[2], section,
                        [&](Cursor& cur) { parse_event_formats(m_, cur); });
    m_.want_kallsyms = has_event("timer", "hrtimer_start");
    if (sec_off[3] != 0 && m_.stored != nullptr)
      sec_.with_section(sec_off[3], opt_kallsyms, names[3], max_kallsyms_bytes + 4,
                        [&](Cursor& cur) { parse_kallsyms(m_, cur); });
    else if (sec_off[3] != 0 && m_.want_kallsyms)
      sec_.scan_kallsyms_section(sec_off[3], names[3]);
    if (sec_off[4] != 0 && m_.stored != nullptr)
      sec_.with_section(sec_off[4], opt_printk, names[4], section,
                        [&](Cursor& cur) { parse_printk(m_, cur); });
    if (sec_off[5] != 0)
      sec_.with_section(sec_off[5], opt_cmdlines, names[5], max_cmdlines_bytes + 8,
                        [&](Cursor& cur) { parse_cmdlines(m_, cur); });
    for (const auto& rb : raw_buffers) m_.buffers.push_back(parse_v7_buffer(rb.data, rb.latency));
    // The top buffer first, as in v6.
    std::stable_partition(m_.buffers.begin(), m_.buffers.end(),
                          [](const BufferRef& b) { return b.name.empty(); });
  }

  BufferRef parse_v7_buffer(const std::string& data, bool latency) {
    Cursor cur(&file_.path(), "options (BUFFER option)",
               reinterpret_cast<const unsigned char*>(data.data()), data.size(), m_.order, 0,
               "the option");
    BufferRef b;
    b.latency = latency;
    const std::uint64_t off = cur.u64("buffer section offset");
    b.name = bounded_string(cur.cstr("buffer name"), "buffer name",
                            [&](const std::string& r) { cur.fail(r); });
    b.clock = bounded_string(cur.cstr("buffer clock"), "buffer clock",
                             [&](const std::string& r) { cur.fail(r); });
    if (latency) return b;
    const std::size_t page_at = cur.pos();
    b.page_size = cur.u32("buffer page size");
    if (b.page_size < 64 || b.page_size > (1u << 24))
      cur.fail_at(page_at, "absurd buffer page size " + std::to_string(b.page_size));
    const std::uint32_t n = cur.u32("buffer cpu count");
    if (n > max_cpus) cur.fail_at(page_at + 4, too_many_cpus("buffer cpu count", n));
    count_cpu_entries(n, off);
    const std::string what = "buffer \"" + b.name + "\"";
    const Section s = sec_.section_header(off, what);
    if (s.id != opt_buffer)
      fail("section " + what + ", " + hex_offset(off),
           "section id " + std::to_string(s.id) + ", expected " + std::to_string(opt_buffer));
    b.compressed = s.compressed();
    if (b.compressed && m_.compression == Compression::none)
      fail("section " + what + ", " + hex_offset(off),
           "data is flagged compressed but the file names no compression");
    std::set<int> ids;
    for (std::uint32_t i = 0; i < n; ++i) {
      CpuDataRef r;
      const std::uint32_t id = cur.u32("cpu id");
      if (id >= max_cpus) cur.fail_at(cur.pos() - 4, too_many_cpus("cpu id", id));
      r.cpu = static_cast<int>(id);
      if (!ids.insert(r.cpu).second) cur.fail("cpu " + std::to_string(id) + " listed twice");
      r.offset = cur.u64("cpu data offset");
      r.size = cur.u64("cpu data size");
      if (r.size != 0) {
        const std::string where = what + " cpu " + std::to_string(id) + " data";
        file_.check_range(r.offset, r.size, where);
        if (b.compressed) file_.check_range(r.offset, r.size + 4, where);
      }
      if (!b.compressed && r.size % b.page_size != 0)
        fail(what + " cpu " + std::to_string(id) + " data, " + hex_offset(r.offset),
             "size " + std::to_string(r.size) + " is not a multiple of the page size");
      b.cpus.push_back(r);
      if (r.cpu + 1 > m_.cpus) m_.cpus = r.cpu + 1;
    }
    return b;
  }

  bool has_event(const char* sys, const char* name) const {
    return tep_find_event_by_name(m_.tep.get(), sys, name) != nullptr;
  }

  // Checks what only the whole metadata shows, picks the buffer, gathers the notes and builds
  // the decode table.
  const BufferRef& finish(const std::string& buffer) {
    const BufferRef* selected = nullptr;
    for (const auto& b : m_.buffers)
      if (b.name == buffer) selected = &b;
    check_data_ranges();
    if (selected == nullptr) {
      constexpr std::size_t listed = 8;
      std::string have;
      for (std::size_t i = 0; i < std::min(listed, m_.buffers.size()); ++i)
        have += (i == 0 ? "\"" : ", \"") + m_.buffers[i].name.substr(0, 64) + "\"";
      if (m_.buffers.size() > listed)
        have += " and " + std::to_string(m_.buffers.size() - listed) + " more";
      fail("options", buffer.empty()
                          ? "no top-level buffer in this file (buffers: " + have + ")"
                          : "no buffer named \"" + buffer + "\" (buffers: " + have + ")");
    }
    if (selected->latency)
      fail("buffer \"" + selected->name + "\"",
           "latency (text) trace data: only flyrecord (ring-buffer) data can be read");
    DecodeTable& t = m_.decode;

    // Architecture -> timer-sleep syscall numbers.
    std::string arch = m_.arch;
    if (arch.empty()) {
      arch = std::string(host_arch());
      m_.notes.push_back("no uname in the file; assuming architecture " + arch);
    }
    t.have_syscalls = timer_sleep_syscalls_for(arch, t.syscalls);
    if (!t.have_syscalls && has_event("raw_syscalls", "sys_enter"))
      m_.notes.push_back("unknown architecture \"" + arch.substr(0, 64) +
                         "\": raw_syscalls:sys_enter cannot mark timer sleeps");

    // prev_state preemption flag from sched_switch's own print fmt.
    if (auto flag = preempt_flag_from_format(m_.sched_switch_format)) {
      t.set_preempt_flag(*flag);
    } else {
      t.prev_state = PrevStateDecoder{};
      if (has_event("sched", "sched_switch"))
        m_.notes.push_back("sched_switch print fmt has no preemption flag; assuming 0x100");
    }
    m_.sched_switch_format.clear();
    if (has_event("timer", "hrtimer_start") && !m_.have_hrtimer_wakeup)
      m_.notes.push_back(
          "hrtimer_wakeup not found in kallsyms: hrtimer_start is not a timer sleep");
    t.have_hrtimer_wakeup = m_.have_hrtimer_wakeup;
    t.hrtimer_wakeup = m_.hrtimer_wakeup;
    t.clock = ClockConversion{m_.tsc_mult, m_.tsc_shift, m_.ts_offset};

    // Fixed-offset decoding needs the file in host order, 64-bit, little-endian, and the common
    // header where every kernel puts it (common_type u16 at 0, common_pid s32 at 4).
    const bool std_host = !host_is_big_endian() && !m_.order.swap && m_.long_size == 8;
    build_decode_table(m_.tep.get(), std_host, t,
                       [&](const std::string& why) { fail("event formats", why); });
    // A format that could not be parsed is worth a note only if its events occur (the source
    // says so after reading); one without an id cannot be told apart from any unknown record.
    for (std::size_t i = 0; i < m_.failed_formats.size(); ++i)
      t.mark_unparsed(m_.failed_formats[i].id, i);
    return *selected;
  }

  const File& file_;
  TraceDatMeta& m_;
  SectionReader sec_;
  std::uint64_t cpu_entries_ = 0;  // per-CPU data entries of all buffers (max_cpu_entries)
};

// The metadata of the trace.dat at `path` as stored (formats, kallsyms, printk formats, cmdlines,
// options), for copying into another file with the writer (writer.hpp). The file is read and
// checked as a source reads it. Throws InputError on bad input.
inline MetadataBlocks read_metadata_blocks(const std::string& path) {
  const File file(path);
  TraceDatMeta m;
  m.path = path;
  MetadataBlocks blocks;
  MetadataReader(file, m).read_blocks(blocks);
  return blocks;
}

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
