/// @file
/// The library's two error types: InputError for bad input (every stage that can fail on input
/// throws it) and LiveError for a live session that cannot start or goes wrong.
#pragma once

#include <stdexcept>
#include <string>

namespace rtlat {
inline namespace v1 {

/// Bad input: a file that cannot be read, is corrupt, or breaks a rule the engine relies on.
/// `file` names the input ("-" for stdin), `where` the place in it ("line 12", "offset 0x1f00",
/// "section options", "cpu 3"), `reason` what is wrong. what() joins them into one line,
/// "file: where: reason" (`<input>` for an empty file name, no `where` part when it is empty).
///
/// The engine throws it with an empty file, since it does not know what fed it; sources and
/// rtlat::analyze() fill the file in (in_file()). Copyable; safe to read from any thread.
class InputError : public std::runtime_error {
 public:
  /// Effects: an error about `file` at `where` (either may be empty). Throws: std::bad_alloc.
  InputError(std::string file, std::string where, std::string reason)
      : std::runtime_error(join(file, where, reason)),
        file_(std::move(file)),
        where_(std::move(where)),
        reason_(std::move(reason)) {}

  /// The input's name as the source was given it; empty when the thrower did not know it.
  const std::string& file() const noexcept { return file_; }
  /// The place in the input; may be empty.
  const std::string& where() const noexcept { return where_; }
  /// What is wrong, without file and place.
  const std::string& reason() const noexcept { return reason_; }

  /// The same error, attributed to `file` (engines do not know which file fed them).
  /// Throws: std::bad_alloc.
  InputError in_file(const std::string& file) const { return InputError(file, where_, reason_); }

 private:
  static std::string join(const std::string& f, const std::string& w, const std::string& r) {
    std::string s = f.empty() ? std::string("<input>") : f;
    if (!w.empty()) s += ": " + w;
    return s + ": " + r;
  }
  std::string file_, where_, reason_;
};

/// A live session could not start or went wrong (no root, no tracefs, a tracefs write refused).
/// what() is one line saying what is missing and, where there is one, how to get it.
class LiveError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace v1
}  // namespace rtlat
