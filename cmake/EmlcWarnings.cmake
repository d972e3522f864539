# Warning flags for emlc's own code (the compiler and its tests).
set(EMLC_WARNINGS -Wall -Wextra -Wno-unused-parameter)
