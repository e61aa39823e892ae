# Cross build for 32-bit Raspberry Pi OS (armhf, armv7l) with Debian's own toolchain and
# multiarch libraries (scripts/setup --cross installs g++-arm-linux-gnueabihf and the :armhf
# -dev packages):
#
#   cmake -S . -B build-cross-armhf \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/arm-linux-gnueabihf.cmake
set(CMAKE_SYSTEM_PROCESSOR arm)
set(RTLAT_CROSS_TRIPLET arm-linux-gnueabihf)
set(RTLAT_CROSS_QEMU arm)
# GCC notes on every std::sort of a struct that its argument passing changed in GCC 7.1 (-Wpsabi):
# it matters only when linking code built by GCC 6 or older, which nothing here is.
set(CMAKE_CXX_FLAGS_INIT -Wno-psabi)
include(${CMAKE_CURRENT_LIST_DIR}/debian-multiarch.cmake)
