#include "CHalfKernels.h"
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

static int forced_portable = 0;

int chk_cpu_has_f16c(void) {
#if defined(__x86_64__) || defined(__i386__)
    if (forced_portable) return 0;
    // A benign race: every thread computes the same value.
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c");
    }
    return cached;
#else
    return 0;
#endif
}

void chk_force_portable(int portable) { forced_portable = portable; }

static inline float half_to_float(uint16_t h) { return chk_half_bits_to_float(h); }

void chk_half_to_float_portable(const uint16_t *source, float *destination, size_t count) {
    for (size_t i = 0; i < count; i++) destination[i] = half_to_float(source[i]);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx,f16c")))
static void half_to_float_f16c(const uint16_t *source, float *destination, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m128i h = _mm_loadu_si128((const __m128i *)(source + i));
        _mm256_storeu_ps(destination + i, _mm256_cvtph_ps(h));
    }
    for (; i < count; i++) destination[i] = half_to_float(source[i]);
}
#endif

void chk_half_to_float(const uint16_t *source, float *destination, size_t count) {
#if defined(__x86_64__) || defined(__i386__)
    if (chk_cpu_has_f16c()) {
        half_to_float_f16c(source, destination, count);
        return;
    }
#endif
    chk_half_to_float_portable(source, destination, count);
}

// MARK: Fused kernels of the half-precision decoding step

int chk_cpu_supports_avx2_fma_f16c(void) {
#if defined(__x86_64__) || defined(__i386__)
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    }
    return cached;
#else
    return 0;
#endif
}

int chk_cpu_has_avx2_fma_f16c(void) { return !forced_portable && chk_cpu_supports_avx2_fma_f16c(); }

void chk_half_scores_portable(const float *q, const uint16_t *k, size_t rows, size_t row_stride, size_t heads,
                              size_t group, size_t d, float scale, float *scores, size_t score_stride) {
    for (size_t h = 0; h < heads; h++) {
        const float *qh = q + h * d;
        for (size_t j = 0; j < rows; j++) {
            const uint16_t *kr = k + j * row_stride + (h / group) * d;
            float s = 0;
            for (size_t c = 0; c < d; c++) s += qh[c] * half_to_float(kr[c]);
            scores[h * score_stride + j] = scale * s;
        }
    }
}

void chk_half_accumulate_portable(const float *p, size_t p_stride, const uint16_t *v, size_t rows, size_t row_stride,
                                  size_t heads, size_t group, size_t d, float *out, size_t out_stride) {
    for (size_t h = 0; h < heads; h++) {
        float *o = out + h * out_stride;
        const float *ph = p + h * p_stride;
        for (size_t j = 0; j < rows; j++) {
            const uint16_t *vr = v + j * row_stride + (h / group) * d;
            float w = ph[j];
            for (size_t c = 0; c < d; c++) o[c] += w * half_to_float(vr[c]);
        }
    }
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma,f16c")))
static inline float horizontal_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// Asks for a tile's rows, in address order, before the head-by-head loops read them at a stride
/// (a head's slice of every row): from memory, the strided first touches left the loops waiting
/// (a 16 K half cache of MiniCPM-1.2B's shape decoded no faster than a float one), while a
/// sequential sweep keeps many lines in flight and wakes the hardware's stream prefetcher.
__attribute__((target("avx2,fma,f16c")))
static inline void prefetch_rows(const uint16_t *first, size_t rows, size_t row_stride) {
    const char *bytes = (const char *)first;
    size_t length = rows * row_stride * sizeof(uint16_t);
    for (size_t offset = 0; offset < length; offset += 64) _mm_prefetch(bytes + offset, _MM_HINT_T0);
}

__attribute__((target("avx2,fma,f16c")))
static void half_scores_avx2(const float *q, const uint16_t *k, size_t rows, size_t row_stride, size_t heads,
                             size_t group, size_t d, float scale, float *scores, size_t score_stride) {
    prefetch_rows(k, rows, row_stride);
    // Head by head over the tile (its rows stay in L1), eight rows at a time: eight independent
    // accumulators hide the FMA latency, and one hadd tree reduces all eight at once instead of a
    // horizontal sum per row, which cost as much as the products at d = 64.
    for (size_t h = 0; h < heads; h++) {
        const float *qh = q + h * d;
        const uint16_t *kh = k + (h / group) * d;
        float *sh = scores + h * score_stride;
        size_t j = 0;
        if (d % 8 == 0) {
            for (; j + 8 <= rows; j += 8) {
                __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
                __m256 a4 = _mm256_setzero_ps(), a5 = _mm256_setzero_ps(), a6 = _mm256_setzero_ps(), a7 = _mm256_setzero_ps();
                const uint16_t *r = kh + j * row_stride;
                for (size_t c = 0; c < d; c += 8) {
                    __m256 qv = _mm256_loadu_ps(qh + c);
#define CHK_ROW(acc, i) acc = _mm256_fmadd_ps(qv, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(r + (i) * row_stride + c))), acc)
                    CHK_ROW(a0, 0); CHK_ROW(a1, 1); CHK_ROW(a2, 2); CHK_ROW(a3, 3);
                    CHK_ROW(a4, 4); CHK_ROW(a5, 5); CHK_ROW(a6, 6); CHK_ROW(a7, 7);
#undef CHK_ROW
                }
                // hadd(a, b) = [a0+a1, a2+a3, b0+b1, b2+b3 | a4+a5, a6+a7, b4+b5, b6+b7]: two levels
                // give rows 0-3 (and 4-7) as low-half sums in the low lane, high-half sums in the
                // high lane; adding the lanes gives the eight dot products in order.
                __m256 s0123 = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
                __m256 s4567 = _mm256_hadd_ps(_mm256_hadd_ps(a4, a5), _mm256_hadd_ps(a6, a7));
                __m256 sums = _mm256_add_ps(_mm256_permute2f128_ps(s0123, s4567, 0x20),
                                            _mm256_permute2f128_ps(s0123, s4567, 0x31));
                _mm256_storeu_ps(sh + j, _mm256_mul_ps(_mm256_set1_ps(scale), sums));
            }
        }
        for (; j < rows; j++) {
            const uint16_t *kr = kh + j * row_stride;
            __m256 a0 = _mm256_setzero_ps();
            size_t c = 0;
            for (; c + 8 <= d; c += 8) {
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(qh + c), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(kr + c))), a0);
            }
            float s = horizontal_sum(a0);
            for (; c < d; c++) s += qh[c] * half_to_float(kr[c]);
            sh[j] = scale * s;
        }
    }
}

