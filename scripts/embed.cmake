# Turn a text file into a C source defining `const char SYM[]`; with
# HEAD, the text is HEAD's, a newline, then IN's.
file(READ "${IN}" content HEX)
if(DEFINED HEAD)
  file(READ "${HEAD}" head HEX)
  set(content "${head}0a${content}")
endif()
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE "${OUT}" "/* generated from ${IN} */\nconst char ${SYM}[] = {${bytes} 0x00};\n")
