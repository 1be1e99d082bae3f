// Scalar binary16/bfloat16 → binary32 widening shared by the portable kernels (private to the target:
// not under include/).
#ifndef CQUANTKERNELS_HALF_FLOAT_H
#define CQUANTKERNELS_HALF_FLOAT_H

#include <stdint.h>
#include <string.h>

static inline uint16_t cq_load_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

// binary16 → binary32, exactly (subnormals, infinities and NaN included).
static inline float cq_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1F;
    uint32_t mantissa = h & 0x3FF;
    uint32_t bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else {
            // Subnormal: normalise the mantissa.
            int e = -1;
            do { e++; mantissa <<= 1; } while ((mantissa & 0x400) == 0);
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mantissa & 0x3FF) << 13);
        }
    } else if (exponent == 31) {
        bits = sign | 0x7F800000u | (mantissa << 13);
    } else {
        bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

// bfloat16 → binary32: the bfloat16 is the binary32's high half.
static inline float cq_bfloat_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

#endif
