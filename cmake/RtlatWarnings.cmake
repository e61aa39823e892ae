# rtlat_strict(target): the warning and sanitizer flags every first-party binary gets.
function(rtlat_strict target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                         -Wno-sign-conversion)
  if(RTLAT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(RTLAT_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined
                           -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
