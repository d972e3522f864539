// emlc runtime: the one header generated code includes.
#ifndef EMLC_RUNTIME_H
#define EMLC_RUNTIME_H

#include "emlc/common.h"
#include "emlc/cast.h"
#include "emlc/elementwise.h"

#endif
