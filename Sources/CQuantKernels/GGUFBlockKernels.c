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

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CQ_HAVE_X86 1
#endif

static inline uint16_t load_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

// binary16 → binary32, exactly (subnormals, infinities and NaN included).
static inline float half_to_float(uint16_t h) {
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
        sum += half_to_float(load_u16(b)) * s;
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
        sum += half_to_float(load_u16(b)) * s;
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
        sum += half_to_float(load_u16(b)) * s + half_to_float(load_u16(b + 2)) * sx;
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
#define CQ_AVX2 __attribute__((target("avx2,fma,f16c")))

CQ_AVX2 static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

CQ_AVX2 static inline __m256 scale_of(const uint8_t *p) {
    return _mm256_set1_ps(_cvtsh_ss(load_u16(p)));
}

// Eight bytes (signed or unsigned as `widen` says) as eight floats.
CQ_AVX2 static inline __m256 i8_to_ps(const uint8_t *q) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)q)));
}
CQ_AVX2 static inline __m256 u8_to_ps(__m128i v) {
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v));
}

CQ_AVX2 static float dot_q8_0_avx2(const uint8_t *b, const float *x, size_t blocks) {
    __m256 acc = _mm256_setzero_ps();
    for (size_t i = 0; i < blocks; i++, b += 34, x += 32) {
        const uint8_t *q = b + 2;
        __m256 s = _mm256_mul_ps(i8_to_ps(q), _mm256_loadu_ps(x));
        s = _mm256_fmadd_ps(i8_to_ps(q + 8), _mm256_loadu_ps(x + 8), s);
        s = _mm256_fmadd_ps(i8_to_ps(q + 16), _mm256_loadu_ps(x + 16), s);
        s = _mm256_fmadd_ps(i8_to_ps(q + 24), _mm256_loadu_ps(x + 24), s);
        acc = _mm256_fmadd_ps(scale_of(b), s, acc);
    }
    return hsum(acc);
}

// The 32 nibbles of a 16-byte block as four vectors of eight unsigned bytes' worth: elements 0–7,
// 8–15 (low nibbles) and 16–23, 24–31 (high nibbles).
CQ_AVX2 static inline void nibbles(const uint8_t *qs, __m128i *lo, __m128i *hi) {
    const __m128i mask = _mm_set1_epi8(0x0F);
    __m128i v = _mm_loadu_si128((const __m128i *)qs);
    *lo = _mm_and_si128(v, mask);
    *hi = _mm_and_si128(_mm_srli_epi16(v, 4), mask);
}

CQ_AVX2 static float dot_q4_0_avx2(const uint8_t *b, const float *x, size_t blocks) {
    const __m256 eight = _mm256_set1_ps(8.0f);
    __m256 acc = _mm256_setzero_ps();
    for (size_t i = 0; i < blocks; i++, b += 18, x += 32) {
        __m128i lo, hi;
        nibbles(b + 2, &lo, &hi);
        // q − 8 is exact in float, so subtracting after the conversion matches the portable kernel.
        __m256 s = _mm256_mul_ps(_mm256_sub_ps(u8_to_ps(lo), eight), _mm256_loadu_ps(x));
        s = _mm256_fmadd_ps(_mm256_sub_ps(u8_to_ps(_mm_srli_si128(lo, 8)), eight), _mm256_loadu_ps(x + 8), s);
        s = _mm256_fmadd_ps(_mm256_sub_ps(u8_to_ps(hi), eight), _mm256_loadu_ps(x + 16), s);
        s = _mm256_fmadd_ps(_mm256_sub_ps(u8_to_ps(_mm_srli_si128(hi, 8)), eight), _mm256_loadu_ps(x + 24), s);
        acc = _mm256_fmadd_ps(scale_of(b), s, acc);
    }
    return hsum(acc);
}

CQ_AVX2 static float dot_q4_1_avx2(const uint8_t *b, const float *x, size_t blocks) {
    __m256 acc = _mm256_setzero_ps();
    for (size_t i = 0; i < blocks; i++, b += 20, x += 32) {
        __m128i lo, hi;
        nibbles(b + 4, &lo, &hi);
        __m256 x0 = _mm256_loadu_ps(x), x1 = _mm256_loadu_ps(x + 8);
        __m256 x2 = _mm256_loadu_ps(x + 16), x3 = _mm256_loadu_ps(x + 24);
        __m256 s = _mm256_mul_ps(u8_to_ps(lo), x0);
        s = _mm256_fmadd_ps(u8_to_ps(_mm_srli_si128(lo, 8)), x1, s);
        s = _mm256_fmadd_ps(u8_to_ps(hi), x2, s);
        s = _mm256_fmadd_ps(u8_to_ps(_mm_srli_si128(hi, 8)), x3, s);
        // The offset m multiplies Σ x of the block: w·x = d·Σ q·x + m·Σ x.
        __m256 sx = _mm256_add_ps(_mm256_add_ps(x0, x1), _mm256_add_ps(x2, x3));
        acc = _mm256_fmadd_ps(scale_of(b), s, acc);
        acc = _mm256_fmadd_ps(scale_of(b + 2), sx, acc);
    }
    return hsum(acc);
}

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
