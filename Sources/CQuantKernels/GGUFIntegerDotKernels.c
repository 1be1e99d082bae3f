// Integer dot products of GGUF Q4_0, Q4_1 and Q8_0 weight rows with an activation row quantised
// to 8 bits, as llama.cpp's ggml-cpu does for decoding.
//
// Why: the float kernels of GGUFBlockKernels.c unpack every nibble to a float and spend a
// conversion and an FMA lane per weight, so decode runs far below memory bandwidth (compute
// bound). Quantising x once per call to blocks of 32 int8 + a float scale lets the AVX2 kernel
// multiply 32 weight bytes by 32 activation bytes in one vpmaddubsw + vpmaddwd (int32 sums of
// pairs of products, exact), with one float conversion and FMA per 8 products rather than one per
// product. The price is x's rounding to 8 bits per block (relative error ≤ 1/254 of the block's
// largest |x|), which llama.cpp accepts for the same kernels.
//
// Activation block (CQ_Q8_BLOCK_BYTES = 40, 4-byte aligned): binary32 d, binary32 s = d·Σq,
// int8 q[32]. s serves Q4_1, whose w = d_w·q_w + m_w makes Σ w·x = d_w·d_x·Σ q_w·q_x + m_w·s_x.
//
// vpmaddubsw multiplies an unsigned byte by a signed byte. Q4_0's and Q4_1's nibbles (0..15) are
// unsigned as stored; Q4_0's − 8 is taken out of the integer sum as −8·d_w·s_x (so Q4_0 costs what
// Q4_1 does). For Q8_0's signed weights the sign is moved onto x: w·x = |w|·(sign(w)·x), vpsignb
// giving both |w| and sign(w)·x. |w| ≤ 128 (a −128 weight reads as unsigned 128) and |x_q| ≤ 127,
// so a pair of products is at most 32512: the saturating int16 sums of vpmaddubsw never
// saturate, and every block's integer sum is exact.

#include "GGUFIntegerDotKernels.h"
#include "GGUFBlockKernels.h"
#include "CPUFeatures.h"
#include "HalfFloat.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CQ_HAVE_X86 1
#endif

// The fields of one activation block.
static inline float xblock_d(const uint8_t *xb) { float v; memcpy(&v, xb, 4); return v; }
static inline float xblock_s(const uint8_t *xb) { float v; memcpy(&v, xb + 4, 4); return v; }
static inline const int8_t *xblock_q(const uint8_t *xb) { return (const int8_t *)(xb + 8); }

size_t cq_q8_row_bytes(size_t columns) { return columns / 32 * CQ_Q8_BLOCK_BYTES; }

// MARK: Portable

// The block scale from the block's largest magnitude. A scale below FLT_MIN (all-zero or tiny
// blocks) becomes 0 with all codes 0: 1/d would overflow and 0·∞ would make NaN codes.
static inline float block_scale(float amax) {
    float d = amax / 127.0f;
    return d < FLT_MIN ? 0.0f : d;
}

// A block holding NaN or ±∞: d = s = NaN and codes 0, so that every dot product with it is NaN, as
// the float kernels' would be (the codes alone could not carry it).
static void nonfinite_block(uint8_t *xb) {
    float nan = NAN;
    memcpy(xb, &nan, 4);
    memcpy(xb + 4, &nan, 4);
    memset(xb + 8, 0, 32);
}

void cq_q8_quantize_row_portable(const float *x, size_t columns, void *out) {
    uint8_t *xb = (uint8_t *)out;
    for (size_t i = 0; i < columns / 32; i++, x += 32, xb += CQ_Q8_BLOCK_BYTES) {
        float amax = 0;
        int finite = 1;
        for (int j = 0; j < 32; j++) {
            amax = fmaxf(amax, fabsf(x[j]));
            finite &= fabsf(x[j]) <= FLT_MAX;  // false for NaN and ±∞
        }
        if (!finite) { nonfinite_block(xb); continue; }
        float d = block_scale(amax);
        float id = d == 0 ? 0.0f : 1.0f / d;
        int8_t *q = (int8_t *)(xb + 8);
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            // nearbyintf rounds in the current mode: ties to even by default, as _mm256_round_ps
            // with _MM_FROUND_TO_NEAREST_INT.
            float v = nearbyintf(x[j] * id);
            v = v < -127.0f ? -127.0f : (v > 127.0f ? 127.0f : v);
            q[j] = (int8_t)(int)v;
            sum += q[j];
        }
        float s = d * (float)sum;
        memcpy(xb, &d, 4);
        memcpy(xb + 4, &s, 4);
    }
}

