// The pid -> tgid map rtlat live writes into its --save files (trace-cmd's formats have no place
// for one): parsed from its option as hostile input, and handed to the sink at the points of the
// event stream where the live run learned each pair, so that the engine ends up in the same state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rtlat/detail/tracedat/limits.hpp"
#include "rtlat/event.hpp"
#include "rtlat/sink.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// A private option id: trace-cmd skips options it does not know, and its own ids are counted up
// from 0 (22 in trace-cmd 3.1); this one is "rt" in ASCII, far from where they will grow.
inline constexpr std::uint16_t opt_rtlat_tgids = 0x7274;
// The map is kept for the whole read: at most 4 MiB, about 150000 lines.
inline constexpr std::uint64_t max_tgids_bytes = 4 * mib;
// Linux's PID_MAX_LIMIT: no pid or tgid is above it.
inline constexpr std::uint64_t max_tgid_pid = 4194304;

// One line: `pid` is in thread group `tgid`, learned after `after` events of the stream.
struct TgidHint {
  std::uint64_t after = 0;
  Pid pid = 0, tgid = 0;
};

// Parses the option's text: lines "PID TGID EVENTS" (decimal, one space between), EVENTS never
// decreasing from one line to the next; the last newline may be left out and a NUL ends the
// text. Anything else calls fail(why), which must throw.
template <class Fail>
std::vector<TgidHint> parse_tgids(std::string_view s, Fail&& fail) {
  const std::string what = "rtlat tgids option";
  if (s.size() > max_tgids_bytes) fail(what + " " + over_limit("text", s.size(), max_tgids_bytes));
  if (const std::size_t nul = s.find('\0'); nul != std::string_view::npos) s = s.substr(0, nul);
  std::vector<TgidHint> v;
  std::uint64_t line_no = 0;
  while (!s.empty()) {
    ++line_no;
    const std::size_t nl = s.find('\n');
    const std::string_view line = s.substr(0, nl);
    s = nl == std::string_view::npos ? std::string_view{} : s.substr(nl + 1);
    const std::string at = what + ", line " + std::to_string(line_no);
    std::string_view rest = line;
    // The next space-separated decimal number, at most `max`.
    auto number = [&](const char* name, std::uint64_t max) {
      const std::size_t sp = rest.find(' ');
      const std::string_view digits = rest.substr(0, sp);
      rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
      if (digits.empty() || digits.size() > 20)
        fail(at + ": \"" + std::string(line.substr(0, 64)) + "\" is not \"PID TGID EVENTS\"");
      std::uint64_t n = 0;
      for (char c : digits) {
        if (c < '0' || c > '9' || __builtin_mul_overflow(n, 10u, &n) ||
            __builtin_add_overflow(n, static_cast<unsigned>(c - '0'), &n))
          fail(at + ": " + name + " \"" + std::string(digits.substr(0, 24)) +
               "\" is not a decimal number of at most 64 bits");
      }
      if (n > max)
        fail(at + ": " + name + " " + std::to_string(n) + " is above " + std::to_string(max));
      return n;
    };
    const std::uint64_t pid = number("pid", max_tgid_pid);
    const std::uint64_t tgid = number("tgid", max_tgid_pid);
    const std::uint64_t after = number("event count", UINT64_MAX);
    if (!rest.empty() || line.back() == ' ')
      fail(at + ": \"" + std::string(line.substr(0, 64)) + "\" is not \"PID TGID EVENTS\"");
    if (pid == 0 || tgid == 0) fail(at + ": pid and tgid must be above 0");
    if (!v.empty() && after < v.back().after)
      fail(at + ": event count " + std::to_string(after) + " is below the previous line's " +
           std::to_string(v.back().after));
    v.push_back({after, static_cast<Pid>(pid), static_cast<Pid>(tgid)});
  }
  return v;
}

// Gives the sink hints[next...] learned after at most `fed` events; returns the new next.
template <class Sink>
std::size_t send_tgids_upto(const std::vector<TgidHint>& hints, std::size_t next, std::uint64_t fed,
                            Sink& sink) {
  for (; next < hints.size() && hints[next].after <= fed; ++next) {
    TaskInfo ti;
    ti.pid = hints[next].pid;
    ti.tgid = hints[next].tgid;
    sink_task_info(sink, ti);
  }
  return next;
}

// A sink in front of another that hands it each hint before the event the live run had not yet
// delivered when it learned the pair; finish() gives it those learned after the last event.
template <class Sink>
class TgidFeeder {
 public:
  TgidFeeder(Sink& sink, const std::vector<TgidHint>& hints, std::size_t next)
      : sink_(sink), hints_(hints), next_(next) {}
  void feed(const Event& e) {
    if (next_ < hints_.size() && hints_[next_].after <= fed_)
      next_ = send_tgids_upto(hints_, next_, fed_, sink_);
    sink_feed(sink_, e);
    ++fed_;
  }
  void task_info(const TaskInfo& t) { sink_task_info(sink_, t); }
  void finish() { next_ = send_tgids_upto(hints_, next_, UINT64_MAX, sink_); }

 private:
  Sink& sink_;
  const std::vector<TgidHint>& hints_;
  std::size_t next_;
  std::uint64_t fed_ = 0;
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
