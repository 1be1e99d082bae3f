#ifndef CHALFKERNELS_H
#define CHALFKERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/// One IEEE binary16 bit pattern widened to binary32, exactly (subnormals normalised, infinities
/// and NaN payloads kept): the scalar conversion of every portable path here and in CQuantKernels.
static inline float chk_half_bits_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1F;
    uint32_t mantissa = h & 0x3FF;
    uint32_t bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else {
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

/// Widens `count` IEEE binary16 values to binary32, exactly: F16C's vcvtph2ps, eight at a time,
/// when the CPU has it (checked once by __builtin_cpu_supports), else the portable loop. TensorCore
/// reads a half-precision KV cache through this (the library is built for baseline x86-64, where
/// Swift's own Float16 conversion is a library call per element).
void chk_half_to_float(const uint16_t *source, float *destination, size_t count);

/// The portable loop on its own (bit manipulation, no intrinsics), for tests of the fallback.
void chk_half_to_float_portable(const uint16_t *source, float *destination, size_t count);

/// Whether this CPU runs the F16C path (AVX and F16C), unless chk_force_portable(1) was called.
int chk_cpu_has_f16c(void);

/// Forces the portable path (for tests): 1 disables F16C, 0 restores detection.
void chk_force_portable(int portable);

#endif

#ifndef CHALFKERNELS_FUSED_H
#define CHALFKERNELS_FUSED_H

/// Scores of a tile of half key rows for every query head of one decoding step:
/// `scores[h · score_stride + j] = scale · Σ_c q[h · d + c] · k[j · row_stride + (h / group) · d + c]`
/// for `j < rows`, `h < heads`. F16C + FMA (AVX2) where the CPU has them, else portable.
void chk_half_scores(const float *q, const uint16_t *k, size_t rows, size_t row_stride, size_t heads, size_t group,
                     size_t d, float scale, float *scores, size_t score_stride);

/// Weighted sum of a tile of half value rows into every head's output:
/// `out[h · out_stride + c] += Σ_j p[h · p_stride + j] · v[j · row_stride + (h / group) · d + c]`.
void chk_half_accumulate(const float *p, size_t p_stride, const uint16_t *v, size_t rows, size_t row_stride,
                         size_t heads, size_t group, size_t d, float *out, size_t out_stride);

/// The portable loops of the two kernels above, for tests of the fallback.
void chk_half_scores_portable(const float *q, const uint16_t *k, size_t rows, size_t row_stride, size_t heads,
                              size_t group, size_t d, float scale, float *scores, size_t score_stride);
void chk_half_accumulate_portable(const float *p, size_t p_stride, const uint16_t *v, size_t rows, size_t row_stride,
                                  size_t heads, size_t group, size_t d, float *out, size_t out_stride);

/// Whether the fused kernels take their AVX2 + FMA + F16C path (unless chk_force_portable(1)).
int chk_cpu_has_avx2_fma_f16c(void);

/// Whether this CPU has AVX2, FMA and F16C (checked once, by __builtin_cpu_supports), whatever
/// chk_force_portable says: the one detection CQuantKernels' dispatch shares.
int chk_cpu_supports_avx2_fma_f16c(void);

#endif