static float dot_q8_0_q8_portable(const uint8_t *b, const uint8_t *xb, size_t blocks) {
    float sum = 0;
    for (size_t i = 0; i < blocks; i++, b += 34, xb += CQ_Q8_BLOCK_BYTES) {
        const int8_t *w = (const int8_t *)(b + 2), *q = xblock_q(xb);
        int32_t s = 0;
        for (int j = 0; j < 32; j++) s += (int32_t)w[j] * q[j];
        sum += cq_half_to_float(cq_load_u16(b)) * xblock_d(xb) * (float)s;
    }
    return sum;
}

static float dot_q4_0_q8_portable(const uint8_t *b, const uint8_t *xb, size_t blocks) {
    float sum = 0;
    for (size_t i = 0; i < blocks; i++, b += 18, xb += CQ_Q8_BLOCK_BYTES) {
        const uint8_t *qs = b + 2;
        const int8_t *q = xblock_q(xb);
        int32_t s = 0;
        for (int j = 0; j < 16; j++) {
            s += ((int32_t)(qs[j] & 0x0F) - 8) * q[j];
            s += ((int32_t)(qs[j] >> 4) - 8) * q[j + 16];
        }
        sum += cq_half_to_float(cq_load_u16(b)) * xblock_d(xb) * (float)s;
    }
    return sum;
}

static float dot_q4_1_q8_portable(const uint8_t *b, const uint8_t *xb, size_t blocks) {
    float sum = 0;
    for (size_t i = 0; i < blocks; i++, b += 20, xb += CQ_Q8_BLOCK_BYTES) {
        const uint8_t *qs = b + 4;
        const int8_t *q = xblock_q(xb);
        int32_t s = 0;
        for (int j = 0; j < 16; j++) {
            s += (int32_t)(qs[j] & 0x0F) * q[j];
            s += (int32_t)(qs[j] >> 4) * q[j + 16];
        }
        sum += cq_half_to_float(cq_load_u16(b)) * xblock_d(xb) * (float)s + cq_half_to_float(cq_load_u16(b + 2)) * xblock_s(xb);
    }
    return sum;
}

float cq_gguf_dot_q8_portable(int type, const void *row, const void *xq, size_t columns) {
    const uint8_t *b = (const uint8_t *)row, *xb = (const uint8_t *)xq;
    size_t blocks = columns / 32;
    switch (type) {
    case CQ_GGUF_Q8_0: return dot_q8_0_q8_portable(b, xb, blocks);
    case CQ_GGUF_Q4_0: return dot_q4_0_q8_portable(b, xb, blocks);
    case CQ_GGUF_Q4_1: return dot_q4_1_q8_portable(b, xb, blocks);
    default: return 0;
    }
}

// MARK: AVX2 + FMA + F16C

#ifdef CQ_HAVE_X86
#include "AVX2Sum.h"

CQ_AVX2 static void quantize_row_avx2(const float *x, size_t columns, void *out) {
    uint8_t *xb = (uint8_t *)out;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 lo = _mm256_set1_ps(-127.0f), hi = _mm256_set1_ps(127.0f);
    // vpackssdw/vpacksswb pack within 128-bit lanes; this restores element order afterwards.
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (size_t i = 0; i < columns / 32; i++, x += 32, xb += CQ_Q8_BLOCK_BYTES) {
        __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8);
        __m256 v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
        __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v0), _mm256_andnot_ps(sign, v1)),
                                 _mm256_max_ps(_mm256_andnot_ps(sign, v2), _mm256_andnot_ps(sign, v3)));
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        // vmaxps may drop a NaN, so non-finite values are looked for separately: |v| > FLT_MAX is
        // ∞, and the unordered compare is true for NaN.
        const __m256 big = _mm256_set1_ps(FLT_MAX);
#define CQ_BAD(v) _mm256_cmp_ps(_mm256_andnot_ps(sign, v), big, _CMP_NLE_UQ)
        __m256 bad = _mm256_or_ps(_mm256_or_ps(CQ_BAD(v0), CQ_BAD(v1)), _mm256_or_ps(CQ_BAD(v2), CQ_BAD(v3)));
