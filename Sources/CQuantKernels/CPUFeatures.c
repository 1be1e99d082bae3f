#include "CPUFeatures.h"
#include "CHalfKernels.h"

static int forced_portable = 0;

int cq_cpu_has_avx2_fma(void) { return !forced_portable && chk_cpu_supports_avx2_fma_f16c(); }

void cq_force_portable(int portable) { forced_portable = portable; }
