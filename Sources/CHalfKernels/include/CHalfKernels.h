#ifndef CHALFKERNELS_H
#define CHALFKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Widens `count` IEEE binary16 values to binary32, exactly: F16C's vcvtph2ps, eight at a time,
/// when the CPU has it (checked once by __builtin_cpu_supports), else the portable loop. TensorCore
/// reads a half-precision KV cache through this (the library is built for baseline x86-64, where
/// Swift's own Float16 conversion is a library call per element).
void chk_half_to_float(const uint16_t *source, float *destination, size_t count);

/// The portable loop on its own (bit manipulation, no intrinsics), for tests of the fallback.
void chk_half_to_float_portable(const uint16_t *source, float *destination, size_t count);

/// Whether this CPU runs the F16C path (AVX and F16C), unless chk_force_portable(1) was called.
int chk_cpu_has_f16c(void);

/// Forces the portable path (for tests): 1 disables F16C, 0 restores detection.
void chk_force_portable(int portable);

#endif
