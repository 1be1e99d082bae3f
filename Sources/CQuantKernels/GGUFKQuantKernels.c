// Dot products over llama.cpp's Q4_K and Q6_K super-blocks and F16/BF16 rows, read straight from a
// GGUF mapping (layouts as in ggml-common.h; the reference decoding is TensorCore's
// GGUFDequantization, tested against gguf-py).
//
// Q4_K (144 bytes, 256 weights): binary16 d, binary16 dmin, 12 bytes packing eight 6-bit scales sc
// and eight 6-bit mins m (ggml's get_scale_min_k4), 128 bytes qs. Weights 64c ..< 64c+32 are the low
// nibbles of qs[32c ..< 32c+32] with sub-block 2c's scale, weights 64c+32 ..< 64c+64 their high
// nibbles with sub-block 2c+1's. w = d·sc·q − dmin·m, so a sub-block's Σ w·x is
// d·sc·Σ q·x − dmin·m·Σ x: the Σ x of every 32 inputs is computed once per call and input row, and
// the kernels only do Σ q·x per sub-block and one multiply by its scale.
//
// Q6_K (210 bytes, 256 weights): ql[128], qh[64], int8 sc[16], binary16 d. Each half n of 128
// weights uses ql[64n ..], qh[32n ..], sc[8n ..]; for l < 32,
//   q(l)    = ql[l] & 15      | (qh[l] & 3) << 4          scale sc[l/16]
//   q(l+32) = ql[l+32] & 15   | (qh[l] >> 2 & 3) << 4     scale sc[l/16 + 2]
//   q(l+64) = ql[l] >> 4      | (qh[l] >> 4 & 3) << 4     scale sc[l/16 + 4]
//   q(l+96) = ql[l+32] >> 4   | (qh[l] >> 6 & 3) << 4     scale sc[l/16 + 6]
// and w = d·sc·(q − 32). q − 32 fits an int8, so the kernels subtract 32 before converting to float.

#include "GGUFKQuantKernels.h"
#include "CPUFeatures.h"
#include "HalfFloat.h"

#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CQ_HAVE_X86 1
#endif

int cq_kquant_supports(int type) {
    return type == CQ_GGUF_F16 || type == CQ_GGUF_BF16 || type == CQ_GGUF_Q4_K || type == CQ_GGUF_Q6_K;
}

/// One row's dot product with one input row; `sums` holds the input's Σ x of every 32 elements
/// (only Q4_K reads it).
typedef float (*row_dot)(const uint8_t *row, const float *x, const float *sums, size_t columns);

// ggml's get_scale_min_k4: the 6-bit scale and min of sub-block j (0–7) of a Q4_K super-block.
static inline void scale_min_k4(int j, const uint8_t *q, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

// MARK: Portable

static float dot_q4_K_portable(const uint8_t *b, const float *x, const float *sums, size_t columns) {
    float sum = 0;
    for (size_t i = 0; i < columns / 256; i++, b += 144, x += 256, sums += 8) {
        float d = cq_half_to_float(cq_load_u16(b)), dmin = cq_half_to_float(cq_load_u16(b + 2));
        const uint8_t *qs = b + 16;
        float block = 0;
        for (int c = 0; c < 4; c++, qs += 32) {
            uint8_t sc0, m0, sc1, m1;
            scale_min_k4(2 * c, b + 4, &sc0, &m0);
            scale_min_k4(2 * c + 1, b + 4, &sc1, &m1);
            const float *xc = x + 64 * c;
            float s0 = 0, s1 = 0;
            for (int l = 0; l < 32; l++) {
                s0 += (float)(qs[l] & 0xF) * xc[l];
                s1 += (float)(qs[l] >> 4) * xc[l + 32];
            }
            block += d * sc0 * s0 - dmin * m0 * sums[2 * c];
            block += d * sc1 * s1 - dmin * m1 * sums[2 * c + 1];
        }
        sum += block;
    }
    return sum;
}

static float dot_q6_K_portable(const uint8_t *b, const float *x, const float *sums, size_t columns) {
    (void)sums;
    float sum = 0;
    for (size_t i = 0; i < columns / 256; i++, b += 210, x += 256) {
        float d = cq_half_to_float(cq_load_u16(b + 208));
        float block = 0;
        for (int n = 0; n < 2; n++) {
            const uint8_t *ql = b + 64 * n, *qh = b + 128 + 32 * n;
            const int8_t *sc = (const int8_t *)(b + 192 + 8 * n);
            const float *xn = x + 128 * n;
            // s[k][h]: Σ (q − 32)·x over the 16 weights that share scale sc[h + 2k].
            float s[4][2] = {{0}};
            for (int l = 0; l < 32; l++) {
                int h = l / 16;
                s[0][h] += (float)((int)((ql[l] & 0xF) | (qh[l] & 3) << 4) - 32) * xn[l];
                s[1][h] += (float)((int)((ql[l + 32] & 0xF) | (qh[l] >> 2 & 3) << 4) - 32) * xn[l + 32];
                s[2][h] += (float)((int)((ql[l] >> 4) | (qh[l] >> 4 & 3) << 4) - 32) * xn[l + 64];
                s[3][h] += (float)((int)((ql[l + 32] >> 4) | (qh[l] >> 6 & 3) << 4) - 32) * xn[l + 96];
            }
            for (int k = 0; k < 4; k++)
                for (int h = 0; h < 2; h++) block += (float)sc[h + 2 * k] * s[k][h];
        }
        sum += d * block;
    }
    return sum;
}

static float dot_f16_portable(const uint8_t *b, const float *x, const float *sums, size_t columns) {
    (void)sums;
    float sum = 0;
    for (size_t i = 0; i < columns; i++) sum += cq_half_to_float(cq_load_u16(b + 2 * i)) * x[i];
    return sum;
}

static float dot_bf16_portable(const uint8_t *b, const float *x, const float *sums, size_t columns) {
    (void)sums;
    float sum = 0;
    for (size_t i = 0; i < columns; i++) sum += cq_bfloat_to_float(cq_load_u16(b + 2 * i)) * x[i];
    return sum;
}

static void sums_of_32_portable(const float *x, size_t columns, float *sums) {
    for (size_t j = 0; j < columns / 32; j++, x += 32) {
        float s = 0;
        for (int l = 0; l < 32; l++) s += x[l];
        sums[j] = s;
    }
}

// MARK: AVX2 + FMA + F16C

#ifdef CQ_HAVE_X86
#include "AVX2Sum.h"

// The low eight unsigned (u8) or signed (i8) bytes of a vector as floats.
CQ_AVX2 static inline __m256 u8_to_ps(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v)); }
CQ_AVX2 static inline __m256 i8_to_ps(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)); }

