// The line-by-line state machine of a text source: event lines become Events (through the
// reorder window), header lines set the format and CPU count, lost-event lines become markers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rtlat/detail/text/events.hpp"
#include "rtlat/detail/text/line.hpp"
#include "rtlat/detail/text/reorder.hpp"
#include "rtlat/detail/text/scan.hpp"
#include "rtlat/detail/text/tasks.hpp"
#include "rtlat/detail/vocabulary.hpp"
#include "rtlat/error.hpp"
#include "rtlat/event.hpp"
#include "rtlat/prev_state.hpp"
#include "rtlat/sink.hpp"
#include "rtlat/source_info.hpp"
#include "rtlat/syscalls.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {
namespace text {

// The line-by-line state machine shared by file and in-memory input.
class Parser {
 public:
  // Text that has shown no event line by then is not a trace (an endless device would
  // otherwise be read forever).
  static constexpr std::uint64_t max_bytes_before_event = std::uint64_t{16} << 20;

  Parser(SourceInfo& info, const PrevStateDecoder& dec, const TimerSleepSyscalls& sleeps)
      : info_(info), dec_(dec), sleeps_(sleeps) {}

  std::uint64_t line_number() const noexcept { return line_no_; }

  template <class Sink>
  void line(std::string_view s, Sink& sink) {
    ++line_no_;
    if (line_no_ == 1 && s.substr(0, tracedat_magic.size()) == tracedat_magic) {
      // Only a pipe gets here (files are sniffed first): trace.dat needs seeking.
      throw InputError("", "line 1",
                       "this is a trace.dat, not text; give it as a file (a pipe cannot be read "
                       "as trace.dat: use 'rtlat report FILE' or '- < FILE')");
    }
    if (event_lines_ == 0) {
      bytes_before_event_ += s.size() + 1;
      if (bytes_before_event_ > max_bytes_before_event) {
        throw InputError("", "line " + std::to_string(line_no_),
                         "no trace event in the first " +
                             std::to_string(max_bytes_before_event >> 20) +
                             " MiB: not a text trace");
      }
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
    window_.flush(sink);
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

  // What an error quotes of a payload: enough to see the bad value, never a whole 16 MiB line.
  static std::string excerpt(std::string_view p) {
    constexpr std::size_t most = 160;
    return p.size() <= most ? std::string(p) : std::string(p.substr(0, most)) + "...";
  }

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
  void emit(Sink& sink, const Event& e, const TaskInfo& task = {}) {
    window_.push(e, task, sink);
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
        declared_cpus_ = static_cast<std::uint32_t>(n);
        set_format("trace-cmd report text");
        return;
      }
    } else if (starts_with(s, "version = ")) {
      set_format("trace-cmd report text");
      return;
    } else if (starts_with(s, "CPU ") && s.size() > 13 && s.substr(s.size() - 9) == " is empty") {
      return;  // trace-cmd report: a CPU that recorded nothing
    } else if (starts_with(t, "=> ")) {
      return;  // a frame of the stack trace above (trace-cmd record -T, the stacktrace option)
    } else if (ends_with(trim_right(s), ": <stack trace>") ||
               ends_with(trim_right(s), ": <user stack trace>")) {
      return;  // tracefs prints a stack event without a name: it proves nothing either way
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
    // A line that names a known event but whose prefix does not parse is a corrupt event, not
    // noise: skipping it would silently remove a sample.
    if (const std::string_view name = claimed_event(s); !name.empty())
      fail("malformed " + std::string(name) + " line: " + diagnose_head(s, name));
    ++info_.skipped;
  }

  template <class Sink>
  void event(const LineHead& h, Sink& sink) {
    if (info_.format.empty()) {
      set_format(h.latency                         ? "trace-cmd report -l text"
                 : h.flags_column || h.tgid_column ? "tracefs text"
                                                   : "trace-cmd report text");
    }
    ++event_lines_;
    if (declared_cpus_ != 0 && h.cpu >= declared_cpus_) {
      fail("CPU " + std::to_string(h.cpu) + " is beyond the " + std::to_string(declared_cpus_) +
           " CPUs of the cpus= header");
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

    const TraceEvent k = classify_event(h.event);
    Event e;
    const EventHead eh{h.ts, cpu, h.pid};
    if (const char* why = decode_event(k, h.event, h.payload, eh, dec_, sleeps_, e))
      fail("malformed " + std::string(h.event) + ": " + why + " in \"" + excerpt(h.payload) + "\"");
    if (e.kind == EventKind::other)
      e.other.detached = is_stack_trace_event({}, h.event) || is_nmi_flags_column(h.flags);

    if (cs.lost_pending) {
      emit(sink, Event::make_lost(h.ts, cpu, cs.lost));
      cs.lost_pending = false;
    }
    TaskInfo news{};
    if (h.pid > 0) {
      const bool comm_known = h.comm != "<...>";
      const Comm comm = comm_known ? Comm::from(h.comm) : Comm{};
      if (const TaskInfo* t = tasks_.update(h.pid, h.tgid, comm)) news = *t;
    }
    emit(sink, e, news);
  }

  SourceInfo& info_;
  PrevStateDecoder dec_;
  TimerSleepSyscalls sleeps_;
  std::vector<CpuState> cpus_;
  std::uint32_t cpus_seen_ = 0;  // highest CPU with an event + 1
  int header_cpus_ = 0;
  Timestamp last_ts_ = 0;
  std::uint64_t line_no_ = 0;
  std::uint32_t declared_cpus_ = 0;  // "cpus=N" of trace-cmd report; 0: none
  std::uint64_t event_lines_ = 0;
  std::uint64_t bytes_before_event_ = 0;
  TaskTable tasks_;
  ReorderWindow window_;
};

}  // namespace text
}  // namespace detail
}  // namespace v1
}  // namespace rtlat
