// Dot products over llama.cpp's Q4_0, Q4_1 and Q8_0 blocks, read straight from a GGUF mapping.
//
// Layouts (ggml-common.h, checked against TensorCore's GGUFDequantization, itself tested against
// gguf-py): every block holds 32 weights and starts with a little-endian binary16 scale d.
//   Q8_0: d, int8 q[32];               w[j] = d·q[j]
//   Q4_0: d, uint8 qs[16];             w[j] = d·((qs[j] & 15) − 8), w[j+16] = d·((qs[j] >> 4) − 8)
//   Q4_1: d, binary16 m, uint8 qs[16]; w[j] = d·(qs[j] & 15) + m, w[j+16] = d·(qs[j] >> 4) + m
// Each block's Σ q·x is summed in float, then scaled by d once (and Q4_1 adds m·Σ x), so the
// kernels do one multiply by d per 32 weights rather than dequantising every weight.

#include "GGUFBlockKernels.h"
#include "CPUFeatures.h"
#include "HalfFloat.h"
#include "GGUFKQuantKernels.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CQ_HAVE_X86 1
#endif

int cq_gguf_supports(int type) {
    return type == CQ_GGUF_Q4_0 || type == CQ_GGUF_Q4_1 || type == CQ_GGUF_Q8_0;
}

// MARK: Portable

static float dot_q8_0_portable(const uint8_t *b, const float *x, size_t blocks) {
    float sum = 0;
    for (size_t i = 0; i < blocks; i++, b += 34, x += 32) {
        const int8_t *q = (const int8_t *)(b + 2);
        float s = 0;
        for (int j = 0; j < 32; j++) s += (float)q[j] * x[j];
        sum += cq_half_to_float(cq_load_u16(b)) * s;
    }
    return sum;
}

static float dot_q4_0_portable(const uint8_t *b, const float *x, size_t blocks) {
    float sum = 0;
    for (size_t i = 0; i < blocks; i++, b += 18, x += 32) {
        const uint8_t *qs = b + 2;
        float s = 0;
        for (int j = 0; j < 16; j++) {
            s += (float)((int)(qs[j] & 0x0F) - 8) * x[j];
            s += (float)((int)(qs[j] >> 4) - 8) * x[j + 16];
        }
        sum += cq_half_to_float(cq_load_u16(b)) * s;
    }
    return sum;
}

static float dot_q4_1_portable(const uint8_t *b, const float *x, size_t blocks) {
    float sum = 0;
    for (size_t i = 0; i < blocks; i++, b += 20, x += 32) {
        const uint8_t *qs = b + 4;
        float s = 0, sx = 0;
        for (int j = 0; j < 16; j++) {
            s += (float)(qs[j] & 0x0F) * x[j];
            s += (float)(qs[j] >> 4) * x[j + 16];
            sx += x[j] + x[j + 16];
        }
        sum += cq_half_to_float(cq_load_u16(b)) * s + cq_half_to_float(cq_load_u16(b + 2)) * sx;
    }
    return sum;
}

float cq_gguf_dot_portable(int type, const void *row, const float *x, size_t columns) {
    const uint8_t *b = (const uint8_t *)row;
    size_t blocks = columns / 32;
    switch (type) {
    case CQ_GGUF_Q8_0: return dot_q8_0_portable(b, x, blocks);
    case CQ_GGUF_Q4_0: return dot_q4_0_portable(b, x, blocks);
    case CQ_GGUF_Q4_1: return dot_q4_1_portable(b, x, blocks);
    default: return 0;
    }
}

// MARK: AVX2 + FMA + F16C

#ifdef CQ_HAVE_X86
#include "AVX2Sum.h"

CQ_AVX2 static inline __m256 scale_of(const uint8_t *p) {
    return _mm256_set1_ps(_cvtsh_ss(cq_load_u16(p)));
}

// Eight signed bytes (i8_to_ps) or the low eight unsigned bytes of a vector (u8_to_ps) as floats.
CQ_AVX2 static inline __m256 i8_to_ps(const uint8_t *q) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)q)));
}
CQ_AVX2 static inline __m256 u8_to_ps(__m128i v) {
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v));
}

// Σ q·x of one block's 32 weights given as four vectors of eight, in two independent chains so
// the FMA latency of one does not wait for the other.
CQ_AVX2 static inline __m256 block_dot(__m256 q0, __m256 q1, __m256 q2, __m256 q3, const float *x) {
    __m256 s0 = _mm256_mul_ps(q0, _mm256_loadu_ps(x));
    __m256 s1 = _mm256_mul_ps(q1, _mm256_loadu_ps(x + 8));
    s0 = _mm256_fmadd_ps(q2, _mm256_loadu_ps(x + 16), s0);
    s1 = _mm256_fmadd_ps(q3, _mm256_loadu_ps(x + 24), s1);
    return _mm256_add_ps(s0, s1);
}

// The 32 nibbles of a 16-byte block: low nibbles are elements 0–15, high nibbles 16–31.
CQ_AVX2 static inline void nibbles(const uint8_t *qs, __m128i *lo, __m128i *hi) {
    const __m128i mask = _mm_set1_epi8(0x0F);
    __m128i v = _mm_loadu_si128((const __m128i *)qs);
    *lo = _mm_and_si128(v, mask);
    *hi = _mm_and_si128(_mm_srli_epi16(v, 4), mask);
}

