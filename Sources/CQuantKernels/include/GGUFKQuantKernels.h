#ifndef CQUANTKERNELS_GGUF_KQUANT_KERNELS_H
#define CQUANTKERNELS_GGUF_KQUANT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// The ggml types read by these kernels, numbered as ggml numbers them (GGUFTensorType's raw values).
enum {
    CQ_GGUF_F16 = 1,   ///< 2 bytes an element: IEEE binary16.
    CQ_GGUF_Q4_K = 12, ///< 144 bytes a 256-element super-block: binary16 d, dmin, 12 bytes of 6-bit
                       ///< scales/mins, 128 bytes of nibbles; w = d·sc·q − dmin·m per 32 elements.
    CQ_GGUF_Q6_K = 14, ///< 210 bytes a 256-element super-block: 128 bytes ql, 64 bytes qh, 16 int8
                       ///< scales, binary16 d; w = d·sc·(q − 32) per 16 elements.
    CQ_GGUF_BF16 = 30  ///< 2 bytes an element: bfloat16 (the high half of a binary32).
};

/// Whether `type` is one of the types above.
int cq_kquant_supports(int type);

/// The same contract as cq_gguf_matmul_rows (which hands these types here): for r in [r0, r1) and
/// n in [0, inputs), y[n·y_stride + r] = row(r) · x[n·columns ..< (n+1)·columns], with row r stored
/// at weights + source·row_stride (source = row_map[r], or r when row_map is NULL). `columns` is a
/// multiple of 256 for Q4_K and Q6_K, anything for F16 and BF16. Runs the AVX2/FMA/F16C kernels
/// when cq_cpu_has_avx2_fma() says so (cq_force_portable(1) forces the portable C ones).
void cq_kquant_matmul_rows(int type, const void *weights, size_t row_stride, const int32_t *row_map,
                           const float *x, size_t inputs, size_t columns,
                           float *y, size_t y_stride, size_t r0, size_t r1);

#endif
