# tm2_add_firmware(<name> [NO_TEST] [RAM_SIZE <bytes>] [STACK_SIZE <bytes>] <source>...):
# a Cortex-M4F firmware image
# (<name>.elf) linked with tm2_core, newlib and semihosting, registered as a
# CTest test that boots it in QEMU (mps2-an386). main's return value is the
# test's exit status; a crash exits with 101 (native/firmware/fault.c); a
# hang is killed after TM2_FIRMWARE_TIMEOUT seconds. On every other target
# the call does nothing, so tests/*/CMakeLists.txt may call it freely.
# The image's size (text/data/bss) is printed after each link and written
# to <name>.size. RAM_SIZE limits the RAM region (4 MB by default) and
# STACK_SIZE the stack kept free of heap (64 KB), as on a small part: an
# image that does not fit fails to link. NO_TEST: the caller registers its
# own test (e.g. one that runs QEMU with other options).
set(TM2_FIRMWARE_TIMEOUT 60 CACHE STRING "Seconds before a firmware test counts as hung")
if(TM2_TARGET STREQUAL "mcu")
  find_program(TM2_ARM_SIZE arm-none-eabi-size REQUIRED)
endif()

function(tm2_add_firmware name)
  if(NOT TM2_TARGET STREQUAL "mcu")
    return()
  endif()
  cmake_parse_arguments(PARSE_ARGV 1 FW "NO_TEST" "RAM_SIZE;STACK_SIZE" "")
  add_executable(${name} ${FW_UNPARSED_ARGUMENTS})
  set_target_properties(${name} PROPERTIES SUFFIX ".elf")
  target_link_libraries(${name} PRIVATE tm2_firmware_startup tm2_core)
  target_link_options(${name} PRIVATE
    "-T${TM2_FIRMWARE_LINKER_SCRIPT}" "-Wl,-Map=$<TARGET_FILE:${name}>.map")
  if(FW_RAM_SIZE)
    target_link_options(${name} PRIVATE "-Wl,--defsym,TM2_RAM_SIZE=${FW_RAM_SIZE}")
  endif()
  if(FW_STACK_SIZE)
    target_link_options(${name} PRIVATE "-Wl,--defsym,TM2_STACK_SIZE=${FW_STACK_SIZE}")
  endif()
  set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS "${TM2_FIRMWARE_LINKER_SCRIPT}")
  add_custom_command(TARGET ${name} POST_BUILD
    COMMAND "${CMAKE_COMMAND}" "-DSIZE=${TM2_ARM_SIZE}" "-DELF=$<TARGET_FILE:${name}>"
            -P "${PROJECT_SOURCE_DIR}/cmake/FirmwareSizeRun.cmake"
    VERBATIM)
  if(FW_NO_TEST)
    return()
  endif()
  # The emulator (native/toolchains/cortex-m4.cmake) is prepended by CTest.
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT ${TM2_FIRMWARE_TIMEOUT})
endfunction()
