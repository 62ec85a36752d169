# docs/STYLE.md: dependencies point one way (common -> preprocess -> format
# -> kernels -> engine -> stream), and a component includes only the public headers of
# the components to its left. Issue 15 found src/format including kernels/
# and the engine reading the format's generated FlatBuffers header; this
# keeps both (and every other crossing) out.
#   cmake -DSRC=<repo>/src -P check_layering.cmake
set(order common preprocess format kernels engine stream)
set(public_headers common/status.h common/det_math.h preprocess/preprocess.h
    preprocess/stream.h format/model.h format/pack.h format/channel_params.h kernels/kernels.h
    kernels/select.h
    kernels/pq_decode.h engine/engine.h engine/pack_runner.h)
set(bad 0)
foreach(component IN LISTS order)
  file(GLOB_RECURSE files "${SRC}/${component}/*.h" "${SRC}/${component}/*.cc")
  foreach(f IN LISTS files)
    file(STRINGS "${f}" includes REGEX "^#include \"[a-z_]+/")
    foreach(line IN LISTS includes)
      string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" header "${line}")
      string(REGEX REPLACE "/.*" "" dir "${header}")
      list(FIND order "${dir}" dir_at)
      list(FIND order "${component}" own_at)
      if(dir_at EQUAL -1 OR dir STREQUAL component)
        continue()  # third-party (hwy/) or the component's own files
      endif()
      list(FIND public_headers "${header}" public)
      if(dir_at GREATER own_at OR public EQUAL -1)
        message(SEND_ERROR "${f}: includes ${header} (${component} may include only public "
                           "headers of components to its left)")
        set(bad 1)
      endif()
    endforeach()
  endforeach()
endforeach()
if(NOT bad)
  message(STATUS "layering: ok")
endif()
