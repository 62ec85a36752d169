# Header-only Debian libraries (FlatBuffers runtime, Highway, Catch2 single
# header) for every target. Cross and emscripten builds must not see
# /usr/include (glibc's x86 headers would leak in), so each library's folder
# is exposed through a symlink in the build tree and that folder alone goes
# on the include path.
set(TM2_DEPS_INCLUDE "${CMAKE_BINARY_DIR}/deps-include")
file(MAKE_DIRECTORY "${TM2_DEPS_INCLUDE}")
foreach(dep flatbuffers hwy catch2)
  if(NOT EXISTS "/usr/include/${dep}")
    message(FATAL_ERROR "/usr/include/${dep} is missing: run scripts/setup.sh (installs the Debian packages)")
  endif()
  file(CREATE_LINK "/usr/include/${dep}" "${TM2_DEPS_INCLUDE}/${dep}" SYMBOLIC)
endforeach()

# flatc runs on the build host, whatever the target.
find_program(TM2_FLATC flatc NO_CMAKE_FIND_ROOT_PATH REQUIRED)
set(TM2_GENERATED_DIR "${CMAKE_BINARY_DIR}/generated")
file(MAKE_DIRECTORY "${TM2_GENERATED_DIR}/format")
add_custom_command(
  OUTPUT "${TM2_GENERATED_DIR}/format/tm2_generated.h"
  COMMAND "${TM2_FLATC}" --cpp --scoped-enums -o "${TM2_GENERATED_DIR}/format"
          "${PROJECT_SOURCE_DIR}/models/tm2.fbs"
  DEPENDS "${PROJECT_SOURCE_DIR}/models/tm2.fbs"
  COMMENT "flatc: models/tm2.fbs -> tm2_generated.h")
add_custom_target(tm2_schema DEPENDS "${TM2_GENERATED_DIR}/format/tm2_generated.h")
