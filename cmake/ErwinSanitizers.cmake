# Sanitizer and fuzzing builds (scripts/sanitize.sh, scripts/fuzz.sh); both off by default, so the
# ordinary build is unaffected.
#   ERWIN_SANITIZE  "address;undefined" or "thread": every C++ target is compiled and linked with
#                   these sanitizers; any report ends the program (no recovery).
#   ERWIN_FUZZ      clang only: the libFuzzer targets of tests/fuzz, with address;undefined and
#                   coverage instrumentation (-fsanitize=fuzzer-no-link) of every library.
option(ERWIN_FUZZ "Build the libFuzzer targets under tests/fuzz (clang)" OFF)
set(ERWIN_SANITIZE "" CACHE STRING "Sanitizers for every target: address;undefined or thread")

if(ERWIN_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "ERWIN_FUZZ needs clang (libFuzzer): configure with CXX=clang++")
  endif()
  if(NOT ERWIN_SANITIZE)
    set(ERWIN_SANITIZE "address;undefined" CACHE STRING "" FORCE)
  endif()
  add_compile_options($<$<COMPILE_LANGUAGE:CXX,C>:-fsanitize=fuzzer-no-link>)
endif()

if(ERWIN_SANITIZE)
  list(JOIN ERWIN_SANITIZE "," erwin_sanitizers)
  set(erwin_sanitize_flags -fsanitize=${erwin_sanitizers} -fno-sanitize-recover=all
      -fno-omit-frame-pointer)
  if("undefined" IN_LIST ERWIN_SANITIZE)
    # UBSan's vptr check needs the typeinfo of every polymorphic class it sees, and LibTorch does
    # not export all of them (c10::DynamicType): the programs would not link.
    list(APPEND erwin_sanitize_flags -fno-sanitize=vptr)
  endif()
  add_compile_options("$<$<COMPILE_LANGUAGE:CXX,C>:${erwin_sanitize_flags}>")
  add_link_options(-fsanitize=${erwin_sanitizers})
  message(STATUS "Sanitizers: ${erwin_sanitizers}")
endif()
