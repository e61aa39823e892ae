// The file a header-only rtlat::open() returns: a trace.dat or a text trace.
#pragma once

#include <sys/stat.h>

#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "rtlat/error.hpp"
#include "rtlat/open_options.hpp"
#include "rtlat/source/detect.hpp"
#include "rtlat/source/pipelined.hpp"
#include "rtlat/source/text.hpp"
#include "rtlat/source/tracedat.hpp"
#include "rtlat/source_info.hpp"

namespace rtlat {
inline namespace v1 {

namespace detail {

// rtlat::FileSource of the header-only mode (analyze.hpp says what it is). The compiled mode's
// FileSource holds one of these inside the library.
//
// Neither copyable nor movable: rtlat::open() returns it by guaranteed copy elision
// (`auto src = rtlat::open(path);`).
//
// Thread safety: none; one thread reads it.
class OpenedFile {
 public:
  // Effects: opens `path` ("-" = stdin) as rtlat::open() does. Throws: InputError naming the
  // file for anything wrong with it (cannot open, corrupt trace.dat headers).
  explicit OpenedFile(const std::string& path, const OpenOptions& opts = {}) : name_(path) {
    const bool stdin_file = path == "-" && stdin_is_regular_file();
    if (path == "-" ? stdin_file && rtlat::is_tracedat("/dev/stdin") : rtlat::is_tracedat(path)) {
      TraceDatOptions o;
      o.buffer = opts.buffer;
      o.decode_threads = opts.decode_threads;
      naming_file_on_error(
          [&] { src_.emplace<TraceDatSource>(path == "-" ? "/dev/stdin" : path, o); });
    } else {
      TextOptions o;
      o.arch = opts.arch;
      src_.emplace<TextSource>(path, o);
    }
    refresh();
  }
  OpenedFile(const OpenedFile&) = delete;
  OpenedFile& operator=(const OpenedFile&) = delete;

  // What the source knows (name as given, "-" for stdin); counts are those of the last read.
  const SourceInfo& info() const noexcept { return info_; }
  // True for a trace.dat.
  bool is_tracedat() const noexcept { return std::holds_alternative<TraceDatSource>(src_); }
  // Remarks that are not errors (a trace.dat's fallbacks and unparsable formats).
  const std::vector<std::string>& notes() const noexcept {
    static const std::vector<std::string> none;
    return is_tracedat() ? std::get<TraceDatSource>(src_).notes() : none;
  }

  // Effects: streams every event into `sink` on the calling thread (sink.hpp). Throws:
  // InputError naming the file; events before the error were delivered.
  template <class Sink>
  void read(Sink& sink) {
    naming_file_on_error([&] { std::visit([&](auto& s) { read_into(s, sink); }, src_); });
    refresh();
  }

  // Effects: as read(), but a text trace is parsed on a second thread while `sink` runs on
  // this one (a trace.dat decodes on spare cores by itself). The sink sees the same sequence.
  template <class Sink>
  void read_parallel(Sink& sink) {
    naming_file_on_error([&] {
      std::visit(
          [&](auto& s) {
            using S = std::decay_t<decltype(s)>;
            if constexpr (std::is_same_v<S, TextSource>) {
              if (std::thread::hardware_concurrency() > 1) return read_pipelined(s, sink);
            }
            read_into(s, sink);
          },
          src_);
    });
    refresh();
  }

 private:
  template <class S, class Sink>
  static void read_into(S& s, Sink& sink) {
    if constexpr (!std::is_same_v<S, std::monostate>) s.read(sink);
  }
  static bool stdin_is_regular_file() {
    struct stat st {};
    return ::fstat(0, &st) == 0 && S_ISREG(st.st_mode);
  }
  // A trace.dat on stdin is read as /dev/stdin, but the user named it "-".
  template <class F>
  void naming_file_on_error(F&& f) {
    try {
      f();
    } catch (const InputError& e) {
      if (e.file() == "/dev/stdin" && name_ == "-") throw e.in_file("-");
      throw;
    }
  }
  void refresh() {
    std::visit(
        [&](const auto& s) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(s)>, std::monostate>)
            info_ = s.info();
        },
        src_);
    info_.name = name_;
  }

  std::string name_;
  std::variant<std::monostate, TextSource, TraceDatSource> src_;
  SourceInfo info_;
};

}  // namespace detail

}  // namespace v1
}  // namespace rtlat
