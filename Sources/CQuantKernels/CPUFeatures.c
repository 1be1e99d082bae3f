#include "CPUFeatures.h"

static int forced_portable = 0;

int cq_cpu_has_avx2_fma(void) {
#if defined(__x86_64__) || defined(__i386__)
    if (forced_portable) return 0;
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

void cq_force_portable(int portable) { forced_portable = portable; }
