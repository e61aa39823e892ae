// The one error type for bad input: every stage that can fail on input throws it.
#pragma once

#include <stdexcept>
#include <string>

namespace rtlat {
inline namespace v1 {

// `file` names the input ("-" for stdin), `where` the place in it ("line 12", "offset 0x1f00",
// "section options", "cpu 3"), `reason` what is wrong. what() joins them into one line.
class InputError : public std::runtime_error {
 public:
  InputError(std::string file, std::string where, std::string reason)
      : std::runtime_error(join(file, where, reason)),
        file_(std::move(file)),
        where_(std::move(where)),
        reason_(std::move(reason)) {}

  const std::string& file() const noexcept { return file_; }
  const std::string& where() const noexcept { return where_; }
  const std::string& reason() const noexcept { return reason_; }

  // The same error, attributed to a file (engines do not know which file fed them).
  InputError in_file(const std::string& file) const { return InputError(file, where_, reason_); }

 private:
  static std::string join(const std::string& f, const std::string& w, const std::string& r) {
    std::string s = f.empty() ? std::string("<input>") : f;
    if (!w.empty()) s += ": " + w;
    return s + ": " + r;
  }
  std::string file_, where_, reason_;
};

}  // namespace v1
}  // namespace rtlat
