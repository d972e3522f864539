# Warning flags for emlc's own code (the compiler and its tests).
# TensorType{dtype, shape} leaving layout and quantization at their defaults
# is intended, hence -Wno-missing-field-initializers.
set(EMLC_WARNINGS -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)
