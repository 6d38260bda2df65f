# Turns a file into a C source defining a NUL-terminated byte array.
# Usage: cmake -DIN=file -DOUT=file.c -DSYM=name -P embed.cmake
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT} "/* generated from ${IN} */\n#include <stddef.h>\nconst char ${SYM}[] = {${bytes}0x00};\nconst size_t ${SYM}_len = sizeof(${SYM}) - 1;\n")
