# Script mode helper of EmbedFile.cmake: IN -> OUT as a C array SYM.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR size "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE "${OUT}"
  "// Generated from ${IN}\n#include <cstddef>\n"
  "alignas(16) extern const unsigned char ${SYM}[] = {${body}};\n"
  "extern const size_t ${SYM}_size = ${size};\n")