#undef CQ_BAD
        if (_mm256_movemask_ps(bad)) { nonfinite_block(xb); continue; }
        float d = block_scale(_mm_cvtss_f32(m4));
        float id = d == 0 ? 0.0f : 1.0f / d;
        const __m256 mul = _mm256_set1_ps(id);
#define CQ_CODE(v) _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps( \
        _mm256_round_ps(_mm256_mul_ps(v, mul), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), lo), hi))
        __m256i i0 = CQ_CODE(v0), i1 = CQ_CODE(v1), i2 = CQ_CODE(v2), i3 = CQ_CODE(v3);
#undef CQ_CODE
        __m256i total = _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3));
        __m128i t = _mm_add_epi32(_mm256_castsi256_si128(total), _mm256_extracti128_si256(total, 1));
        t = _mm_add_epi32(t, _mm_shuffle_epi32(t, _MM_SHUFFLE(1, 0, 3, 2)));
        t = _mm_add_epi32(t, _mm_shuffle_epi32(t, _MM_SHUFFLE(2, 3, 0, 1)));
        int sum = _mm_cvtsi128_si32(t);
        __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
        _mm256_storeu_si256((__m256i *)(xb + 8), _mm256_permutevar8x32_epi32(packed, order));
        float s = d * (float)sum;
        memcpy(xb, &d, 4);
        memcpy(xb + 4, &s, 4);
    }
}

// The 32 nibbles of a 16-byte block as bytes: low nibbles are elements 0–15, high 16–31.
CQ_AVX2 static inline __m256i nibbles32(const uint8_t *qs) {
    __m128i v = _mm_loadu_si128((const __m128i *)qs);
    __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(v), _mm_srli_epi16(v, 4), 1);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

// Eight int32 sums of products of four bytes each: unsigned u times signed s.
CQ_AVX2 static inline __m256i dot_u8_i8(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// The same for signed w times signed x: |w| times x with w's sign.
CQ_AVX2 static inline __m256i dot_i8_i8(__m256i w, __m256i x) {
    return dot_u8_i8(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
}

CQ_AVX2 static inline __m256i load_xq(const uint8_t *xb) { return _mm256_loadu_si256((const __m256i *)(xb + 8)); }

// The scales of one block as the low lanes of a vector: [d_w·d_x, a·s_x], a = m_w for Q4_1 and d_w
// otherwise. One binary16 conversion and one multiply give both: the weight's scales are adjacent,
// and so are the activation's d and s.
CQ_AVX2 static inline __m128 block_scales(uint32_t halves, const uint8_t *xb) {
    __m128 w = _mm_cvtph_ps(_mm_cvtsi32_si128((int)halves));
    return _mm_mul_ps(w, _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)xb)));
}

// acc + d_w·d_x·(eight partial integer sums of one block).
CQ_AVX2 static inline __m256 scaled(__m128 scales, __m256i sums, __m256 acc) {
    return _mm256_fmadd_ps(_mm256_broadcastss_ps(scales), _mm256_cvtepi32_ps(sums), acc);
}

CQ_AVX2 static inline __m256 q8_0_block(const uint8_t *b, const uint8_t *xb, __m256 acc, __m128 *extra) {
    (void)extra;
    __m128 scales = _mm_mul_ss(_mm_cvtph_ps(_mm_cvtsi32_si128(cq_load_u16(b))), _mm_load_ss((const float *)xb));
    return scaled(scales, dot_i8_i8(_mm256_loadu_si256((const __m256i *)(b + 2)), load_xq(xb)), acc);
}

// Q4_0 as unsigned nibbles q (no sign trick needed): Σ (q − 8)·q_x·d_w·d_x = d_w·d_x·Σ q·q_x − 8·d_w·s_x,
// the second term gathered in extra's lane 1 and scaled by −8 at the end.
CQ_AVX2 static inline __m256 q4_0_block(const uint8_t *b, const uint8_t *xb, __m256 acc, __m128 *extra) {
    __m128 scales = block_scales(cq_load_u16(b) * 0x10001u, xb);
    *extra = _mm_add_ps(*extra, scales);
    return scaled(scales, dot_u8_i8(nibbles32(b + 2), load_xq(xb)), acc);
}

CQ_AVX2 static inline __m256 q4_1_block(const uint8_t *b, const uint8_t *xb, __m256 acc, __m128 *extra) {
    __m128 scales = block_scales(cq_load_u16(b) | (uint32_t)cq_load_u16(b + 2) << 16, xb);
    *extra = _mm_add_ps(*extra, scales);
    return scaled(scales, dot_u8_i8(nibbles32(b + 4), load_xq(xb)), acc);
}

