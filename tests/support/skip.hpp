// Skipping a test that cannot run here: a tool missing, no tracefs. Outside CI the test skips
// with the reason. scripts/test sets RTLAT_TEST_NO_SKIP=1, and there such a skip is a failure:
// CI installs every tool and runs as root, so a test that skips there hides a defect (the live
// tests once all skipped on a fresh machine while `rtlat live` worked).
#pragma once

#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace rtlat::test {

inline constexpr const char* no_skip_variable = "RTLAT_TEST_NO_SKIP";

// Whether a skip is a failure: RTLAT_TEST_NO_SKIP set to anything but "" or "0".
inline bool skips_are_failures() {
  const char* v = std::getenv(no_skip_variable);
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

// An executable `name` on PATH (what `command -v` finds), as the tests run the tools.
inline bool have_program(std::string_view name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/bin:/bin";
  while (true) {
    const std::size_t colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    if (dir.empty()) dir = ".";
    if (::access((dir + "/" + std::string(name)).c_str(), X_OK) == 0) return true;
    if (colon == std::string_view::npos) return false;
    dirs.remove_prefix(colon + 1);
  }
}

}  // namespace rtlat::test

// Ends the test: skipped with `why`, or failed with it under RTLAT_TEST_NO_SKIP. A macro because
// both GTEST_SKIP and GTEST_FAIL return from the test body.
#define RTLAT_SKIP(why)                                                                \
  do {                                                                                 \
    const std::string& rtlat_skip_why_ = (why);                                        \
    if (::rtlat::test::skips_are_failures())                                           \
      GTEST_FAIL() << rtlat_skip_why_ << " (a skip is a failure under "                \
                   << ::rtlat::test::no_skip_variable << ", which scripts/test sets)"; \
    GTEST_SKIP() << rtlat_skip_why_;                                                   \
  } while (0)

// Ends the test the same way unless `program` is on PATH.
#define RTLAT_SKIP_UNLESS_PROGRAM(program)                                                \
  do {                                                                                    \
    if (!::rtlat::test::have_program(program))                                            \
      RTLAT_SKIP(std::string(program) + " is not installed (scripts/setup installs it)"); \
  } while (0)
