// emlc runtime: the one header generated code includes.
#ifndef EMLC_RUNTIME_H
#define EMLC_RUNTIME_H

#include "common.h"
#include "cast.h"
#include "elementwise.h"
#include "activation.h"

// conv/matmul family
#include "conv.h"
#include "matmul.h"
#include "conv_nhwc.h"
#include "gemm_packed.h"
#include "float_fpu.h"

// pool/norm/softmax family
#include "pool.h"
#include "pool_nhwc.h"
#include "norm.h"
#include "softmax.h"

// shape/layout/gather family
#include "layout.h"
#include "gather.h"

// reduce/resize family
#include "reduce.h"
#include "resize.h"
#include "topk.h"
#include "loss.h"

// recurrent family
#include "rnn.h"

// signal family
#include "signal.h"

// detection post-processing
#include "nms.h"

// int8 quantization family (reference integer kernels)
#include "int8_common.h"
#include "int8_conv.h"
#include "int8_dsp.h"
#include "int8_dsp_depthwise.h"
#include "int8_dsp_pool_add.h"
#include "int8_elementwise.h"
#include "int8_pool.h"
#include "int8_softmax.h"
#include "int8_rnn.h"

// sparse weights (zero-skipping int8 and float conv/gemm)
#include "sparse.h"

// end of kernel families

#endif