// One block's contribution to the row's dot product, added to acc: d·Σ q·x (Q8_0, Q4_0), plus m·Σ x
// (Q4_1, whose w·x = d·Σ q·x + m·Σ x).
CQ_AVX2 static inline __m256 q8_0_block(const uint8_t *b, const float *x, __m256 acc) {
    const uint8_t *q = b + 2;
    __m256 s = block_dot(i8_to_ps(q), i8_to_ps(q + 8), i8_to_ps(q + 16), i8_to_ps(q + 24), x);
    return _mm256_fmadd_ps(scale_of(b), s, acc);
}

CQ_AVX2 static inline __m256 q4_0_block(const uint8_t *b, const float *x, __m256 acc) {
    const __m256 eight = _mm256_set1_ps(8.0f);
    __m128i lo, hi;
    nibbles(b + 2, &lo, &hi);
    // q − 8 is exact in float, so subtracting after the conversion loses nothing.
    __m256 s = block_dot(_mm256_sub_ps(u8_to_ps(lo), eight), _mm256_sub_ps(u8_to_ps(_mm_srli_si128(lo, 8)), eight),
                         _mm256_sub_ps(u8_to_ps(hi), eight), _mm256_sub_ps(u8_to_ps(_mm_srli_si128(hi, 8)), eight), x);
    return _mm256_fmadd_ps(scale_of(b), s, acc);
}

CQ_AVX2 static inline __m256 q4_1_block(const uint8_t *b, const float *x, __m256 acc) {
    __m128i lo, hi;
    nibbles(b + 4, &lo, &hi);
    __m256 s = block_dot(u8_to_ps(lo), u8_to_ps(_mm_srli_si128(lo, 8)), u8_to_ps(hi), u8_to_ps(_mm_srli_si128(hi, 8)), x);
    __m256 sx = _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(x), _mm256_loadu_ps(x + 8)),
                              _mm256_add_ps(_mm256_loadu_ps(x + 16), _mm256_loadu_ps(x + 24)));
    return _mm256_fmadd_ps(scale_of(b + 2), sx, _mm256_fmadd_ps(scale_of(b), s, acc));
}

// Even and odd blocks go to two accumulators: one chain of FMAs into a single accumulator would
// bound the loop by FMA latency rather than throughput.
#define CQ_DOT_AVX2(name, block, bytes)                                                    \
    CQ_AVX2 static float name(const uint8_t *b, const float *x, size_t blocks) {           \
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();                     \
        size_t i = 0;                                                                      \
        for (; i + 2 <= blocks; i += 2, b += 2 * (bytes), x += 64) {                       \
            acc0 = block(b, x, acc0);                                                      \
            acc1 = block(b + (bytes), x + 32, acc1);                                       \
        }                                                                                  \
        if (i < blocks) acc0 = block(b, x, acc0);                                          \
        return cq_hsum(_mm256_add_ps(acc0, acc1));                                            \
    }

CQ_DOT_AVX2(dot_q8_0_avx2, q8_0_block, 34)
CQ_DOT_AVX2(dot_q4_0_avx2, q4_0_block, 18)
CQ_DOT_AVX2(dot_q4_1_avx2, q4_1_block, 20)

static float cq_gguf_dot_avx2(int type, const void *row, const float *x, size_t columns) {
    const uint8_t *b = (const uint8_t *)row;
    size_t blocks = columns / 32;
    switch (type) {
    case CQ_GGUF_Q8_0: return dot_q8_0_avx2(b, x, blocks);
    case CQ_GGUF_Q4_0: return dot_q4_0_avx2(b, x, blocks);
    case CQ_GGUF_Q4_1: return dot_q4_1_avx2(b, x, blocks);
    default: return 0;
    }
}
#endif

// MARK: Dispatch

typedef float (*dot_fn)(int, const void *, const float *, size_t);

static dot_fn chosen_dot(void) {
#ifdef CQ_HAVE_X86
    if (cq_cpu_has_avx2_fma()) return cq_gguf_dot_avx2;
#endif
    return cq_gguf_dot_portable;
}

float cq_gguf_dot(int type, const void *row, const float *x, size_t columns) {
    return chosen_dot()(type, row, x, columns);
}

void cq_gguf_matmul_rows(int type, const void *weights, size_t row_stride, const int32_t *row_map,
                         const float *x, size_t inputs, size_t columns,
                         float *y, size_t y_stride, size_t r0, size_t r1) {
    // Q4_K, Q6_K, F16 and BF16 have their own kernels (GGUFKQuantKernels.c).
    if (cq_kquant_supports(type)) {
        cq_kquant_matmul_rows(type, weights, row_stride, row_map, x, inputs, columns, y, y_stride, r0, r1);
        return;
    }
    dot_fn dot = chosen_dot();  // once per call, not per row
    const uint8_t *base = (const uint8_t *)weights;
    for (size_t r = r0; r < r1; r++) {
        size_t source = row_map ? (size_t)row_map[r] : r;
        const uint8_t *row = base + source * row_stride;
        for (size_t n = 0; n < inputs; n++) {
            y[n * y_stride + r] = dot(type, row, x + n * columns, columns);
        }
    }
}
