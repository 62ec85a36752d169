# Cortex-M4F bare metal with Debian's arm-none-eabi GCC and newlib.
# Firmware runs under QEMU's mps2-an386 (Cortex-M4 + FPU) with semihosting:
# printf reaches stdout and main's return value is QEMU's exit status, so
# CTest runs firmware images as ordinary tests.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(TM2_MCU_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -ffunction-sections -fdata-sections")
set(CMAKE_C_FLAGS_INIT "${TM2_MCU_FLAGS}")
set(CMAKE_CXX_FLAGS_INIT "${TM2_MCU_FLAGS} -fno-exceptions -fno-rtti -fno-threadsafe-statics")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,--gc-sections --specs=rdimon.specs")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_CROSSCOMPILING_EMULATOR
    "qemu-system-arm;-M;mps2-an386;-nographic;-monitor;none;-serial;none;-semihosting-config;enable=on,target=native;-kernel")
