# tm2_add_firmware(<name> <source>...): a Cortex-M4F firmware image
# (<name>.elf) linked with tm2_core, newlib and semihosting, registered as a
# CTest test that boots it in QEMU (mps2-an386). main's return value is the
# test's exit status; a crash exits with 101 (native/firmware/fault.c); a
# hang is killed after TM2_FIRMWARE_TIMEOUT seconds. On every other target
# the call does nothing, so tests/*/CMakeLists.txt may call it freely.
# The image's size (text/data/bss) is printed after each link and written
# to <name>.size.
set(TM2_FIRMWARE_TIMEOUT 60 CACHE STRING "Seconds before a firmware test counts as hung")
if(TM2_TARGET STREQUAL "mcu")
  find_program(TM2_ARM_SIZE arm-none-eabi-size REQUIRED)
endif()

function(tm2_add_firmware name)
  if(NOT TM2_TARGET STREQUAL "mcu")
    return()
  endif()
  add_executable(${name} ${ARGN})
  set_target_properties(${name} PROPERTIES SUFFIX ".elf")
  target_link_libraries(${name} PRIVATE tm2_firmware_startup tm2_core)
  target_link_options(${name} PRIVATE
    "-T${TM2_FIRMWARE_LINKER_SCRIPT}" "-Wl,-Map=$<TARGET_FILE:${name}>.map")
  set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS "${TM2_FIRMWARE_LINKER_SCRIPT}")
  add_custom_command(TARGET ${name} POST_BUILD
    COMMAND "${CMAKE_COMMAND}" "-DSIZE=${TM2_ARM_SIZE}" "-DELF=$<TARGET_FILE:${name}>"
            -P "${PROJECT_SOURCE_DIR}/cmake/FirmwareSizeRun.cmake"
    VERBATIM)
  # The emulator (native/toolchains/cortex-m4.cmake) is prepended by CTest.
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT ${TM2_FIRMWARE_TIMEOUT})
endfunction()
