// Scalar binary16/bfloat16 → binary32 widening shared by the portable kernels (private to the target:
// not under include/).
#ifndef CQUANTKERNELS_HALF_FLOAT_H
#define CQUANTKERNELS_HALF_FLOAT_H

#include <stdint.h>
#include <string.h>
#include "CHalfKernels.h"

static inline uint16_t cq_load_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

// binary16 → binary32, exactly: CHalfKernels' conversion (shared with TensorCore's half KV cache).
static inline float cq_half_to_float(uint16_t h) { return chk_half_bits_to_float(h); }

// bfloat16 → binary32: the bfloat16 is the binary32's high half.
static inline float cq_bfloat_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

#endif
