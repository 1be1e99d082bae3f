#ifndef CQUANTKERNELS_GGUF_BLOCK_KERNELS_H
#define CQUANTKERNELS_GGUF_BLOCK_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// The ggml block types these kernels read, numbered as ggml numbers them (GGUFTensorType's raw values).
enum {
    CQ_GGUF_Q4_0 = 2, ///< 18 bytes: binary16 d, 16 bytes of nibbles; w = d·(q − 8).
    CQ_GGUF_Q4_1 = 3, ///< 20 bytes: binary16 d, binary16 m, 16 bytes of nibbles; w = d·q + m.
    CQ_GGUF_Q8_0 = 8  ///< 34 bytes: binary16 d, 32 int8; w = d·q.
};

/// Whether `type` is one of the block types above.
int cq_gguf_supports(int type);

/// Σ w[i]·x[i] over one row of `columns` elements (a multiple of 32) stored as `type` blocks at `row`
/// (any alignment), in the AVX2/FMA/F16C kernel when the CPU has it and it is not forced off.
float cq_gguf_dot(int type, const void *row, const float *x, size_t columns);

/// The portable C kernel of cq_gguf_dot (always available; for tests and non-AVX2 CPUs).
float cq_gguf_dot_portable(int type, const void *row, const float *x, size_t columns);

/// y[n·y_stride + r] = row(r) · x[n·columns ..< (n+1)·columns] for r in [r0, r1) and n in [0, inputs).
///
/// Row r is stored at `weights + source_row·row_stride`, where source_row = row_map[r], or r when
/// row_map is NULL (a map lets a caller reorder whole rows, as GGUF's permuted Q/K rows need,
/// without copying them). Types of cq_kquant_supports (Q4_K, Q6_K, F16, BF16) are handed to
/// cq_kquant_matmul_rows (GGUFKQuantKernels.h). Each weight row is read once for all `inputs` vectors, so it stays in
/// cache while several input rows (prefill) use it.
void cq_gguf_matmul_rows(int type, const void *weights, size_t row_stride, const int32_t *row_map,
                         const float *x, size_t inputs, size_t columns,
                         float *y, size_t y_stride, size_t r0, size_t r1);

#endif
