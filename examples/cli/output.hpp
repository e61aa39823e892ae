// Where a report goes: stdout, or a file that is replaced only by a complete report and never
// is the trace being read.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <string_view>

namespace rtlat_cli {

// An output problem the user can fix: exit 2 with this one line.
struct OutputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct FileId {
  dev_t dev;
  ino_t ino;
  friend bool operator==(const FileId& a, const FileId& b) {
    return a.dev == b.dev && a.ino == b.ino;
  }
};

// The file a path names, following symlinks (so every spelling of one file, and its hard links,
// give the same id); nullopt when it does not exist.
inline std::optional<FileId> file_id(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

// stdin's file when it is redirected from a regular file (`rtlat report - -o T < T`).
inline std::optional<FileId> stdin_file_id() {
  struct stat st {};
  if (::fstat(0, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

// Writes all of `data` to fd; returns 0 or the errno of the failure.
inline int write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

inline void write_stdout(std::string_view data) {
  if (const int err = write_all(1, data))
    throw OutputError(std::string("writing the report to stdout failed: ") + std::strerror(err));
}

// Replaces `path` through a temporary file in the same folder, renamed into place by commit()
// once complete: a failed run leaves the old file (or none) rather than a half-written one. A
// symlink stays a link: its target is replaced. Devices and FIFOs (/dev/null) are written in
// place. A new file gets the usual 0666 & ~umask, a replaced one keeps its mode. Not committed,
// the temporary file is removed.
class ReplacingFile {
 public:
  explicit ReplacingFile(const std::string& path) : path_(path) {
    namespace fs = std::filesystem;
    struct stat st {};
    const bool exists = ::stat(path.c_str(), &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) throw OutputError(path + ": is a directory");
    if (exists && !S_ISREG(st.st_mode)) {
      fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd_ < 0) throw fail("cannot open for writing", errno);
      return;
    }
    fs::path target = path;
    std::error_code ec;
    if (fs::is_symlink(fs::symlink_status(target, ec))) {
      if (exists) {
        target = fs::canonical(target, ec);
        if (ec) throw fail("cannot resolve the symlink", ec.value());
      } else {  // dangling: create what it points to
        const fs::path to = fs::read_symlink(target, ec);
        if (ec) throw fail("cannot read the symlink", ec.value());
        target = to.is_absolute() ? to : target.parent_path() / to;
      }
    }
    target_ = target.string();
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    tmp_ = (dir / ("." + target.filename().string() + ".rtlat-XXXXXX")).string();
    fd_ = ::mkstemp(tmp_.data());
    if (fd_ < 0) throw fail("cannot create a file there", errno);
    mode_t mode = st.st_mode & 07777;
    if (!exists) {
      const mode_t mask = ::umask(0);
      ::umask(mask);
      mode = 0666 & ~mask;
    }
    if (::fchmod(fd_, mode) != 0) err_ = errno;
  }
  ReplacingFile(const ReplacingFile&) = delete;
  ReplacingFile& operator=(const ReplacingFile&) = delete;
  ~ReplacingFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
  }

  void write(std::string_view data) {
    if (err_ == 0) err_ = write_all(fd_, data);
  }

  void commit() {
    if (::close(fd_) != 0 && err_ == 0) err_ = errno;
    fd_ = -1;
    if (err_ == 0 && !tmp_.empty() && ::rename(tmp_.c_str(), target_.c_str()) != 0) err_ = errno;
    if (err_ == 0) tmp_.clear();
    if (err_ != 0) throw fail("write failed", err_);
  }

 private:
  OutputError fail(const std::string& what, int err) const {
    return OutputError(path_ + ": " + what + ": " + std::strerror(err));
  }
  std::string path_, target_, tmp_;
  int fd_ = -1;
  int err_ = 0;
};

inline void write_file(const std::string& path, std::string_view data) {
  ReplacingFile f(path);
  f.write(data);
  f.commit();
}

// An ostream onto a ReplacingFile, for output too large to build in memory first.
class ReplacingStream : private std::streambuf, public std::ostream {
 public:
  explicit ReplacingStream(ReplacingFile& f) : std::ostream(this), file_(f) {
    setp(buf_, buf_ + sizeof buf_);
  }
  ReplacingStream(const ReplacingStream&) = delete;
  ReplacingStream& operator=(const ReplacingStream&) = delete;
  ~ReplacingStream() override { drain(); }
  void finish() { drain(); }

 private:
  int overflow(int c) override {
    drain();
    if (c != std::streambuf::traits_type::eof()) {
      *pptr() = static_cast<char>(c);
      pbump(1);
    }
    return 0;
  }
  int sync() override {
    drain();
    return 0;
  }
  void drain() {
    file_.write(std::string_view(pbase(), static_cast<std::size_t>(pptr() - pbase())));
    setp(buf_, buf_ + sizeof buf_);
  }
  ReplacingFile& file_;
  char buf_[1 << 16];
};

}  // namespace rtlat_cli
