// Every unaligned form of operator new and delete, replaced by malloc and free that count
// allocations and bytes while `counting` is set (the tests that assert what a step allocates).
// It defines the program's operator new: include it in one file of a test program only. A
// sanitizer's own operators are replaced too, since they would pair badly with these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace rtlat_test::alloc {
inline bool counting = false;
inline std::uint64_t count = 0;  // allocations while counting
inline std::uint64_t bytes = 0;  // bytes asked for while counting

inline void* counted(std::size_t n) noexcept {
  if (counting) {
    ++count;
    bytes += n;
  }
  return std::malloc(n == 0 ? 1 : n);  // NOLINT(*-no-malloc, *-owning-memory)
}
// Not inlined: where GCC inlines it into a replaced operator delete, it sees free() given what
// operator new returned and, not knowing that this operator new is malloc, warns
// (-Wmismatched-new-delete, at -O1 in the cross builds).
[[gnu::noinline]] inline void release(void* p) noexcept {
  std::free(p);  // NOLINT(*-no-malloc, *-owning-memory)
}
}  // namespace rtlat_test::alloc

void* operator new(std::size_t n) {
  if (void* p = rtlat_test::alloc::counted(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (void* p = rtlat_test::alloc::counted(n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return rtlat_test::alloc::counted(n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return rtlat_test::alloc::counted(n);
}
void operator delete(void* p) noexcept {
  rtlat_test::alloc::release(p);
}
void operator delete[](void* p) noexcept {
  rtlat_test::alloc::release(p);
}
void operator delete(void* p, std::size_t) noexcept {
  rtlat_test::alloc::release(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  rtlat_test::alloc::release(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  rtlat_test::alloc::release(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  rtlat_test::alloc::release(p);
}
