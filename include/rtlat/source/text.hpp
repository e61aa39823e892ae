// Text traces: the output of `trace-cmd report` (plugin formatting, `-R` raw fields, µs or `-t` ns
// timestamps, `-l` latency format, `--ts-diff`) and the tracefs `trace` / `trace_pipe` files
// (optional tgid and irq-flags columns).
//
//   rtlat::TextSource src("trace.txt");      // "-" reads stdin
//   src.read(analyzer);                      // streams: calls sink_feed / sink_task_info
//   src.info().skipped;                      // lines that were not understood
//
// Input is read in 1 MiB chunks and parsed in place: memory does not grow with the file, and a
// line costs no allocation and no regex. Lost-event lines ("CPU:1 [LOST 12 EVENTS]",
// "CPU:1 [12 EVENTS DROPPED]") become Event::make_lost with the timestamp of the next event on
// that CPU (the line precedes it; the loss happened before it), or with the last timestamp seen
// when the input ends first.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rtlat/error.hpp"
#include "rtlat/event.hpp"
#include "rtlat/prev_state.hpp"
#include "rtlat/sink.hpp"
#include "rtlat/source/source_info.hpp"
#include "rtlat/source/syscalls.hpp"
#include "rtlat/source/text_events.hpp"
#include "rtlat/source/text_line.hpp"
#include "rtlat/source/text_scan.hpp"
#include "rtlat/source/text_tasks.hpp"

