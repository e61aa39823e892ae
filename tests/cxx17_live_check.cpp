// Compiled with -std=c++17 -pedantic -Werror: the live source's public header stays C++17 too.
#include <rtlat/source/live.hpp>

int rtlat_cxx17_live_check() {
  return static_cast<int>(sizeof(rtlat::LiveOptions));
}
