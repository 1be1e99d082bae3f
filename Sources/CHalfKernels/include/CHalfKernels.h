#ifndef CHALFKERNELS_H
#define CHALFKERNELS_H

#include <stddef.h>
#include <stdint.h>

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

#endif
