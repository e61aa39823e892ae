/// @file
/// Which source reads a given input: trace.dat files start with a fixed magic; anything else is
/// taken for text (trace-cmd report output or the tracefs `trace` file).
#pragma once

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "rtlat/detail/vocabulary.hpp"
#include "rtlat/error.hpp"

namespace rtlat {
inline namespace v1 {

/// True when `path` is a regular file starting with the trace.dat magic
/// (`"\x17\x08\x44tracing"`). A file shorter than the magic is not a trace.dat. Anything but a
/// regular file (a FIFO, a device) is not probed, since reading it would consume the bytes the
/// text reader needs; the text reader recognises the magic and says so. Complexity: one open and
/// one read of 10 bytes. Throws: InputError naming `path` when it cannot be opened.
inline bool is_tracedat(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) return false;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw InputError(path, "", std::string("cannot open: ") + std::strerror(errno));
  char buf[detail::tracedat_magic.size()];
  const std::size_t n = std::fread(buf, 1, sizeof buf, f);
  std::fclose(f);
  return n == sizeof buf && std::string_view(buf, n) == detail::tracedat_magic;
}

}  // namespace v1
}  // namespace rtlat
