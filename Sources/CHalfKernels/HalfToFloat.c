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

// binary16 → binary32 bit patterns, exactly (subnormals normalised, infinities and NaN payloads kept;
// a NaN stays a NaN of the same sign; the values only feed arithmetic).
static inline float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1F;
    uint32_t mantissa = h & 0x3FF;
    uint32_t bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else {
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
