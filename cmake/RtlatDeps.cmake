# Third-party libraries, all from Debian packages (scripts/setup installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(traceevent REQUIRED IMPORTED_TARGET libtraceevent)
pkg_check_modules(tracefs REQUIRED IMPORTED_TARGET libtracefs)
pkg_check_modules(zstd REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(zlib REQUIRED IMPORTED_TARGET zlib)
pkg_check_modules(re2 REQUIRED IMPORTED_TARGET re2)