// Σ q·x of 32 weights from two vectors of 16 nibble values, in two independent FMA chains.
CQ_AVX2 static inline __m256 dot32_u8(__m128i a, __m128i b, const float *x) {
    __m256 s0 = _mm256_mul_ps(u8_to_ps(a), _mm256_loadu_ps(x));
    __m256 s1 = _mm256_mul_ps(u8_to_ps(_mm_srli_si128(a, 8)), _mm256_loadu_ps(x + 8));
    s0 = _mm256_fmadd_ps(u8_to_ps(b), _mm256_loadu_ps(x + 16), s0);
    s1 = _mm256_fmadd_ps(u8_to_ps(_mm_srli_si128(b, 8)), _mm256_loadu_ps(x + 24), s1);
    return _mm256_add_ps(s0, s1);
}

// Σ q·x of 16 weights from one vector of 16 signed bytes.
CQ_AVX2 static inline __m256 dot16_i8(__m128i q, const float *x) {
    __m256 s = _mm256_mul_ps(i8_to_ps(q), _mm256_loadu_ps(x));
    return _mm256_fmadd_ps(i8_to_ps(_mm_srli_si128(q, 8)), _mm256_loadu_ps(x + 8), s);
}

// The eight scales and eight mins of a Q4_K super-block (ggml's get_scale_min_k4 for j = 0 … 7,
// done on 32-bit words as llama.cpp's x86 kernels do): scales in bytes 0–7, mins in bytes 8–15.
static inline void unpack_q4_K_scales(const uint8_t *q, uint32_t out[4]) {
    const uint32_t kmask1 = 0x3f3f3f3f, kmask2 = 0x0f0f0f0f, kmask3 = 0x03030303;
    uint32_t u[3];
    memcpy(u, q, 12);
    out[0] = u[0] & kmask1;
    out[1] = (u[2] & kmask2) | (((u[0] >> 6) & kmask3) << 4);
    out[2] = u[1] & kmask1;
    out[3] = ((u[2] >> 4) & kmask2) | (((u[1] >> 6) & kmask3) << 4);
}

