#include "gemm-kernels.h"

#include <atomic>
#include <cstring>

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define RNNKIT_X86_KERNELS 1
#include <immintrin.h>
#endif

namespace rnnkit {

namespace {

// Shared write-back for the kernels without masked stores: the MR x NR sums go through a small
// buffer and only the valid rows x cols land in C.
inline void storeTile(const float* sums, int nr, float* c, long ldc, int rows, int cols, float alpha, float beta) {
  for (int i = 0; i < rows; ++i) {
    float* row = c + i * ldc;
    const float* s = sums + i * nr;
    if (beta == 0.0f) {
      for (int j = 0; j < cols; ++j) row[j] = alpha * s[j];
    } else {
      for (int j = 0; j < cols; ++j) row[j] = alpha * s[j] + beta * row[j];
    }
  }
}

// ---- Plain C++ (any architecture): GCC/Clang vector extensions, which the compiler lowers to
// whatever vector unit the target has. The tile fits the register file: 6 x 16 on arm64 (24 of its
// 32 NEON registers), 4 x 16 on x86-64 without AVX2 (SSE2 has only 16 registers, so a few sums
// spill; such CPUs are a decade old and only need correct results).
#if defined(__aarch64__)
constexpr int kGenericMR = 6;
#else
constexpr int kGenericMR = 4;
#endif
constexpr int kGenericNR = 16;
typedef float GenericRow __attribute__((vector_size(kGenericNR * sizeof(float))));

template <bool kPacked>
void genericKernel(int kc, const float* a, long rs, long ks, const float* b, float* c, long ldc, int rows, int cols,
                   float alpha, float beta) {
  const long rowStep = kPacked ? 1 : rs, kStep = kPacked ? kGenericMR : ks;
  GenericRow acc[kGenericMR] = {};
  for (int k = 0; k < kc; ++k) {
    GenericRow bk;
    std::memcpy(&bk, b + static_cast<long>(k) * kGenericNR, sizeof bk);
    const float* ak = a + k * kStep;
    for (int i = 0; i < kGenericMR; ++i) acc[i] += ak[i * rowStep] * bk;
  }
  alignas(64) float sums[kGenericMR * kGenericNR];
  std::memcpy(sums, acc, sizeof sums);
  storeTile(sums, kGenericNR, c, ldc, rows, cols, alpha, beta);
}

#ifdef RNNKIT_X86_KERNELS

// ---- AVX2 + FMA: 6 x 16 (12 ymm accumulators, 2 for the B row, 1 broadcast: 15 of 16 registers).
constexpr int kAvx2MR = 6;
constexpr int kAvx2NR = 16;

template <bool kPacked>
__attribute__((target("avx2,fma"))) void avx2Kernel(int kc, const float* a, long rs, long ks, const float* b, float* c,
                                                     long ldc, int rows, int cols, float alpha, float beta) {
  const long rowStep = kPacked ? 1 : rs, kStep = kPacked ? kAvx2MR : ks;
  for (int i = 0; i < rows; ++i) {  // see avx512Kernel
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + kAvx2NR - 1), _MM_HINT_T0);
  }
  __m256 acc0[kAvx2MR], acc1[kAvx2MR];
  for (int i = 0; i < kAvx2MR; ++i) acc0[i] = acc1[i] = _mm256_setzero_ps();
  for (int k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < kAvx2MR; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i * rowStep);
      acc0[i] = _mm256_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm256_fmadd_ps(ai, b1, acc1[i]);
    }
    a += kStep;
    b += kAvx2NR;
  }
  if (rows == kAvx2MR && cols == kAvx2NR) {
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
    for (int i = 0; i < kAvx2MR; ++i) {
      float* row = c + i * ldc;
      __m256 r0 = _mm256_mul_ps(va, acc0[i]), r1 = _mm256_mul_ps(va, acc1[i]);
      if (beta != 0.0f) {
        r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), r0);
        r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8), r1);
      }
      _mm256_storeu_ps(row, r0);
      _mm256_storeu_ps(row + 8, r1);
    }
    return;
  }
  alignas(32) float sums[kAvx2MR * kAvx2NR];
  for (int i = 0; i < kAvx2MR; ++i) {
    _mm256_store_ps(sums + i * kAvx2NR, acc0[i]);
    _mm256_store_ps(sums + i * kAvx2NR + 8, acc1[i]);
  }
  storeTile(sums, kAvx2NR, c, ldc, rows, cols, alpha, beta);
}

