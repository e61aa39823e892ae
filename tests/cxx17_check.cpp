// Compiled with -std=c++17 -pedantic -Werror: the public headers must stay C++17.
#include <rtlat/rtlat.hpp>

int rtlat_cxx17_check() { return static_cast<int>(sizeof(rtlat::Event)); }
