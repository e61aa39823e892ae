// The file a text source reads: an owned descriptor, or stdin borrowed.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <utility>

#include "rtlat/error.hpp"

namespace rtlat {
inline namespace v1 {
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

}  // namespace text
}  // namespace detail
}  // namespace v1
}  // namespace rtlat
