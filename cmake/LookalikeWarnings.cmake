# Project-wide compile settings, applied per target with lookalike_target_defaults().
function(lookalike_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor
    # Bit-exact image preprocessing must not be changed by fused multiply-add.
    -ffp-contract=off)
  if(LOOKALIKE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  # LibTorch and Qt cannot share a translation unit with Qt's `slots`/`signals` macros.
  target_compile_definitions(${target} PRIVATE QT_NO_KEYWORDS QT_NO_CAST_FROM_ASCII QT_NO_FOREACH)
endfunction()
