# rtlat_warnings(target): the warning flags every first-party binary gets.
function(rtlat_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                         -Wno-sign-conversion)
  if(RTLAT_WERROR)
    # GCC 12 at -O2 reports -Wrestrict on std::string's operator+ (GCC PR 105329, fixed in 13): a
    # false positive of the optimized library code, so it stays a warning in optimized builds.
    # Not in Debug, where it cannot occur: clang-tidy reads those flags and rejects the option.
    set(gcc12 $<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>)
    set(gcc12_opt $<AND:${gcc12},$<NOT:$<CONFIG:Debug>>>)
    target_compile_options(${target} PRIVATE -Werror $<${gcc12_opt}:-Wno-error=restrict>)
  endif()
endfunction()

# rtlat_strict(target): the warning and sanitizer flags every first-party binary gets. (The Python
# module takes only the warnings: Debian's python3 is not instrumented, see python/CMakeLists.txt.)
function(rtlat_strict target)
  rtlat_warnings(${target})
  if(RTLAT_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined
                           -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
