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
#include <stdexcept>
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

// Replaces `path` with `data` through a temporary file in the same folder, renamed into place
// once complete: a failed run leaves the old file (or none) rather than a half-written one. A
// symlink stays a link: its target is replaced. Devices and FIFOs (/dev/null) are written in
// place. A new file gets the usual 0666 & ~umask, a replaced one keeps its mode.
inline void write_file(const std::string& path, std::string_view data) {
  namespace fs = std::filesystem;
  const auto fail = [&](const std::string& what, int err) {
    return OutputError(path + ": " + what + ": " + std::strerror(err));
  };
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) throw OutputError(path + ": is a directory");
  if (exists && !S_ISREG(st.st_mode)) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw fail("cannot open for writing", errno);
    const int err = write_all(fd, data);
    ::close(fd);
    if (err != 0) throw fail("write failed", err);
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
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmp = (dir / ("." + target.filename().string() + ".rtlat-XXXXXX")).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw fail("cannot create a file there", errno);
  mode_t mode = st.st_mode & 07777;
  if (!exists) {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  int err = ::fchmod(fd, mode) != 0 ? errno : 0;
  if (err == 0) err = write_all(fd, data);
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(tmp.c_str(), target.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    throw fail("write failed", err);
  }
}

}  // namespace rtlat_cli
