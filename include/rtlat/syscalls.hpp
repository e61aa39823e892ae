/// @file
/// Which syscall numbers are timer sleeps, per architecture (raw_syscalls:sys_enter carries only
/// the number). Sources use this to turn sys_enter into EventKind::timer_sleep markers.
#pragma once

#include <cstdint>
#include <string_view>

namespace rtlat {
inline namespace v1 {

/// The timer-sleep syscall numbers of one architecture; -1 where it has no such syscall.
struct TimerSleepSyscalls {
  std::int64_t nanosleep = -1;               ///< nanosleep(2)
  std::int64_t clock_nanosleep = -1;         ///< clock_nanosleep(2)
  std::int64_t clock_nanosleep_time64 = -1;  ///< 32-bit ABIs with 64-bit time_t

  /// True when `nr` is one of them (never for a negative `nr`).
  bool contains(std::int64_t nr) const noexcept {
    return nr >= 0 && (nr == nanosleep || nr == clock_nanosleep || nr == clock_nanosleep_time64);
  }
};

/// Effects: sets `out` to the numbers of `arch`, as uname -m prints it (trace.dat stores
/// uname): x86_64, i386..i686, 32-bit arm, aarch64, riscv32/64, loongarch64, ppc/ppc64(le).
/// Returns: false for an unknown architecture, leaving `out` untouched. Throws: nothing.
inline bool timer_sleep_syscalls_for(std::string_view arch, TimerSleepSyscalls& out) noexcept {
  if (arch == "x86_64" || arch == "amd64") {
    out = {35, 230, -1};
  } else if (arch == "i386" || arch == "i486" || arch == "i586" || arch == "i686" ||
             arch == "x86") {
    out = {162, 267, 407};
  } else if (arch.substr(0, 3) == "arm" && arch != "arm64") {  // armv7l, armv6l, arm (EABI)
    out = {162, 265, 407};
  } else if (arch == "aarch64" || arch == "arm64" || arch == "riscv64" ||
             arch == "loongarch64") {  // the generic syscall table
    out = {101, 115, -1};
  } else if (arch == "riscv32") {
    out = {-1, -1, 407};
  } else if (arch == "ppc64" || arch == "ppc64le" || arch == "ppc") {
    out = {162, 248, 407};
  } else {
    return false;
  }
  return true;
}

/// For inputs that do not say (text traces), the architecture this binary was built for, as
/// uname -m prints it: x86_64, i686, aarch64, armv7l or riscv64; empty for any other, so raw
/// sys_enter lines give no timer-sleep markers unless TextOptions::arch names the machine.
constexpr std::string_view host_arch() noexcept {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__i386__)
  return "i686";
#elif defined(__aarch64__)
  return "aarch64";
#elif defined(__arm__)
  return "armv7l";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  return "";
#endif
}

}  // namespace v1
}  // namespace rtlat
