// Single-precision GEMM on row-major matrices: C[M,N] = alpha * op(A) * op(B) + beta * C,
// op(X) = X or X^T. Backed by OpenBLAS's cblas_sgemm when the addon was built against it,
// otherwise (or when forced, for tests) by the portable blocked kernel in gemm.cc.
#pragma once

namespace rnnkit {

enum class GemmImpl { OpenBLAS, Portable };

bool openblasCompiledIn();
GemmImpl gemmImpl();
// Returns false when the requested implementation is not compiled in.
bool setGemmImpl(GemmImpl impl);
const char* gemmName(GemmImpl impl);

void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc);

void sgemmPortable(bool transA, bool transB, int M, int N, int K, float alpha, const float* A,
                   int lda, const float* B, int ldb, float beta, float* C, int ldc);

// Single-threaded portable GEMM for callers that already run on a pool thread (the recurrent
// kernels split the batch across cores and run each half's per-step products here; calling a
// multi-threaded BLAS from two threads at once would serialize or oversubscribe the cores).
void sgemmSerial(bool transA, bool transB, int M, int N, int K, float alpha, const float* A,
                 int lda, const float* B, int ldb, float beta, float* C, int ldc);

}  // namespace rnnkit
