# Turn a text file into a C source defining `const char SYM[]`; with
# HEAD (a list of files), the text is each of them followed by a
# newline, in order, then IN's.
file(READ "${IN}" content HEX)
set(head)
foreach(f IN LISTS HEAD)
  file(READ "${f}" text HEX)
  string(APPEND head "${text}0a")
endforeach()
set(content "${head}${content}")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE "${OUT}" "/* generated from ${IN} */\nconst char ${SYM}[] = {${bytes} 0x00};\n")
