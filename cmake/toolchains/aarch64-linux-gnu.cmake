# Cross build for 64-bit Raspberry Pi OS (aarch64) with Debian's own toolchain and
# multiarch libraries (scripts/setup --cross installs g++-aarch64-linux-gnu and the :arm64
# -dev packages):
#
#   cmake -S . -B build-cross-aarch64 \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
#
# Multiarch puts the target's libraries in /usr/lib/aarch64-linux-gnu next to the host's,
# under the same root, so there is no sysroot: CMAKE_LIBRARY_ARCHITECTURE points find_* at that
# directory.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# pkg-config would otherwise hand out the host's .pc files, whose -L/usr/lib/x86_64-linux-gnu
# links host libraries into the target binary. PKG_CONFIG_LIBDIR replaces the default search
# path; the architecture-independent .pc files in /usr/share/pkgconfig still apply.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")

# Test binaries run on the build machine through qemu-user (Debian qemu-user, no binfmt_misc
# needed): ctest and gtest_discover_tests prefix them with this. No -L / QEMU_LD_PREFIX: the
# :arm64 -dev packages pull in the target's own libc6, whose loader sits where the binaries
# ask for it. Pointing qemu at /usr/aarch64-linux-gnu instead pairs that cross package's ld.so
# with the multiarch libc.so.6 of another glibc build, and the first pthread_create hangs.
find_program(RTLAT_QEMU qemu-aarch64)
if(RTLAT_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${RTLAT_QEMU})
endif()