// Four blocks per iteration into four accumulators, so that consecutive FMAs do not wait on each
// other's latency (with two, long Q8_0 rows were bound by it). Lane 1 of extra holds Σ a·s_x,
// added with weight `offset` (Q4_1: 1, Q4_0: −8).
#define CQ_DOT_Q8_AVX2(name, block, bytes, offset)                                             \
    CQ_AVX2 static float name(const uint8_t *b, const uint8_t *xb, size_t blocks) {            \
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();                         \
        __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();                         \
        __m128 extra0 = _mm_setzero_ps(), extra1 = _mm_setzero_ps();                           \
        size_t i = 0;                                                                          \
        for (; i + 4 <= blocks; i += 4, b += 4 * (bytes), xb += 4 * CQ_Q8_BLOCK_BYTES) {       \
            acc0 = block(b, xb, acc0, &extra0);                                                \
            acc1 = block(b + (bytes), xb + CQ_Q8_BLOCK_BYTES, acc1, &extra1);                  \
            acc2 = block(b + 2 * (bytes), xb + 2 * CQ_Q8_BLOCK_BYTES, acc2, &extra0);          \
            acc3 = block(b + 3 * (bytes), xb + 3 * CQ_Q8_BLOCK_BYTES, acc3, &extra1);          \
        }                                                                                      \
        for (; i < blocks; i++, b += (bytes), xb += CQ_Q8_BLOCK_BYTES)                         \
            acc0 = block(b, xb, acc0, &extra0);                                                \
        __m128 extra = _mm_add_ps(extra0, extra1);                                             \
        __m256 acc = _mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3));      \
        return cq_hsum(acc) + (offset) * _mm_cvtss_f32(_mm_movehdup_ps(extra));                \
    }

CQ_DOT_Q8_AVX2(dot_q8_0_q8_avx2, q8_0_block, 34, 0.0f)
CQ_DOT_Q8_AVX2(dot_q4_0_q8_avx2, q4_0_block, 18, -8.0f)
CQ_DOT_Q8_AVX2(dot_q4_1_q8_avx2, q4_1_block, 20, 1.0f)

static float dot_q8_avx2(int type, const void *row, const void *xq, size_t columns) {
    const uint8_t *b = (const uint8_t *)row, *xb = (const uint8_t *)xq;
    size_t blocks = columns / 32;
    switch (type) {
    case CQ_GGUF_Q8_0: return dot_q8_0_q8_avx2(b, xb, blocks);
    case CQ_GGUF_Q4_0: return dot_q4_0_q8_avx2(b, xb, blocks);
    case CQ_GGUF_Q4_1: return dot_q4_1_q8_avx2(b, xb, blocks);
    default: return 0;
    }
}

// MARK: AVX2, four Q4 rows per pass (decode)
//
// One weight row per call loads x's codes and converts and scales every block's eight int32 sums
// per row. Four rows of one block at a time share x's loads, and their sums share the conversion
// and the FMA: two rows' 16 nibble bytes go into one vector (row a low, row b high 128 bits), their
// low and high nibbles against x's codes 0–15 and 16–31 broadcast to both halves, so one vpmaddwd
// gives four int32 sums per row (each Σ of 8 products; the int16 pair sums are ≤ 2·2·15·127, exact).
// One vphaddd of the pairs (a, b) and (c, d) leaves two half-sums per row, lanes [a a c c b b d d],
// which one conversion and one FMA scale by d_w·d_x per row. The scales come the same way: each
// row's first 4 bytes (Q4_1: d_w, m_w; Q4_0: d_w twice by a byte shuffle) into one vector in the
// same lane order, one binary16 conversion, one multiply by x's (d_x, s_x) in every lane pair:
// [d_w·d_x, a·s_x] per row, whose even lanes (duplicated) scale the sums and whose odd lanes are
// gathered for the offset term, as the one-row kernel's `extra`. The weights stay GGUF's rows.
//
// Four rows read side by side defeat the hardware prefetcher's streams: with the weights out of
// cache (as in decoding a model larger than the cache) the pass took twice the one-row kernel's
// time. Each pass therefore prefetches the rows of the pass after next, one line per row per two
// blocks (two passes ahead measured as well as three; one was not enough).

