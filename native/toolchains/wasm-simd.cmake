# WebAssembly SIMD128 with Debian's emscripten 3.1.6, tests under node 20.
# Wraps emscripten's own toolchain file to fix three things it leaves to
# the caller (docs/targets.md, "Tool quirks"):
#  - emcc's link step runs node scripts that need `acorn`, which Debian
#    installs in /usr/share/nodejs where node 20 does not look: every link
#    runs with NODE_PATH set (not only when a preset's environment is used);
#  - node 20's fetch() cannot load a .wasm by file path, so tests run node
#    with --no-experimental-fetch (set before the include: emscripten keeps
#    an emulator that is already defined);
#  - SIMD128 is on for the whole build, so Highway's static target is WASM.
find_program(TM2_NODE NAMES node nodejs REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR "${TM2_NODE};--no-experimental-fetch")
set(ENV{NODE_PATH} "/usr/share/nodejs")

include(/usr/share/emscripten/cmake/Modules/Platform/Emscripten.cmake)

set(CMAKE_C_FLAGS_INIT "-msimd128")
set(CMAKE_CXX_FLAGS_INIT "-msimd128")
set(CMAKE_C_LINKER_LAUNCHER "env;NODE_PATH=/usr/share/nodejs")
set(CMAKE_CXX_LINKER_LAUNCHER "env;NODE_PATH=/usr/share/nodejs")
