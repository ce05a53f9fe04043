// Register-blocked GEMM micro-kernels of the portable GEMM (gemm.cc), one per instruction set, chosen at
// load time from the running CPU's features (so one build runs on any x86-64, and on other
// architectures with the plain C++ kernel).
//
// A micro-kernel multiplies one MR x kc sliver of A by one packed kc x NR sliver of B (b[k * NR + j]) with the MR x NR sums held in vector registers for the whole
// kc loop, then writes C[0:rows, 0:cols] = alpha * sums + beta * C (C is not read when beta is 0, so it
// may hold garbage). rows <= MR and cols <= NR cover the ragged edges; packed slivers are zero-padded.
// The A sliver is either packed (k-major, a[k * MR + i]) or read in place with strides
// (a[i * rs + k * ks]: rs = lda, ks = 1 for A, rs = 1, ks = lda for A^T), which skips packing when
// the sliver meets only one or two panels of B and packing would cost as much as the product.
#pragma once

namespace rnnkit {

struct MicroKernel {
  const char* name;
  int mr;
  int nr;
  // Packed A: rs and ks are ignored.
  void (*run)(int kc, const float* a, long rs, long ks, const float* b, float* c, long ldc, int rows, int cols,
              float alpha, float beta);
  // A in place: all MR rows a + i * rs must exist (callers pack a ragged last sliver instead).
  void (*runStrided)(int kc, const float* a, long rs, long ks, const float* b, float* c, long ldc, int rows, int cols,
                     float alpha, float beta);
};

// The kernel in use: the best one the CPU supports unless a test forced another (setMicroKernel).
const MicroKernel& microKernel();

// Forces a kernel by name ('avx512', 'avx2', 'generic'); false when unknown or the CPU lacks it.
// Tests use it to check every kernel the machine can run against the same reference.
bool setMicroKernel(const char* name);

// Names of the kernels this CPU can run, best first.
int supportedMicroKernels(const char** names, int capacity);

}  // namespace rnnkit
