#ifndef CQUANTKERNELS_CPU_FEATURES_H
#define CQUANTKERNELS_CPU_FEATURES_H

/// Whether this CPU runs the AVX2 + FMA + F16C kernels (checked once, by __builtin_cpu_supports).
/// The kernels that need them carry __attribute__((target(...))), so the target itself compiles
/// for baseline x86-64 and stays importable without unsafe flags.
int cq_cpu_has_avx2_fma(void);

/// Forces the portable kernels (for tests of the fallback path): 1 disables AVX2, 0 restores
/// detection.
void cq_force_portable(int portable);

#endif
