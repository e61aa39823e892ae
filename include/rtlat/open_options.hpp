/// @file
/// How rtlat::open() reads what it finds (analyze.hpp).
#pragma once

#include <string>

namespace rtlat {
inline namespace v1 {

/// How rtlat::open() reads what it finds.
struct OpenOptions {
  std::string buffer;  ///< trace.dat: the instance buffer to read ("" = the top one)
  std::string arch;    ///< text: syscall numbering ("" = this machine's); trace.dat says its own
  int decode_threads = -1;  ///< trace.dat: decode workers (-1 auto, 0 none, N workers)
};

}  // namespace v1
}  // namespace rtlat
