# cmake --install: the headers (with the generated version.hpp), a CMake package
# (find_package(rtlat CONFIG) with rtlat::rtlat, rtlat::tracedat, rtlat::compiled, rtlat::live, rtlat::regex and
# rtlat::benchmark), pkg-config files and the rtlat CLI (examples/CMakeLists.txt).
include(CMakePackageConfigHelpers)
set(RTLAT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/rtlat)

install(DIRECTORY include/rtlat DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/rtlat/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/rtlat)

# One export set per target, so that a core-only consumer needs none of the libraries the
# others link: the package config loads each one only when its libraries are found.
function(rtlat_install_exported target set)
  install(TARGETS ${target} EXPORT rtlat-${set} ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(EXPORT rtlat-${set} NAMESPACE rtlat:: DESTINATION ${RTLAT_CMAKE_DIR}
          FILE rtlat-${set}-targets.cmake)
endfunction()
rtlat_install_exported(rtlat core)
foreach(part tracedat compiled live regex benchmark)
  if(TARGET rtlat_${part})
    rtlat_install_exported(rtlat_${part} ${part})
  endif()
endforeach()

configure_package_config_file(cmake/rtlatConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/rtlatConfig.cmake
                              INSTALL_DESTINATION ${RTLAT_CMAKE_DIR})
# Header-only: one package serves every architecture, unless it holds the compiled library.
if(TARGET rtlat_compiled)
  set(rtlat_arch "")
else()
  set(rtlat_arch ARCH_INDEPENDENT)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/rtlatConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion ${rtlat_arch})
install(FILES ${PROJECT_BINARY_DIR}/rtlatConfig.cmake ${PROJECT_BINARY_DIR}/rtlatConfigVersion.cmake
        DESTINATION ${RTLAT_CMAKE_DIR})

# Boost has no pkg-config file: rtlat.pc names the directory of its headers, unless the compiler
# searches it anyway.
set(RTLAT_PC_BOOST_CFLAGS "")
get_target_property(rtlat_boost_include Boost::headers INTERFACE_INCLUDE_DIRECTORIES)
foreach(dir IN LISTS rtlat_boost_include)
  if(dir AND NOT dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
    string(APPEND RTLAT_PC_BOOST_CFLAGS " -I${dir}")
  endif()
endforeach()
set(rtlat_pcs rtlat rtlat-tracedat)
if(TARGET rtlat_live)
  list(APPEND rtlat_pcs rtlat-live)
endif()
foreach(pc IN LISTS rtlat_pcs)
  configure_file(cmake/${pc}.pc.in ${PROJECT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
