// Debian's OpenBLAS ships cblas.h (with openblas_set_num_threads) under the pkg-config include path.
#include <cblas.h>
#include <stddef.h>

// OpenBLAS also ships LAPACK but Debian installs no lapack.h beside cblas.h, so the two routines
// GPTQ needs are declared here (Fortran calling convention: column-major, every argument by
// pointer, and the hidden length of the character argument last, which gfortran-built routines
// read and OpenBLAS's own C implementations ignore).
/// Cholesky factorisation of a symmetric positive-definite matrix; info > 0 when it is not.
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_length);
/// The inverse of a symmetric positive-definite matrix from its Cholesky factor.
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_length);
