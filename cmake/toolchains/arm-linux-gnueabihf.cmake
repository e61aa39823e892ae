# Cross build for 32-bit Raspberry Pi OS (armhf, armv7l) with Debian's own toolchain and
# multiarch libraries (scripts/setup --cross installs g++-arm-linux-gnueabihf and the :armhf
# -dev packages):
#
#   cmake -S . -B build-cross-armhf \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/arm-linux-gnueabihf.cmake
#
# Multiarch puts the target's libraries in /usr/lib/arm-linux-gnueabihf next to the host's,
# under the same root, so there is no sysroot: CMAKE_LIBRARY_ARCHITECTURE points find_* at that
# directory.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_CXX_COMPILER arm-linux-gnueabihf-g++)
set(CMAKE_LIBRARY_ARCHITECTURE arm-linux-gnueabihf)
# GCC notes on every std::sort of a struct that its argument passing changed in GCC 7.1 (-Wpsabi):
# it matters only when linking code built by GCC 6 or older, which nothing here is.
set(CMAKE_CXX_FLAGS_INIT -Wno-psabi)

# pkg-config would otherwise hand out the host's .pc files, whose -L/usr/lib/x86_64-linux-gnu
# links host libraries into the target binary. PKG_CONFIG_LIBDIR replaces the default search
# path; the architecture-independent .pc files in /usr/share/pkgconfig still apply.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/arm-linux-gnueabihf/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")

# Test binaries run on the build machine through qemu-user (Debian qemu-user, no binfmt_misc
# needed): ctest and gtest_discover_tests prefix them with this. No -L / QEMU_LD_PREFIX: the
# :armhf -dev packages pull in the target's own libc6, whose loader sits where the binaries
# ask for it. Pointing qemu at /usr/arm-linux-gnueabihf instead pairs that cross package's ld.so
# with the multiarch libc.so.6 of another glibc build, and the first pthread_create hangs.
find_program(RTLAT_QEMU qemu-arm)
if(RTLAT_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${RTLAT_QEMU})
endif()