CQ_AVX2 static inline __m256i q4_rows_pair(const uint8_t *a, const uint8_t *b, __m256i xlo, __m256i xhi) {
    __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)a)),
                                        _mm_loadu_si128((const __m128i *)b), 1);
    const __m256i mask = _mm256_set1_epi8(0x0F);
    __m256i lo = _mm256_and_si256(v, mask), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), mask);
    __m256i s = _mm256_add_epi16(_mm256_maddubs_epi16(lo, xlo), _mm256_maddubs_epi16(hi, xhi));
    return _mm256_madd_epi16(s, _mm256_set1_epi16(1));
}

static inline uint32_t load_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

CQ_AVX2 static inline __attribute__((always_inline)) void
dot4_q4_q8_avx2(int q4_1, const uint8_t *ra, const uint8_t *rb, const uint8_t *rc, const uint8_t *rd,
                const uint8_t *xb, size_t blocks, float out[4], const uint8_t *const *ahead) {
    const size_t bytes = q4_1 ? 20 : 18, codes = q4_1 ? 4 : 2;
    const float offset = q4_1 ? 1.0f : -8.0f;
    const __m128i dup = _mm_setr_epi8(0, 1, 0, 1, 4, 5, 4, 5, 8, 9, 8, 9, 12, 13, 12, 13);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 extra0 = _mm256_setzero_ps(), extra1 = _mm256_setzero_ps();
#define CQ_Q4_ROWS_BLOCK(acc, extra, o, xo)                                                          \
    do {                                                                                             \
        const uint8_t *x_ = xb + (xo);                                                               \
        __m256i xlo = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(x_ + 8)));      \
        __m256i xhi = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(x_ + 24)));     \
        __m256i ab = q4_rows_pair(ra + (o) + codes, rb + (o) + codes, xlo, xhi);                     \
        __m256i cd = q4_rows_pair(rc + (o) + codes, rd + (o) + codes, xlo, xhi);                     \
        __m128i h = _mm_setr_epi32((int)load_u32(ra + (o)), (int)load_u32(rc + (o)),                  \
                                   (int)load_u32(rb + (o)), (int)load_u32(rd + (o)));                \
        if (!q4_1) h = _mm_shuffle_epi8(h, dup);                                                     \
        __m256 sc = _mm256_mul_ps(_mm256_cvtph_ps(h), _mm256_castpd_ps(_mm256_broadcast_sd((const double *)x_))); \
        extra = _mm256_add_ps(extra, sc);                                                            \
        acc = _mm256_fmadd_ps(_mm256_moveldup_ps(sc), _mm256_cvtepi32_ps(_mm256_hadd_epi32(ab, cd)), acc); \
    } while (0)
    size_t i = 0, o = 0, xo = 0;
    for (; i + 2 <= blocks; i += 2, o += 2 * bytes, xo += 2 * CQ_Q8_BLOCK_BYTES) {
        _mm_prefetch((const char *)ahead[0] + o, _MM_HINT_T0);
        _mm_prefetch((const char *)ahead[1] + o, _MM_HINT_T0);
        _mm_prefetch((const char *)ahead[2] + o, _MM_HINT_T0);
        _mm_prefetch((const char *)ahead[3] + o, _MM_HINT_T0);
        CQ_Q4_ROWS_BLOCK(acc0, extra0, o, xo);
        CQ_Q4_ROWS_BLOCK(acc1, extra1, o + bytes, xo + CQ_Q8_BLOCK_BYTES);
    }
    if (i < blocks) CQ_Q4_ROWS_BLOCK(acc0, extra0, o, xo);
#undef CQ_Q4_ROWS_BLOCK
    __m256 extra = _mm256_blend_ps(_mm256_setzero_ps(), _mm256_add_ps(extra0, extra1), 0xAA);
    __m256 t = _mm256_fmadd_ps(_mm256_set1_ps(offset), extra, _mm256_add_ps(acc0, acc1));
    t = _mm256_hadd_ps(t, t);  // [a c a c b d b d]
    __m128 lo = _mm256_castps256_ps128(t), hi = _mm256_extractf128_ps(t, 1);
    out[0] = _mm_cvtss_f32(lo);
    out[1] = _mm_cvtss_f32(hi);
    out[2] = _mm_cvtss_f32(_mm_movehdup_ps(lo));
    out[3] = _mm_cvtss_f32(_mm_movehdup_ps(hi));
}

