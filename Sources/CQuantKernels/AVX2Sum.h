// The AVX2 attribute of the kernels and the horizontal sum they all end with (private to the
// target: not under include/). Include inside an `#if` that has included <immintrin.h> on x86.
#ifndef CQUANTKERNELS_AVX2_SUM_H
#define CQUANTKERNELS_AVX2_SUM_H

#define CQ_AVX2 __attribute__((target("avx2,fma,f16c")))

// The sum of a vector's eight floats.
CQ_AVX2 static inline float cq_hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

#endif
