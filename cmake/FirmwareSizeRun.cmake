# Script mode helper of Firmware.cmake: print an ELF's size and keep it
# beside the image (ELF.size) for reports and size-regression checks.
execute_process(COMMAND "${SIZE}" "${ELF}" OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${SIZE} ${ELF} failed")
endif()
file(WRITE "${ELF}.size" "${out}")
message("${out}")