CQ_AVX2 static float dot_q4_K_avx2(const uint8_t *b, const float *x, const float *sums, size_t columns) {
    const __m128i mask = _mm_set1_epi8(0x0F);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), accm = _mm256_setzero_ps();
    for (size_t i = 0; i < columns / 256; i++, b += 144, x += 256, sums += 8) {
        uint32_t packed[4];
        unpack_q4_K_scales(b + 4, packed);
        __m128i sm = _mm_loadu_si128((const __m128i *)packed);
        __m256 scales = _mm256_mul_ps(_mm256_set1_ps(_cvtsh_ss(cq_load_u16(b))), u8_to_ps(sm));
        __m256 mins = _mm256_mul_ps(_mm256_set1_ps(_cvtsh_ss(cq_load_u16(b + 2))), u8_to_ps(_mm_srli_si128(sm, 8)));
        // The eight sub-blocks' dmin·m·Σ x in one FMA.
        accm = _mm256_fmadd_ps(mins, _mm256_loadu_ps(sums), accm);
        float d[8];
        _mm256_storeu_ps(d, scales);
        const uint8_t *qs = b + 16;
        for (int c = 0; c < 4; c++, qs += 32) {
            __m128i v0 = _mm_loadu_si128((const __m128i *)qs), v1 = _mm_loadu_si128((const __m128i *)(qs + 16));
            __m128i lo0 = _mm_and_si128(v0, mask), lo1 = _mm_and_si128(v1, mask);
            __m128i hi0 = _mm_and_si128(_mm_srli_epi16(v0, 4), mask), hi1 = _mm_and_si128(_mm_srli_epi16(v1, 4), mask);
            acc0 = _mm256_fmadd_ps(_mm256_set1_ps(d[2 * c]), dot32_u8(lo0, lo1, x + 64 * c), acc0);
            acc1 = _mm256_fmadd_ps(_mm256_set1_ps(d[2 * c + 1]), dot32_u8(hi0, hi1, x + 64 * c + 32), acc1);
        }
    }
    return cq_hsum(_mm256_add_ps(acc0, acc1)) - cq_hsum(accm);
}

CQ_AVX2 static float dot_q6_K_avx2(const uint8_t *b, const float *x, const float *sums, size_t columns) {
    (void)sums;
    const __m128i low4 = _mm_set1_epi8(0x0F), top2 = _mm_set1_epi8(0x30), bias = _mm_set1_epi8(32);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (size_t i = 0; i < columns / 256; i++, b += 210, x += 256) {
        // d·sc for the 16 sub-blocks of 16 weights.
        __m128i sc = _mm_loadu_si128((const __m128i *)(b + 192));
        __m256 d = _mm256_set1_ps(_cvtsh_ss(cq_load_u16(b + 208)));
        float ds[16];
        _mm256_storeu_ps(ds, _mm256_mul_ps(d, i8_to_ps(sc)));
        _mm256_storeu_ps(ds + 8, _mm256_mul_ps(d, i8_to_ps(_mm_srli_si128(sc, 8))));
        for (int n = 0; n < 2; n++) {
            const uint8_t *ql = b + 64 * n, *qh = b + 128 + 32 * n;
            const float *xn = x + 128 * n, *dn = ds + 8 * n;
            for (int h = 0; h < 2; h++) {
                __m128i lo = _mm_loadu_si128((const __m128i *)(ql + 16 * h));
                __m128i hi = _mm_loadu_si128((const __m128i *)(ql + 32 + 16 * h));
                __m128i top = _mm_loadu_si128((const __m128i *)(qh + 16 * h));
                // Shifts are of 16-bit lanes; the masks keep only each byte's own bits.
                __m128i q1 = _mm_or_si128(_mm_and_si128(lo, low4), _mm_and_si128(_mm_slli_epi16(top, 4), top2));
                __m128i q2 = _mm_or_si128(_mm_and_si128(hi, low4), _mm_and_si128(_mm_slli_epi16(top, 2), top2));
                __m128i q3 = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(lo, 4), low4), _mm_and_si128(top, top2));
                __m128i q4 = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(hi, 4), low4), _mm_and_si128(_mm_srli_epi16(top, 2), top2));
                const float *xh = xn + 16 * h;
                acc0 = _mm256_fmadd_ps(_mm256_set1_ps(dn[h]), dot16_i8(_mm_sub_epi8(q1, bias), xh), acc0);
                acc1 = _mm256_fmadd_ps(_mm256_set1_ps(dn[h + 2]), dot16_i8(_mm_sub_epi8(q2, bias), xh + 32), acc1);
                acc0 = _mm256_fmadd_ps(_mm256_set1_ps(dn[h + 4]), dot16_i8(_mm_sub_epi8(q3, bias), xh + 64), acc0);
                acc1 = _mm256_fmadd_ps(_mm256_set1_ps(dn[h + 6]), dot16_i8(_mm_sub_epi8(q4, bias), xh + 96), acc1);
            }
        }
    }
    return cq_hsum(_mm256_add_ps(acc0, acc1));
}