// ---- AVX-512: 8 x 32 (16 zmm accumulators: enough independent FMAs in flight for two FMA pipes at
// four cycles of latency; per k two B loads and eight broadcasts for sixteen FMAs). Ragged edges
// use masked loads and stores instead of a bounce buffer.
constexpr int kAvx512MR = 8;
constexpr int kAvx512NR = 32;

template <bool kPacked>
__attribute__((target("avx512f"))) void avx512Kernel(int kc, const float* a, long rs, long ks, const float* b, float* c,
                                                     long ldc, int rows, int cols, float alpha, float beta) {
  const long rowStep = kPacked ? 1 : rs, kStep = kPacked ? kAvx512MR : ks;
  // Start fetching the C tile now: with a shallow depth (an input projection's K is 28 to 64) the
  // write-back is most of the work and would otherwise wait on memory.
  for (int i = 0; i < rows; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16), _MM_HINT_T0);
  }
  __m512 acc0[kAvx512MR], acc1[kAvx512MR];
  for (int i = 0; i < kAvx512MR; ++i) acc0[i] = acc1[i] = _mm512_setzero_ps();
  for (int k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 8
    for (int i = 0; i < kAvx512MR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i * rowStep]);
      acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
    }
    a += kStep;
    b += kAvx512NR;
  }
  const __mmask16 m0 = cols >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << cols) - 1);
  const __mmask16 m1 = cols >= 32 ? static_cast<__mmask16>(0xFFFF)
                                  : cols > 16 ? static_cast<__mmask16>((1u << (cols - 16)) - 1) : static_cast<__mmask16>(0);
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 8
  for (int i = 0; i < kAvx512MR; ++i) {
    if (i >= rows) break;
    float* row = c + i * ldc;
    __m512 r0 = _mm512_mul_ps(va, acc0[i]), r1 = _mm512_mul_ps(va, acc1[i]);
    if (beta != 0.0f) {
      r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, row), r0);
      r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, row + 16), r1);
    }
    _mm512_mask_storeu_ps(row, m0, r0);
    _mm512_mask_storeu_ps(row + 16, m1, r1);
  }
}

#endif  // RNNKIT_X86_KERNELS

const MicroKernel kGeneric{"generic", kGenericMR, kGenericNR, genericKernel<true>, genericKernel<false>};
#ifdef RNNKIT_X86_KERNELS
const MicroKernel kAvx2{"avx2", kAvx2MR, kAvx2NR, avx2Kernel<true>, avx2Kernel<false>};
const MicroKernel kAvx512{"avx512", kAvx512MR, kAvx512NR, avx512Kernel<true>, avx512Kernel<false>};
#endif

// Best first.
int supported(const MicroKernel** out) {
  int n = 0;
#ifdef RNNKIT_X86_KERNELS
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) out[n++] = &kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) out[n++] = &kAvx2;
#endif
  out[n++] = &kGeneric;
  return n;
}

const MicroKernel* best() {
  const MicroKernel* list[3];
  supported(list);
  return list[0];
}

std::atomic<const MicroKernel*> current{best()};

}  // namespace

const MicroKernel& microKernel() { return *current.load(std::memory_order_relaxed); }

bool setMicroKernel(const char* name) {
  const MicroKernel* list[3];
  const int n = supported(list);
  for (int i = 0; i < n; ++i) {
    if (std::strcmp(list[i]->name, name) == 0) {
      current.store(list[i], std::memory_order_relaxed);
      return true;
    }
  }
  return false;
}

int supportedMicroKernels(const char** names, int capacity) {
  const MicroKernel* list[3];
  const int n = supported(list);
  int written = 0;
  for (int i = 0; i < n && written < capacity; ++i) names[written++] = list[i]->name;
  return written;
}

}  // namespace rnnkit
