# The relaxed-SIMD engine variant (issue 16; docs/kernels.md): a wasm build
# configured with TM2_WASM_RELAXED=ON and -msimd128 -mrelaxed-simd compiles
# the i32x4.relaxed_dot_i8x16_i7x16_add_s kernels
# (src/kernels/hwy/qs8_quad_relaxed_wasm-inl.h). clang 14 cannot emit that
# instruction, so the kernels emit a placeholder that every linked module
# of such a build gets rewritten after the link:
#   tm2_wasm_relaxed_patch(<target>)   (a no-op in other builds)
# Its programs run under node 20 only with --experimental-wasm-relaxed-simd,
# and with --no-liftoff: node 20's baseline compiler adds the products
# twice (its optimizing compiler and Chromium 156's both are exact).
option(TM2_WASM_RELAXED "wasm: build the relaxed-SIMD variant (needs -mrelaxed-simd in the flags)" OFF)
set(TM2_WASM_RELAXED_NODE_FLAGS --experimental-wasm-relaxed-simd --no-liftoff)
if(TM2_WASM_RELAXED)
  if(NOT TM2_TARGET STREQUAL "wasm")
    message(FATAL_ERROR "TM2_WASM_RELAXED is for TM2_TARGET=wasm")
  endif()
  set(CMAKE_CROSSCOMPILING_EMULATOR "${TM2_NODE};--no-experimental-fetch;--experimental-wasm-relaxed-simd;--no-liftoff")
endif()

function(tm2_wasm_relaxed_patch target)
  if(NOT TM2_WASM_RELAXED)
    return()
  endif()
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND "${TM2_NODE}" "${PROJECT_SOURCE_DIR}/scripts/wasm_relaxed_patch.mjs"
            "$<TARGET_FILE_DIR:${target}>/$<TARGET_FILE_BASE_NAME:${target}>.wasm"
    VERBATIM)
endfunction()
