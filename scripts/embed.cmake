# Turn a text file into a C source defining `const char SYM[]`.
file(READ "${IN}" content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE "${OUT}" "/* generated from ${IN} */\nconst char ${SYM}[] = {${bytes} 0x00};\n")
