# Cross build for 64-bit Raspberry Pi OS (aarch64) with Debian's own toolchain and
# multiarch libraries (scripts/setup --cross installs g++-aarch64-linux-gnu and the :arm64
# -dev packages):
#
#   cmake -S . -B build-cross-aarch64 \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(RTLAT_CROSS_TRIPLET aarch64-linux-gnu)
set(RTLAT_CROSS_QEMU aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-multiarch.cmake)
