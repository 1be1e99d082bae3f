#ifndef CQUANTKERNELS_GGUF_INTEGER_DOT_KERNELS_H
#define CQUANTKERNELS_GGUF_INTEGER_DOT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Bytes of one quantised activation block: binary32 d, binary32 s = d·Σq, int8 q[32], so that
/// x[j] ≈ d·q[j] (llama.cpp's block_q8_1, with float rather than half scales).
#define CQ_Q8_BLOCK_BYTES 40

/// Bytes that cq_q8_quantize_row writes for `columns` (a multiple of 32) values.
size_t cq_q8_row_bytes(size_t columns);

/// Quantises `columns` floats (a multiple of 32) to `columns / 32` activation blocks at `out`
/// (4-byte aligned), in the AVX2 kernel when available. Per block:
///   amax = max |x[j]|;  d = amax / 127 (binary32 division), or 0 when d < FLT_MIN;
///   q[j] = x[j]·(1/d) rounded to nearest, ties to even, clamped to [−127, 127] (0 when d = 0);
///   s = d·(float)Σq;
/// a block holding NaN or ±∞ gets d = s = NaN and q = 0, so dot products with it are NaN.
/// The AVX2 and portable kernels write identical bytes.
void cq_q8_quantize_row(const float *x, size_t columns, void *out);

/// The portable C kernel of cq_q8_quantize_row.
void cq_q8_quantize_row_portable(const float *x, size_t columns, void *out);

/// Σ over blocks of row(type) · xq, for a weight row of Q4_0, Q4_1 or Q8_0 blocks (CQ_GGUF_*) and
/// activation blocks from cq_q8_quantize_row. Each block's Σ q_w·q_x is an exact integer; it is
/// scaled by d_w·d_x (Q4_0: q_w − 8, which the AVX2 kernel adds as −8·d_w·s_x; Q4_1 also adds
/// m_w·s_x). Returns 0 for other types.
float cq_gguf_dot_q8(int type, const void *row, const void *xq, size_t columns);

/// The portable C kernel of cq_gguf_dot_q8: the same integer block sums, summed over blocks in
/// order (the AVX2 kernel sums in another order, so results differ by float rounding only).
float cq_gguf_dot_q8_portable(int type, const void *row, const void *xq, size_t columns);

/// y[n·y_stride + r] = row(r) · xq(n) for r in [r0, r1) and n in [0, inputs), as cq_gguf_matmul_rows
/// but over activation rows already quantised: xq holds `inputs` rows of cq_q8_row_bytes(columns)
/// bytes each, quantised once by the caller before it splits the rows over threads.
/// With one input row (decode), the AVX2 kernel takes Q4_0 and Q4_1 rows four at a time (the same
/// integer block sums; float summation in another order than cq_gguf_dot_q8's, so results differ
/// from it by rounding only).
void cq_gguf_matmul_rows_q8(int type, const void *weights, size_t row_stride, const int32_t *row_map,
                            const void *xq, size_t inputs, size_t columns,
                            float *y, size_t y_stride, size_t r0, size_t r1);

/// Whether GGUFBlockLinear's decode path uses these integer kernels (1) or the float kernels of
/// cq_gguf_matmul_rows (0). Defaults to 1, or 0 when the environment variable
/// MINICPM_GGUF_FLOAT_DECODE is set to anything but "" or "0" (for benchmarks of the float path).
int cq_gguf_integer_decode(void);

/// Sets what cq_gguf_integer_decode returns: 1 or 0; a negative value restores the default.
void cq_gguf_set_integer_decode(int enabled);

#endif
