# Writes a header holding a text file as one string literal:
#   cmake -DIN=stream.csv -DOUT=stream_csv.h -P embed_csv.cmake
file(READ "${IN}" text)
if(text MATCHES "\\)csv\"")
  message(FATAL_ERROR "${IN} contains the raw string delimiter )csv\"")
endif()
file(WRITE "${OUT}.tmp" "// Generated from ${IN} by embed_csv.cmake.\nstatic const char kStreamCsv[] = R\"csv(${text})csv\";\n")
file(RENAME "${OUT}.tmp" "${OUT}")
