// Single-precision GEMM on row-major matrices: C[M,N] = alpha * op(A) * op(B) + beta * C,
// op(X) = X or X^T. Backed by OpenBLAS's cblas_sgemm when the addon was built against it,
// otherwise (or when forced, for tests) by the portable blocked kernel in gemm.cc.
#pragma once
#include <vector>

namespace rnnkit {

struct MicroKernel;

enum class GemmImpl { OpenBLAS, Portable };

bool openblasCompiledIn();
GemmImpl gemmImpl();
// Returns false when the requested implementation is not compiled in.
bool setGemmImpl(GemmImpl impl);
const char* gemmName(GemmImpl impl);

void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc);

// Single-threaded GEMM for callers that already run on a pool thread (the recurrent
// kernels split the batch across cores and run each half's per-step products here; calling a
// multi-threaded BLAS from two threads at once would serialize or oversubscribe the cores).
void sgemmSerial(bool transA, bool transB, int M, int N, int K, float alpha, const float* A,
                 int lda, const float* B, int ldb, float beta, float* C, int ldc);

// A right operand op(B) [K, N] packed once for many products: the recurrent kernels multiply the
// same recurrent weights by a new state at every timestep, and packing them on every step cost as
// much as the product. Packed for the micro-kernel in use when constructed (portable GEMM only;
// OpenBLAS packs inside each call).
class PackedMatrix {
 public:
  PackedMatrix(bool transB, int K, int N, const float* B, int ldb);
  // The vertical stack of top [topRows, N] over bottom [K - topRows, N] (both row-major with leading
  // dimension ldb), packed as one K x N operand without first copying the two into one matrix: a
  // recurrent step's [x_t h] * [W; R] is then one product of depth D + U.
  PackedMatrix(int K, int N, const float* top, int topRows, const float* bottom, int ldb);
  // C[M, N] = alpha * op(A) * B + beta * C, single-threaded (callers run on pool threads).
  void multiply(bool transA, int M, float alpha, const float* A, int lda, float beta, float* C, int ldc) const;

 private:
  const MicroKernel* kernel_;
  int K_, N_, paddedN_;
  std::vector<float> data_;
};

}  // namespace rnnkit
