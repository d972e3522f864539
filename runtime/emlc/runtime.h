// emlc runtime: the one header generated code includes.
#ifndef EMLC_RUNTIME_H
#define EMLC_RUNTIME_H

#include "common.h"
#include "cast.h"
#include "elementwise.h"

// conv/matmul family

// pool/norm/softmax family

// shape/layout/gather family
#include "layout.h"
#include "gather.h"

// reduce/resize family

// end of kernel families

#endif