namespace rtlat {
inline namespace v1 {

struct TextOptions {
  std::string arch;                           // empty: host_arch() from source/syscalls.hpp
  std::optional<std::uint32_t> preempt_flag;  // raw prev_state: override PrevStateDecoder
};

namespace detail {
namespace text {

// An open input file descriptor; stdin is borrowed, never closed.
class FileInput {
 public:
  FileInput() = default;
  static FileInput open(const std::string& path) {
    FileInput f;
    if (path == "-") {
      f.fd_ = 0;
      return f;
    }
    f.fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (f.fd_ < 0) throw InputError(path, "", std::string("cannot open: ") + std::strerror(errno));
    f.owned_ = true;
    struct stat st {};
    if (::fstat(f.fd_, &st) == 0 && S_ISDIR(st.st_mode))
      throw InputError(path, "", "is a directory, not a trace");
    return f;
  }
  FileInput(FileInput&& o) noexcept
      : fd_(std::exchange(o.fd_, -1)), owned_(std::exchange(o.owned_, false)) {}
  FileInput& operator=(FileInput&& o) noexcept {
    if (this != &o) {
      close();
      fd_ = std::exchange(o.fd_, -1);
      owned_ = std::exchange(o.owned_, false);
    }
    return *this;
  }
  FileInput(const FileInput&) = delete;
  FileInput& operator=(const FileInput&) = delete;
  ~FileInput() { close(); }

  // Up to n bytes; 0 at the end of the input.
  std::size_t read(char* buf, std::size_t n, const std::string& name) {
    while (true) {
      const ssize_t r = ::read(fd_, buf, n);
      if (r >= 0) return static_cast<std::size_t>(r);
      if (errno != EINTR)
        throw InputError(name, "", std::string("read error: ") + std::strerror(errno));
    }
  }

 private:
  void close() noexcept {
    if (owned_ && fd_ >= 0) ::close(fd_);
    fd_ = -1;
    owned_ = false;
  }
  int fd_ = -1;
  bool owned_ = false;
};

// The line-by-line state machine shared by file and in-memory input.
class Parser {
 public:
  Parser(SourceInfo& info, const PrevStateDecoder& dec, const TimerSleepSyscalls& sleeps)
      : info_(info), dec_(dec), sleeps_(sleeps) {}

  std::uint64_t line_number() const noexcept { return line_no_; }

  template <class Sink>
  void line(std::string_view s, Sink& sink) {
    ++line_no_;
    if (line_no_ == 1 && s.substr(0, 10) == std::string_view("\x17\x08\x44tracing", 10)) {
      // Only a pipe gets here (files are sniffed first): trace.dat needs seeking.
      throw InputError("", "line 1",
                       "this is a trace.dat, not text; give it as a file (a pipe cannot be read "
                       "as trace.dat: use 'rtlat report FILE' or '- < FILE')");
    }
    s = trim_right(s);
    if (s.empty()) return;
    LineHead h;
    if (parse_head(s, h)) return event(h, sink);
    header(s);
  }

  template <class Sink>
  void finish(Sink& sink) {
    for (std::size_t c = 0; c < cpus_.size(); ++c) {
      CpuState& cs = cpus_[c];
      if (!cs.lost_pending) continue;
      const Timestamp ts = cs.seen ? cs.last_ts : last_ts_;
      emit(sink, Event::make_lost(ts, static_cast<std::uint16_t>(c), cs.lost));
      cs.lost_pending = false;
    }
    const int seen = static_cast<int>(cpus_seen_);
    info_.cpus = header_cpus_ > seen ? header_cpus_ : seen;
  }

 private:
  struct CpuState {
    Timestamp last_ts = 0;
    std::uint64_t lost = 0;
    bool seen = false;
    bool lost_pending = false;
  };

  // "395.074972000": how the trace itself writes a time, for error messages.
  static std::string seconds(Timestamp ns) {
    std::string frac = std::to_string(ns % 1000000000);
    return std::to_string(ns / 1000000000) + "." + std::string(9 - frac.size(), '0') + frac;
  }

  [[noreturn]] void fail(std::string reason) const {
    throw InputError(info_.name, "line " + std::to_string(line_no_), std::move(reason));
  }

  CpuState& cpu_state(std::uint32_t cpu) {
    if (cpu >= cpus_.size()) cpus_.resize(cpu + 1);
    return cpus_[cpu];
  }

  template <class Sink>
  void emit(Sink& sink, const Event& e) {
    sink_feed(sink, e);
    ++info_.events;
  }

  void set_format(std::string_view f) {
    if (info_.format.empty()) info_.format = std::string(f);
  }

  // Non-event lines: known headers are consumed silently, everything else is counted.
  void header(std::string_view s) {
    const std::string_view t = trim_left(s);
    std::uint64_t n = 0;
    if (t[0] == '#') {
      if (starts_with(t, "# tracer:")) set_format("tracefs text");
      // "# entries-in-buffer/entries-written: 1512/1512   #P:2"
      const std::size_t p = t.find("#P:");
      if (p != std::string_view::npos && parse_u64(token_at(t, p + 3), n) && n <= max_cpus)
        header_cpus_ = static_cast<int>(n);
      return;
    }
    if (starts_with(s, "cpus=")) {
      if (parse_u64(trim(s.substr(5)), n) && n <= max_cpus) {
        header_cpus_ = static_cast<int>(n);
        set_format("trace-cmd report text");
        return;
      }
    } else if (starts_with(s, "version = ")) {
      set_format("trace-cmd report text");
      return;
    } else if (starts_with(s, "CPU ") && s.size() > 13 && s.substr(s.size() - 9) == " is empty") {
      return;  // trace-cmd report: a CPU that recorded nothing
    } else {
      CpuLineKind kind{};
      std::uint32_t cpu = 0;
      if (parse_cpu_line(s, kind, cpu, n)) {
        if (kind == CpuLineKind::lost) {
          CpuState& cs = cpu_state(cpu);
          cs.lost = cs.lost_pending ? cs.lost + n : n;
          cs.lost_pending = true;
        }
        return;
      }
    }
    ++info_.skipped;
  }

  template <class Sink>
  void event(const LineHead& h, Sink& sink) {
    if (info_.format.empty()) {
      set_format(h.latency                         ? "trace-cmd report -l text"
                 : h.flags_column || h.tgid_column ? "tracefs text"
                                                   : "trace-cmd report text");
    }
    const auto cpu = static_cast<std::uint16_t>(h.cpu);
    CpuState& cs = cpu_state(h.cpu);
    if (cs.seen && h.ts < cs.last_ts) {
      fail("time goes backwards on CPU " + std::to_string(h.cpu) + ": " + seconds(h.ts) +
           " after " + seconds(cs.last_ts));
    }
    if (!cs.seen) {
      cs.seen = true;
      if (h.cpu >= cpus_seen_) cpus_seen_ = h.cpu + 1;
    }
    cs.last_ts = h.ts;
    if (h.ts > last_ts_) last_ts_ = h.ts;

    const Known k = classify_event(h.event);
    Event e;
    const EventHead eh{h.ts, cpu, h.pid};
    if (const char* why = decode_event(k, h.event, h.payload, eh, dec_, sleeps_, e))
      fail("malformed " + std::string(h.event) + ": " + why);

    if (cs.lost_pending) {
      emit(sink, Event::make_lost(h.ts, cpu, cs.lost));
      cs.lost_pending = false;
    }
    if (h.pid > 0) {
      const bool comm_known = h.comm != "<...>";
      const Comm comm = comm_known ? Comm::from(h.comm) : Comm{};
      if (const TaskInfo* t = tasks_.update(h.pid, h.tgid, comm)) sink_task_info(sink, *t);
    }
    emit(sink, e);
  }

  SourceInfo& info_;
  PrevStateDecoder dec_;
  TimerSleepSyscalls sleeps_;
  std::vector<CpuState> cpus_;
  std::uint32_t cpus_seen_ = 0;  // highest CPU with an event + 1
  int header_cpus_ = 0;
  Timestamp last_ts_ = 0;
  std::uint64_t line_no_ = 0;
  TaskTable tasks_;
};

}  // namespace text
}  // namespace detail

class TextSource {
 public:
  // Opens `path` ("-" = stdin); throws InputError when it cannot be opened.
  TextSource(std::string path, TextOptions opts = {}) : opts_(std::move(opts)) {
    file_ = detail::text::FileInput::open(path);
    init(std::move(path));
  }

  // Parses `text` instead of a file; `name` is what errors and info() call it.
  static TextSource from_string(std::string name, std::string text, TextOptions opts = {}) {
    return TextSource(std::move(name), std::move(text), std::move(opts), InMemory{});
  }

  // format, cpus ("cpus=N" / "#P:N" header, else highest CPU + 1), events, skipped: complete
  // after read().
  const SourceInfo& info() const { return info_; }

  // Streams the whole input into `sink` (see sink.hpp). Throws InputError naming the file and
  // line for a malformed line of a known event and for time going backwards on a CPU. A file is
  // consumed by the first call.
  template <class Sink>
  void read(Sink& sink) {
    info_.events = 0;
    info_.skipped = 0;
    detail::text::Parser parser(info_, decoder_, sleeps_);
    try {
      if (in_memory_) {
        const std::string_view all(text_);
        std::size_t pos = 0;
        while (pos < all.size()) {
          std::size_t nl = all.find('\n', pos);
          if (nl == std::string_view::npos) nl = all.size();
          parser.line(all.substr(pos, nl - pos), sink);
          pos = nl + 1;
        }
      } else {
        stream(parser, sink);
      }
      parser.finish(sink);
    } catch (const InputError& e) {
      // The sink (an engine) does not know which file or line fed it.
      if (!e.file().empty()) throw;
      throw InputError(
          info_.name,
          e.where().empty() ? "line " + std::to_string(parser.line_number()) : e.where(),
          e.reason());
    }
  }

 private:
  struct InMemory {};
  static constexpr std::size_t chunk_size = std::size_t{1} << 20;
  static constexpr std::size_t max_line = std::size_t{16} << 20;

  TextSource(std::string name, std::string text, TextOptions opts, InMemory)
      : opts_(std::move(opts)), text_(std::move(text)), in_memory_(true) {
    init(std::move(name));
  }

  void init(std::string name) {
    info_.name = std::move(name);
    info_.arch = opts_.arch.empty() ? std::string(host_arch()) : opts_.arch;
    timer_sleep_syscalls_for(info_.arch, sleeps_);
    if (opts_.preempt_flag) {
      decoder_.preempt_flag = *opts_.preempt_flag;
      decoder_.from_format = true;
    }
  }

  template <class Sink>
  void stream(detail::text::Parser& parser, Sink& sink) {
    std::vector<char> buf(chunk_size);
    std::size_t have = 0;
    while (true) {
      const std::size_t n = file_.read(buf.data() + have, buf.size() - have, info_.name);
      if (n == 0) break;
      have += n;
      const char* const begin = buf.data();
      const char* const end = begin + have;
      const char* cur = begin;
      while (cur < end) {
        const void* nl = std::memchr(cur, '\n', static_cast<std::size_t>(end - cur));
        if (nl == nullptr) break;
        const char* const e = static_cast<const char*>(nl);
        parser.line(std::string_view(cur, static_cast<std::size_t>(e - cur)), sink);
        cur = e + 1;
      }
      const auto rest = static_cast<std::size_t>(end - cur);
      if (rest == buf.size()) {  // one line fills the buffer
        if (buf.size() >= max_line) {
          throw InputError(info_.name, "line " + std::to_string(parser.line_number() + 1),
                           "line longer than " + std::to_string(max_line >> 20) + " MiB");
        }
        buf.resize(buf.size() * 2);
      } else if (rest != 0 && cur != begin) {
        std::memmove(buf.data(), cur, rest);
      }
      have = rest;
    }
    if (have != 0) parser.line(std::string_view(buf.data(), have), sink);
  }

  TextOptions opts_;
  SourceInfo info_;
  PrevStateDecoder decoder_;
  TimerSleepSyscalls sleeps_;
  detail::text::FileInput file_;
  std::string text_;
  bool in_memory_ = false;
};

}  // namespace v1
}  // namespace rtlat
