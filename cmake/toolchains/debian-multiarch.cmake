# What the cross toolchain files share (aarch64-linux-gnu.cmake, arm-linux-gnueabihf.cmake):
# Debian's own cross compiler and multiarch libraries for the GNU triplet RTLAT_CROSS_TRIPLET,
# CMAKE_SYSTEM_PROCESSOR set, and tests run through qemu-${RTLAT_CROSS_QEMU}.
#
# Multiarch puts the target's libraries in /usr/lib/<triplet> next to the host's, under the same
# root, so there is no sysroot: CMAKE_LIBRARY_ARCHITECTURE points find_* at that directory.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${RTLAT_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${RTLAT_CROSS_TRIPLET}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${RTLAT_CROSS_TRIPLET})

# pkg-config would otherwise hand out the host's .pc files, whose -L/usr/lib/x86_64-linux-gnu
# links host libraries into the target binary. PKG_CONFIG_LIBDIR replaces the default search
# path; the architecture-independent .pc files in /usr/share/pkgconfig still apply.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${RTLAT_CROSS_TRIPLET}/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")

# Test binaries run on the build machine through qemu-user (Debian qemu-user, no binfmt_misc
# needed): ctest and gtest_discover_tests prefix them with this. No -L / QEMU_LD_PREFIX: the
# target's -dev packages pull in its own libc6, whose loader sits where the binaries ask for
# it. Pointing qemu at /usr/<triplet> instead pairs that cross package's ld.so with the
# multiarch libc.so.6 of another glibc build, and the first pthread_create hangs.
find_program(RTLAT_QEMU qemu-${RTLAT_CROSS_QEMU})
if(RTLAT_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${RTLAT_QEMU})
endif()
