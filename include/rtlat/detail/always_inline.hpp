// For the few functions on the per-event path that the compiler would otherwise call rather
// than inline (they are large, or called from more than one place).
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define RTLAT_ALWAYS_INLINE inline __attribute__((always_inline))
#define RTLAT_NOINLINE __attribute__((noinline))
#else
#define RTLAT_ALWAYS_INLINE inline
#define RTLAT_NOINLINE
#endif