// y[r] for r in [r0, r1) of one activation row, four rows at a time (the rest one at a time).
CQ_AVX2 static void matmul_rows_q4_q8_avx2(int type, const uint8_t *base, size_t row_stride, const int32_t *row_map,
                                           const uint8_t *xb, size_t columns, float *y, size_t r0, size_t r1) {
    size_t blocks = columns / 32;
    size_t r = r0;
    // rows[0..3]: this pass's rows; rows[4..7]: those of the pass after next (clamped to the
    // range), which the pass prefetches as it goes.
    const uint8_t *rows[8];
    for (; r + 4 <= r1; r += 4) {
        for (int k = 0; k < 8; k++) {
            size_t n = k < 4 ? r + k : r + 4 + k;
            if (n >= r1) n = r1 - 1;
            rows[k] = base + (row_map ? (size_t)row_map[n] : n) * row_stride;
        }
        if (type == CQ_GGUF_Q4_1) dot4_q4_q8_avx2(1, rows[0], rows[1], rows[2], rows[3], xb, blocks, y + r, rows + 4);
        else dot4_q4_q8_avx2(0, rows[0], rows[1], rows[2], rows[3], xb, blocks, y + r, rows + 4);
    }
    for (; r < r1; r++) {
        const uint8_t *row = base + (row_map ? (size_t)row_map[r] : r) * row_stride;
        y[r] = type == CQ_GGUF_Q4_1 ? dot_q4_1_q8_avx2(row, xb, blocks) : dot_q4_0_q8_avx2(row, xb, blocks);
    }
}
#endif

// MARK: Dispatch

typedef float (*dot_q8_fn)(int, const void *, const void *, size_t);

static dot_q8_fn chosen_dot(void) {
#ifdef CQ_HAVE_X86
    if (cq_cpu_has_avx2_fma()) return dot_q8_avx2;
#endif
    return cq_gguf_dot_q8_portable;
}

void cq_q8_quantize_row(const float *x, size_t columns, void *out) {
#ifdef CQ_HAVE_X86
    if (cq_cpu_has_avx2_fma()) { quantize_row_avx2(x, columns, out); return; }
#endif
    cq_q8_quantize_row_portable(x, columns, out);
}

float cq_gguf_dot_q8(int type, const void *row, const void *xq, size_t columns) {
    return chosen_dot()(type, row, xq, columns);
}

void cq_gguf_matmul_rows_q8(int type, const void *weights, size_t row_stride, const int32_t *row_map,
                            const void *xq, size_t inputs, size_t columns,
                            float *y, size_t y_stride, size_t r0, size_t r1) {
    dot_q8_fn dot = chosen_dot();  // once per call, not per row
    const uint8_t *base = (const uint8_t *)weights, *xs = (const uint8_t *)xq;
#ifdef CQ_HAVE_X86
    if (inputs == 1 && dot == dot_q8_avx2 && (type == CQ_GGUF_Q4_0 || type == CQ_GGUF_Q4_1)) {
        matmul_rows_q4_q8_avx2(type, base, row_stride, row_map, xs, columns, y, r0, r1);
        return;
    }
#endif
    size_t x_bytes = cq_q8_row_bytes(columns);
    for (size_t r = r0; r < r1; r++) {
        size_t source = row_map ? (size_t)row_map[r] : r;
        const uint8_t *row = base + source * row_stride;
        for (size_t n = 0; n < inputs; n++) {
            y[n * y_stride + r] = dot(type, row, xs + n * x_bytes, columns);
        }
    }
}

// MARK: Path selection

// −1 until first read: then the environment's choice. Relaxed atomics: a racing first read by two
// threads computes the same value.
static int integer_decode = -1;

int cq_gguf_integer_decode(void) {
    int value = __atomic_load_n(&integer_decode, __ATOMIC_RELAXED);
    if (value < 0) {
        const char *env = getenv("MINICPM_GGUF_FLOAT_DECODE");
        value = (env && env[0] && strcmp(env, "0") != 0) ? 0 : 1;
        __atomic_store_n(&integer_decode, value, __ATOMIC_RELAXED);
    }
    return value;
}

void cq_gguf_set_integer_decode(int enabled) {
    __atomic_store_n(&integer_decode, enabled < 0 ? -1 : (enabled ? 1 : 0), __ATOMIC_RELAXED);
}
