# Third-party libraries, all from Debian packages (scripts/setup installs them). The core needs
# the Boost headers only (Boost.Intrusive); any other target is defined only when its libraries
# are found, and what the tree builds beyond the core (CLI, tests, benchmarks) requires them.
find_package(Boost 1.66 QUIET CONFIG COMPONENTS headers)
if(NOT TARGET Boost::headers)
  # A cross build looks for CMake packages under the target's library directory, where no
  # target-architecture Boost is installed; the headers are the same for every architecture, and
  # Debian's cross compilers search the host's /usr/include, so the headers alone serve.
  find_path(RTLAT_BOOST_INCLUDE_DIR boost/intrusive/list.hpp)
  if(NOT RTLAT_BOOST_INCLUDE_DIR)
    message(FATAL_ERROR "rtlat: the Boost.Intrusive headers are missing (Debian: libboost-dev)")
  endif()
  add_library(Boost::headers INTERFACE IMPORTED)
  set_target_properties(Boost::headers PROPERTIES INTERFACE_INCLUDE_DIRECTORIES
                                                  "${RTLAT_BOOST_INCLUDE_DIR}")
endif()
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(traceevent IMPORTED_TARGET libtraceevent)
pkg_check_modules(zstd IMPORTED_TARGET libzstd)
pkg_check_modules(zlib IMPORTED_TARGET zlib)
pkg_check_modules(re2 IMPORTED_TARGET re2)
pkg_check_modules(tracefs IMPORTED_TARGET libtracefs)
# `rtlat live --listen`'s HTTP server (the CLI only; the library serves nothing itself).
pkg_check_modules(httplib IMPORTED_TARGET cpp-httplib)
if(traceevent_FOUND AND zstd_FOUND AND zlib_FOUND)
  set(RTLAT_HAVE_TRACEDAT_DEPS ON)
else()
  set(RTLAT_HAVE_TRACEDAT_DEPS OFF)
  message(STATUS "rtlat: libtraceevent, libzstd or zlib missing: no rtlat::tracedat")
endif()
# Live mode needs the trace.dat decoder as well as libtracefs; without them there is no
# rtlat::live and no `rtlat live`, and everything else builds as before.
if(RTLAT_HAVE_TRACEDAT_DEPS AND tracefs_FOUND)
  set(RTLAT_HAVE_LIVE_DEPS ON)
else()
  set(RTLAT_HAVE_LIVE_DEPS OFF)
  message(STATUS "rtlat: libtracefs missing: no rtlat::live")
endif()
if(re2_FOUND)
  set(RTLAT_HAVE_RE2 ON)
else()
  set(RTLAT_HAVE_RE2 OFF)
  message(STATUS "rtlat: RE2 missing: no rtlat::regex")
endif()
# A test-only dependency that is missing turns its tests off with one line naming it, so that a
# plain configure succeeds wherever the library's own dependencies are present (a cross build
# has no target-architecture libtracecmd or Google Benchmark). scripts/test turns that line
# into an error: CI must not go green on tests it never built.
option(RTLAT_REQUIRE_TEST_DEPS "Fail the configure when a test-only dependency is missing" OFF)
function(rtlat_missing_test_dep what)
  if(RTLAT_REQUIRE_TEST_DEPS)
    message(FATAL_ERROR "rtlat: ${what} (RTLAT_REQUIRE_TEST_DEPS is on)")
  endif()
  message(STATUS "rtlat: ${what}")
endfunction()

# Google Benchmark, for rtlat::benchmark (<rtlat/benchmark.hpp>) and bench/.
find_package(benchmark QUIET)
if(benchmark_FOUND)
  set(RTLAT_HAVE_BENCHMARK ON)
else()
  set(RTLAT_HAVE_BENCHMARK OFF)
  if(RTLAT_BUILD_BENCH)
    rtlat_missing_test_dep("Google Benchmark missing: no rtlat::benchmark, bench/ not built")
  else()
    message(STATUS "rtlat: Google Benchmark missing: no rtlat::benchmark")
  endif()
endif()
if((RTLAT_BUILD_EXAMPLES OR RTLAT_BUILD_TESTS OR RTLAT_BUILD_BENCH)
   AND NOT (RTLAT_HAVE_TRACEDAT_DEPS AND RTLAT_HAVE_RE2))
  message(FATAL_ERROR "rtlat: the CLI, tests and benchmarks need libtraceevent, libzstd, zlib and "
                      "RE2 (scripts/setup installs them)")
endif()
