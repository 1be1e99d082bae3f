#include "Int4Kernels.h"
#include "CPUFeatures.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CQ_HAVE_X86 1
#endif

// Where input i sits in the reordered row: its 16-block, then the even inputs, then the odd ones.
static inline int64_t reordered_position(int64_t i) {
    return (i & ~(int64_t)15) + ((i & 1) << 3) + ((i & 15) >> 1);
}

void cq_int4_prepare_input(const float *x, int64_t in, int64_t group, float *sums, float *xp) {
    for (int64_t g = 0; g < in / group; g++) {
        float s = 0;
        for (int64_t i = 0; i < group; i++) s += x[g * group + i];
        sums[g] = s;
    }
    for (int64_t i = 0; i < in; i++) xp[reordered_position(i)] = x[i];
}

// Any group size that divides `in` (the hand-made G = 8 fixtures included): inputs are found in
// the reordered row by position. The integer codes are exact in float, and the zero point enters
// once per group through the precomputed sum of x.
static void int4_matvec_portable(const uint8_t *codes, const float *scales, const float *scaled_zeros,
                                 const float *xp, const float *sums, int64_t in, int64_t group,
                                 int64_t row_begin, int64_t row_end, float *y) {
    const int64_t groups = in / group;
    for (int64_t r = row_begin; r < row_end; r++) {
        const uint8_t *row = codes + r * (in / 2);
        float acc = 0, offset = 0;
        for (int64_t g = 0; g < groups; g++) {
            float dot = 0;
            if (group % 16 == 0) {   // whole blocks: byte k of a block pairs xp[k] with xp[8 + k]
                for (int64_t b = g * group; b < (g + 1) * group; b += 16) {
                    for (int64_t k = 0; k < 8; k++) {
                        uint8_t byte = row[b / 2 + k];
                        dot += xp[b + k] * (float)(byte & 0x0F) + xp[b + 8 + k] * (float)(byte >> 4);
                    }
                }
            } else {
                for (int64_t i = g * group; i < (g + 1) * group; i += 2) {
                    uint8_t byte = row[i / 2];
                    dot += xp[reordered_position(i)] * (float)(byte & 0x0F) + xp[reordered_position(i + 1)] * (float)(byte >> 4);
                }
            }
            acc += scales[r * groups + g] * dot;
            offset += scaled_zeros[r * groups + g] * sums[g];
        }
        y[r] = acc - offset;
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

// 8 bytes = 16 inputs per step: one byte-to-int widening, then the low nibbles (even inputs) by a
// mask and the high nibbles (odd inputs) by a shift in 32-bit lanes, so only one shuffle-port
// instruction per 16 inputs; x was reordered to match by cq_int4_prepare_input.
__attribute__((target("avx2,fma,f16c")))
static void int4_matvec_avx2(const uint8_t *codes, const float *scales, const float *scaled_zeros,
                             const float *xp, const float *sums, int64_t in, int64_t group,
                             int64_t row_begin, int64_t row_end, float *y) {
    const int64_t groups = in / group;
    const __m256i mask = _mm256_set1_epi32(0x0F);
    for (int64_t r = row_begin; r < row_end; r++) {
        const uint8_t *row = codes + r * (in / 2);
        __m256 acc = _mm256_setzero_ps();
        float offset = 0;   // sum over groups of scale * zero * sum(x_g), subtracted once per row
        for (int64_t g = 0; g < groups; g++) {
            // Four independent accumulators, so the FMAs are not bound by their latency.
            __m256 d0 = _mm256_setzero_ps(), d1 = _mm256_setzero_ps(), d2 = _mm256_setzero_ps(), d3 = _mm256_setzero_ps();
            const int64_t end = (g + 1) * group;
            int64_t b = g * group;
            for (; b + 32 <= end; b += 32) {
                __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(row + b / 2)));
                __m256i w = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(row + b / 2 + 8)));
                d0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_and_si256(v, mask)), _mm256_loadu_ps(xp + b), d0);
                d1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(v, 4)), _mm256_loadu_ps(xp + b + 8), d1);
                d2 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_and_si256(w, mask)), _mm256_loadu_ps(xp + b + 16), d2);
                d3 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(w, 4)), _mm256_loadu_ps(xp + b + 24), d3);
            }
            if (b < end) {   // a group of 16 or 48 inputs ends with half a step
                __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(row + b / 2)));
                d0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_and_si256(v, mask)), _mm256_loadu_ps(xp + b), d0);
                d1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(v, 4)), _mm256_loadu_ps(xp + b + 8), d1);
            }
            __m256 dot = _mm256_add_ps(_mm256_add_ps(d0, d1), _mm256_add_ps(d2, d3));
            // The scale multiplies the group's lanes before they meet other groups' (scales differ).
            acc = _mm256_fmadd_ps(_mm256_set1_ps(scales[r * groups + g]), dot, acc);
            offset += scaled_zeros[r * groups + g] * sums[g];
        }
        y[r] = hsum256(acc) - offset;
    }
}
#endif

void cq_int4_matvec(const uint8_t *codes, const float *scales, const float *scaled_zeros,
                    const float *xp, const float *sums, int64_t in, int64_t group,
                    int64_t row_begin, int64_t row_end, float *y) {
#ifdef CQ_HAVE_X86
    if (group % 16 == 0 && cq_cpu_has_avx2_fma()) {
        int4_matvec_avx2(codes, scales, scaled_zeros, xp, sums, in, group, row_begin, row_end, y);
        return;
    }
#endif
    int4_matvec_portable(codes, scales, scaled_zeros, xp, sums, in, group, row_begin, row_end, y);
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
