# Project-wide compile settings, applied per target with lookalike_target_defaults().
function(lookalike_target_defaults target)
  # Clang (the fuzz preset) spells GCC's -Wshadow=local differently.
  set(shadow -Wshadow=local)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    set(shadow -Wshadow-uncaptured-local)
  endif()
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic ${shadow} -Wnon-virtual-dtor
    # Bit-exact image preprocessing must not be changed by fused multiply-add.
    -ffp-contract=off)
  # GCC 12 at -O3 reports "accessing 9223372036854775810 or more bytes" for plain
  # "literal" + std::string expressions: a false positive (GCC bug 105651, fixed in GCC 13).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(LOOKALIKE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  # Debian's libtorch_cpu links libopencv_highgui, which loads Qt 5 into every process that
  # uses LibTorch, beside our Qt 6. Where our code emits an out-of-line copy of a Qt inline
  # (unoptimised builds: ASan), an exported copy would be bound by Qt 5's own calls to that
  # inline, with Qt 6's layout: a crash at start-up. Hidden inlines stay ours.
  target_compile_options(${target} PRIVATE -fvisibility-inlines-hidden)
  # LibTorch and Qt cannot share a translation unit with Qt's `slots`/`signals` macros.
  target_compile_definitions(${target} PRIVATE QT_NO_KEYWORDS QT_NO_CAST_FROM_ASCII QT_NO_FOREACH)
endfunction()
