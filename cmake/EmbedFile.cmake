# tm2_embed_files(<target> <symbol-prefix> <file>...): compiles files into
# <target> as `extern const unsigned char <prefix>_<stem>[]` plus a size,
# so tests run identically on targets without a file system (Cortex-M).
function(tm2_embed_files target prefix)
  set(out_dir "${CMAKE_CURRENT_BINARY_DIR}/embedded_${target}")
  file(MAKE_DIRECTORY "${out_dir}")
  foreach(f ${ARGN})
    get_filename_component(stem "${f}" NAME_WE)
    string(MAKE_C_IDENTIFIER "${prefix}_${stem}" sym)
    set(cc "${out_dir}/${sym}.cc")
    add_custom_command(
      OUTPUT "${cc}"
      COMMAND ${CMAKE_COMMAND} -DIN=${f} -DOUT=${cc} -DSYM=${sym}
              -P "${PROJECT_SOURCE_DIR}/cmake/EmbedFileRun.cmake"
      DEPENDS "${f}" "${PROJECT_SOURCE_DIR}/cmake/EmbedFileRun.cmake")
    target_sources(${target} PRIVATE "${cc}")
  endforeach()
  # tests/common/embedded_files.h declares the symbols (TM2_EMBEDDED_FILE).
  target_include_directories(${target} PRIVATE "${PROJECT_SOURCE_DIR}/tests")
endfunction()