__attribute__((target("avx2,fma,f16c")))
static void half_accumulate_avx2(const float *p, size_t p_stride, const uint16_t *v, size_t rows, size_t row_stride,
                                 size_t heads, size_t group, size_t d, float *out, size_t out_stride) {
    prefetch_rows(v, rows, row_stride);
    if (d % 64 == 0) {
        // Head by head, 64 outputs at a time held in eight registers across the tile's rows: a
        // row's update is then eight conversions and eight FMAs, where reading and writing the
        // output slice for every row and head doubled the work (with MiniCPM-1.2B's 24 heads the
        // half cache decoded slower than the float one). The tile stays in L1/L2 between heads.
        for (size_t h = 0; h < heads; h++) {
            const uint16_t *vh = v + (h / group) * d;
            const float *ph = p + h * p_stride;
            float *o = out + h * out_stride;
            for (size_t c = 0; c < d; c += 64) {
                __m256 a0 = _mm256_loadu_ps(o + c), a1 = _mm256_loadu_ps(o + c + 8);
                __m256 a2 = _mm256_loadu_ps(o + c + 16), a3 = _mm256_loadu_ps(o + c + 24);
                __m256 a4 = _mm256_loadu_ps(o + c + 32), a5 = _mm256_loadu_ps(o + c + 40);
                __m256 a6 = _mm256_loadu_ps(o + c + 48), a7 = _mm256_loadu_ps(o + c + 56);
                for (size_t j = 0; j < rows; j++) {
                    const uint16_t *r = vh + j * row_stride + c;
                    __m256 w = _mm256_set1_ps(ph[j]);
#define CHK_COLUMN(acc, i) acc = _mm256_fmadd_ps(w, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(r + 8 * (i)))), acc)
                    CHK_COLUMN(a0, 0); CHK_COLUMN(a1, 1); CHK_COLUMN(a2, 2); CHK_COLUMN(a3, 3);
                    CHK_COLUMN(a4, 4); CHK_COLUMN(a5, 5); CHK_COLUMN(a6, 6); CHK_COLUMN(a7, 7);
#undef CHK_COLUMN
                }
                _mm256_storeu_ps(o + c, a0); _mm256_storeu_ps(o + c + 8, a1);
                _mm256_storeu_ps(o + c + 16, a2); _mm256_storeu_ps(o + c + 24, a3);
                _mm256_storeu_ps(o + c + 32, a4); _mm256_storeu_ps(o + c + 40, a5);
                _mm256_storeu_ps(o + c + 48, a6); _mm256_storeu_ps(o + c + 56, a7);
            }
        }
        return;
    }
    // Row by row; each head's output slice stays in L1 across the tile.
    for (size_t j = 0; j < rows; j++) {
        const uint16_t *row = v + j * row_stride;
        for (size_t h = 0; h < heads; h++) {
            const uint16_t *vr = row + (h / group) * d;
            float *o = out + h * out_stride;
            float w = p[h * p_stride + j];
            __m256 vw = _mm256_set1_ps(w);
            size_t c = 0;
            for (; c + 8 <= d; c += 8) {
                __m256 x = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(vr + c)));
                _mm256_storeu_ps(o + c, _mm256_fmadd_ps(vw, x, _mm256_loadu_ps(o + c)));
            }
            for (; c < d; c++) o[c] += w * half_to_float(vr[c]);
        }
    }
}
#endif

void chk_half_scores(const float *q, const uint16_t *k, size_t rows, size_t row_stride, size_t heads, size_t group,
                     size_t d, float scale, float *scores, size_t score_stride) {
#if defined(__x86_64__) || defined(__i386__)
    if (chk_cpu_has_avx2_fma_f16c()) {
        half_scores_avx2(q, k, rows, row_stride, heads, group, d, scale, scores, score_stride);
        return;
    }
#endif
    chk_half_scores_portable(q, k, rows, row_stride, heads, group, d, scale, scores, score_stride);
}

void chk_half_accumulate(const float *p, size_t p_stride, const uint16_t *v, size_t rows, size_t row_stride,
                         size_t heads, size_t group, size_t d, float *out, size_t out_stride) {
#if defined(__x86_64__) || defined(__i386__)
    if (chk_cpu_has_avx2_fma_f16c()) {
        half_accumulate_avx2(p, p_stride, v, rows, row_stride, heads, group, d, out, out_stride);
        return;
    }
#endif
    chk_half_accumulate_portable(p, p_stride, v, rows, row_stride, heads, group, d, out, out_stride);
}
