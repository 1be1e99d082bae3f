#include "Int4Kernels.h"
#include "CPUFeatures.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CQ_HAVE_X86 1
#endif

void cq_group_sums(const float *x, int64_t in, int64_t group, float *sums) {
    for (int64_t g = 0; g < in / group; g++) {
        float s = 0;
        for (int64_t i = 0; i < group; i++) s += x[g * group + i];
        sums[g] = s;
    }
}

// The integer dot product of one group is exact in float (|q| <= 15, a product with x is rounded
// once per term), and the zero point enters once per group through the precomputed sum of x.
static void int4_matvec_portable(const uint8_t *codes, const float *scales, const float *scaled_zeros,
                                 const float *x, const float *sums, int64_t in, int64_t group,
                                 int64_t row_begin, int64_t row_end, float *y) {
    const int64_t groups = in / group;
    for (int64_t r = row_begin; r < row_end; r++) {
        const uint8_t *row = codes + r * (in / 2);
        float acc = 0;
        for (int64_t g = 0; g < groups; g++) {
            const uint8_t *b = row + g * group / 2;
            const float *xg = x + g * group;
            float dot = 0;
            for (int64_t k = 0; k < group / 2; k++) {
                dot += xg[2 * k] * (float)(b[k] & 0x0F) + xg[2 * k + 1] * (float)(b[k] >> 4);
            }
            acc += scales[r * groups + g] * dot - scaled_zeros[r * groups + g] * sums[g];
        }
        y[r] = acc;
    }
}

#ifdef CQ_HAVE_X86
__attribute__((target("avx2,fma,f16c")))
static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

// 16 bytes = 32 inputs per step: the low and high nibbles are split, interleaved back into input
// order with unpacklo/hi, widened to 32-bit and converted, then fused-multiply-added with x.
__attribute__((target("avx2,fma,f16c")))
static void int4_matvec_avx2(const uint8_t *codes, const float *scales, const float *scaled_zeros,
                             const float *x, const float *sums, int64_t in, int64_t group,
                             int64_t row_begin, int64_t row_end, float *y) {
    const int64_t groups = in / group;
    const __m128i mask = _mm_set1_epi8(0x0F);
    for (int64_t r = row_begin; r < row_end; r++) {
        const uint8_t *row = codes + r * (in / 2);
        __m256 acc = _mm256_setzero_ps();
        for (int64_t g = 0; g < groups; g++) {
            __m256 d0 = _mm256_setzero_ps(), d1 = _mm256_setzero_ps();
            for (int64_t i = g * group; i < (g + 1) * group; i += 32) {
                __m128i bytes = _mm_loadu_si128((const __m128i *)(row + i / 2));
                __m128i lo = _mm_and_si128(bytes, mask);
                __m128i hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), mask);
                __m128i a = _mm_unpacklo_epi8(lo, hi);   // inputs i .. i+15
                __m128i b = _mm_unpackhi_epi8(lo, hi);   // inputs i+16 .. i+31
                __m256 q0 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(a));
                __m256 q1 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(a, 8)));
                __m256 q2 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b));
                __m256 q3 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(b, 8)));
                d0 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(x + i), d0);
                d1 = _mm256_fmadd_ps(q1, _mm256_loadu_ps(x + i + 8), d1);
                d0 = _mm256_fmadd_ps(q2, _mm256_loadu_ps(x + i + 16), d0);
                d1 = _mm256_fmadd_ps(q3, _mm256_loadu_ps(x + i + 24), d1);
            }
            // acc += scale * dot - scaled_zero * sum, kept in lanes until the row ends.
            __m256 dot = _mm256_add_ps(d0, d1);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(scales[r * groups + g]), dot, acc);
            acc = _mm256_sub_ps(acc, _mm256_set_ps(0, 0, 0, 0, 0, 0, 0, scaled_zeros[r * groups + g] * sums[g]));
        }
        y[r] = hsum256(acc);
    }
}
#endif

void cq_int4_matvec(const uint8_t *codes, const float *scales, const float *scaled_zeros,
                    const float *x, const float *sums, int64_t in, int64_t group,
                    int64_t row_begin, int64_t row_end, float *y) {
#ifdef CQ_HAVE_X86
    if (group % 32 == 0 && cq_cpu_has_avx2_fma()) {
        int4_matvec_avx2(codes, scales, scaled_zeros, x, sums, in, group, row_begin, row_end, y);
        return;
    }
#endif
    int4_matvec_portable(codes, scales, scaled_zeros, x, sums, in, group, row_begin, row_end, y);
}

void cq_int4_dequantize_rows(const uint8_t *codes, const float *scales, const float *scaled_zeros,
                             int64_t in, int64_t group, int64_t row_begin, int64_t row_end, float *out) {
    const int64_t groups = in / group;
    for (int64_t r = row_begin; r < row_end; r++) {
        const uint8_t *row = codes + r * (in / 2);
        float *o = out + (r - row_begin) * in;
        for (int64_t i = 0; i < in; i++) {
            int64_t g = i / group;
            float q = (float)((row[i / 2] >> (4 * (i & 1))) & 0x0F);
            o[i] = scales[r * groups + g] * q - scaled_zeros[r * groups + g];
        }
    }
}
