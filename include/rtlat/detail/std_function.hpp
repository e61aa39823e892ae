// std::function without the rest of <functional>. Config names std::function only, but
// libstdc++'s <functional> also brings the C++17 searchers, and with them <unordered_map> and the
// algorithms: most of what a file that includes the compiled mode's declarations parses. Where
// the library provides std::function in a header of its own, that header is enough.
#pragma once

#include <cstddef>  // defines __GLIBCXX__ under libstdc++

#if defined(__GLIBCXX__) && defined(__has_include)
#if __has_include(<bits/std_function.h>)
#include <bits/std_function.h>
#define RTLAT_DETAIL_HAVE_STD_FUNCTION 1
#endif
#endif
#ifndef RTLAT_DETAIL_HAVE_STD_FUNCTION
#include <functional>
#endif
#undef RTLAT_DETAIL_HAVE_STD_FUNCTION
