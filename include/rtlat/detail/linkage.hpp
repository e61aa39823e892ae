/// @file
/// Header-only or compiled: which of the two the including file gets.
///
/// By default every header defines what it declares (`inline`). With RTLAT_COMPILED (the
/// rtlat::compiled target defines it for its users) the headers of the compiled parts only
/// declare them, and the rtlat_compiled library, built once with RTLAT_COMPILED_SOURCE, holds the
/// one definition. A program uses one mode throughout: a function defined inline in one file and
/// linked from the library in another would be two definitions of it.
#pragma once

#if defined(RTLAT_COMPILED_SOURCE)
#define RTLAT_DEFINE_LINKED 1
#define RTLAT_LINKED
#elif defined(RTLAT_COMPILED)
#define RTLAT_DEFINE_LINKED 0
#define RTLAT_LINKED
#else
#define RTLAT_DEFINE_LINKED 1
#define RTLAT_LINKED inline
#endif
