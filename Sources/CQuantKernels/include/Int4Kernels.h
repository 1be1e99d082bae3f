#ifndef CQUANTKERNELS_INT4_KERNELS_H
#define CQUANTKERNELS_INT4_KERNELS_H

#include <stdint.h>

/// The row-major int4 layout these kernels read (Int4Linear keeps it beside the AutoGPTQ tensors):
/// `codes` is [rows][in / 2] bytes, input 2k in the low nibble of byte k and input 2k + 1 in the
/// high nibble, so a decode matvec streams every byte of a row exactly once and in order.
/// `scales` and `scaled_zeros` are [rows][in / group] floats (scale and scale * zero of each group),
/// so that w = scale * q - scaled_zero.

/// Prepares one input row for cq_int4_matvec: sums[g] = sum of x over group g, and `xp`, x with each
/// block of 16 inputs reordered as its 8 even inputs then its 8 odd ones, the order in which the
/// low and high nibbles of 8 code bytes come out of a byte-to-int widening (so the kernel needs no
/// nibble interleaving). `in` must be a multiple of 16 and of `group`.
void cq_int4_prepare_input(const float *x, int64_t in, int64_t group, float *sums, float *xp);

/// y[r] = sum_i x[i] * (scale * q[r][i] - scaled_zero) for r in [row_begin, row_end), computed per
/// group as scale * dot(x_g, q_g) - scaled_zero * sums[g], from `xp` and `sums` of
/// cq_int4_prepare_input. The AVX2/FMA path (8 code bytes = 16 inputs per step) is taken when
/// cq_cpu_has_avx2_fma() says so and `group` is a multiple of 16 (the portable loop takes any group
/// dividing `in`); each row's result does not
/// depend on how rows are split between threads.
void cq_int4_matvec(const uint8_t *codes, const float *scales, const float *scaled_zeros,
                    const float *xp, const float *sums, int64_t in, int64_t group,
                    int64_t row_begin, int64_t row_end, float *y);

/// Dequantises rows [row_begin, row_end) into `out` ([row_end - row_begin][in] floats).
void cq_int4_dequantize_rows(const uint8_t *codes, const float *scales, const float *scaled_zeros,
                             int64_t in, int64_t group, int64_t row_begin, int64_t row_end, float *out);

#endif