// F16 and BF16: eight elements widened per step, four accumulators so FMA latency is hidden.
#define CQ_HALF_DOT_AVX2(name, widen, scalar)                                                       \
    CQ_AVX2 static float name(const uint8_t *b, const float *x, const float *sums, size_t columns) { \
        (void)sums;                                                                                 \
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();                                  \
        __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();                                  \
        size_t i = 0;                                                                               \
        for (; i + 32 <= columns; i += 32) {                                                        \
            a0 = _mm256_fmadd_ps(widen(b + 2 * i), _mm256_loadu_ps(x + i), a0);                     \
            a1 = _mm256_fmadd_ps(widen(b + 2 * i + 16), _mm256_loadu_ps(x + i + 8), a1);            \
            a2 = _mm256_fmadd_ps(widen(b + 2 * i + 32), _mm256_loadu_ps(x + i + 16), a2);           \
            a3 = _mm256_fmadd_ps(widen(b + 2 * i + 48), _mm256_loadu_ps(x + i + 24), a3);           \
        }                                                                                           \
        for (; i + 8 <= columns; i += 8) a0 = _mm256_fmadd_ps(widen(b + 2 * i), _mm256_loadu_ps(x + i), a0); \
        float sum = cq_hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));             \
        for (; i < columns; i++) sum += scalar(cq_load_u16(b + 2 * i)) * x[i];                      \
        return sum;                                                                                 \
    }

CQ_AVX2 static inline __m256 widen_f16(const uint8_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}
// A bfloat16 is the high half of a binary32: widening is a shift into the high 16 bits.
CQ_AVX2 static inline __m256 widen_bf16(const uint8_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}

CQ_HALF_DOT_AVX2(dot_f16_avx2, widen_f16, cq_half_to_float)
CQ_HALF_DOT_AVX2(dot_bf16_avx2, widen_bf16, cq_bfloat_to_float)

CQ_AVX2 static void sums_of_32_avx2(const float *x, size_t columns, float *sums) {
    for (size_t j = 0; j < columns / 32; j++, x += 32) {
        __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(x), _mm256_loadu_ps(x + 8)),
                                 _mm256_add_ps(_mm256_loadu_ps(x + 16), _mm256_loadu_ps(x + 24)));
        sums[j] = cq_hsum(s);
    }
}
#endif

// MARK: Dispatch

void cq_kquant_matmul_rows(int type, const void *weights, size_t row_stride, const int32_t *row_map,
                           const float *x, size_t inputs, size_t columns,
                           float *y, size_t y_stride, size_t r0, size_t r1) {
    row_dot dot = NULL;
    void (*sums_of_32)(const float *, size_t, float *) = sums_of_32_portable;
#ifdef CQ_HAVE_X86
    if (cq_cpu_has_avx2_fma()) {
        sums_of_32 = sums_of_32_avx2;
        switch (type) {
        case CQ_GGUF_Q4_K: dot = dot_q4_K_avx2; break;
        case CQ_GGUF_Q6_K: dot = dot_q6_K_avx2; break;
        case CQ_GGUF_F16: dot = dot_f16_avx2; break;
        case CQ_GGUF_BF16: dot = dot_bf16_avx2; break;
        default: return;
        }
    }
#endif
    if (!dot) {
        switch (type) {
        case CQ_GGUF_Q4_K: dot = dot_q4_K_portable; break;
        case CQ_GGUF_Q6_K: dot = dot_q6_K_portable; break;
        case CQ_GGUF_F16: dot = dot_f16_portable; break;
        case CQ_GGUF_BF16: dot = dot_bf16_portable; break;
        default: return;
        }
    }
    // Only Q4_K reads the Σ x of every 32 inputs. They live on the stack (16 KB: a decode call's few
    // input rows of any real model's width), so a call allocates nothing; inputs that do not fit are
    // taken in groups, each group still reading every weight row once for all its inputs.
    enum { sum_capacity = 4096 };
    float stack_sums[sum_capacity];
    float *sums = stack_sums, *heap = NULL;
    size_t per_input = type == CQ_GGUF_Q4_K ? columns / 32 : 0;
    size_t group = per_input ? sum_capacity / per_input : inputs;
    if (group == 0) {  // a row of over 131072 elements: one input's sums on the heap
        heap = (float *)malloc(per_input * sizeof(float));
        if (!heap) abort();
        sums = heap;
        group = 1;
    }
    const uint8_t *base = (const uint8_t *)weights;
    for (size_t n0 = 0; n0 < inputs; n0 += group) {
        size_t n1 = n0 + group < inputs ? n0 + group : inputs;
        for (size_t n = n0; per_input && n < n1; n++) sums_of_32(x + n * columns, columns, sums + (n - n0) * per_input);
        for (size_t r = r0; r < r1; r++) {
            size_t source = row_map ? (size_t)row_map[r] : r;
            const uint8_t *row = base + source * row_stride;
            for (size_t n = n0; n < n1; n++) {
                y[n * y_stride + r] = dot(row, x + n * columns, sums + (n - n0) * per_input, columns);
            }
        }
    }
    free(heap);
}
