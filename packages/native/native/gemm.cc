#include "gemm.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "simd.h"
#include "threadpool.h"

#ifdef RNNKIT_USE_OPENBLAS
#include <cblas.h>
#endif

namespace rnnkit {

namespace {

#ifdef RNNKIT_USE_OPENBLAS
GemmImpl current = GemmImpl::OpenBLAS;

// OpenBLAS is used as a single-threaded kernel library: all parallelism is ours (row slices of the
// recurrent kernels, row/column splits in sgemm). Its own threads would spin-wait next to ours and
// oversubscribe the cores, and its multi-threaded level-3 path serializes concurrent callers.
struct OpenblasThreads {
  OpenblasThreads() { openblas_set_num_threads(1); }
} openblasThreads;
#else
GemmImpl current = GemmImpl::Portable;
#endif

// Register tile of the micro-kernel: MR rows of A times NR columns of B stay in vector registers
// for the whole KC-long inner product (6 x 16 floats: 6 AVX-512 or 12 AVX2 registers, leaving room
// for the B row and the broadcast; enough independent accumulators to hide FMA latency).
constexpr int MR = 6;
constexpr int NR = 16;
// KC x NR panels of B (16 KB at KC=256) stay in L1 while a tile row of A streams through.
constexpr int KC = 256;
// Column panels handed to one task; small enough to give both cores work on narrow products.
constexpr int PANELS_PER_TASK = 4;

// NR floats as one GCC/Clang vector (one zmm, two ymm or four xmm depending on the clone), so the
// compiler keeps the accumulators in registers instead of shuffling scalars.
typedef float RowVec __attribute__((vector_size(NR * sizeof(float))));

RNNKIT_SIMD void microKernel(int kc, const float* ap, const float* bp, float* out) {
  RowVec acc[MR] = {};
  for (int k = 0; k < kc; ++k) {
    RowVec b;
    std::memcpy(&b, bp + static_cast<long>(k) * NR, sizeof b);
    const float* a = ap + static_cast<long>(k) * MR;
    for (int i = 0; i < MR; ++i) acc[i] += a[i] * b;
  }
  std::memcpy(out, acc, sizeof acc);
}

inline float elemA(bool trans, const float* A, int lda, int i, int k) {
  return trans ? A[static_cast<long>(k) * lda + i] : A[static_cast<long>(i) * lda + k];
}

void scaleC(int M, int N, float beta, float* C, int ldc) {
  if (beta == 1.0f) return;
  for (int i = 0; i < M; ++i) {
    float* row = C + static_cast<long>(i) * ldc;
    if (beta == 0.0f) {
      std::fill(row, row + N, 0.0f);  // not 0 * C: C may hold garbage or NaN
    } else {
      for (int j = 0; j < N; ++j) row[j] *= beta;
    }
  }
}

// Products with few rows of A and a row-major B: decoding steps (batch 1, or a beam) and the
// per-step recurrent products of small batches. Packing B first, as the blocked kernel and OpenBLAS
// do on every call, costs more than the product itself there (B is 256x8000 for an output layer,
// M is 1 to 8). Instead B is streamed once for all rows, one block of columns at a time.
constexpr int FEW_ROWS = 8;
constexpr int FEW_ROWS_BLOCK = 2 * NR;  // two vectors per row

// Whether a product takes the few-row path below (row-major B only: a transposed B is not streamed by rows).
bool fewRowsProduct(int M, bool transB) { return M <= FEW_ROWS && !transB; }

// A full block: the M rows' partial sums stay in vector registers for the whole K loop (at most
// 16 accumulators, half of AVX-512's registers), so each k costs two loads of B, M broadcasts and
// 2M FMAs. Keeping the sums in memory instead made a 4-row output layer 2.4x slower than 1 row.
template <int M>
RNNKIT_INLINE void fewRowsFullBlock(int K, const float* ap, const float* B, int ldb, float* C, int ldc) {
  RowVec acc[M][2] = {};
  for (int k = 0; k < K; ++k) {
    RowVec b0, b1;
    std::memcpy(&b0, B + static_cast<long>(k) * ldb, sizeof b0);
    std::memcpy(&b1, B + static_cast<long>(k) * ldb + NR, sizeof b1);
    const float* a = ap + static_cast<long>(k) * M;
    for (int i = 0; i < M; ++i) {
      acc[i][0] += a[i] * b0;
      acc[i][1] += a[i] * b1;
    }
  }
  for (int i = 0; i < M; ++i) {
    alignas(64) float sums[FEW_ROWS_BLOCK];
    std::memcpy(sums, acc[i], sizeof sums);
    float* c = C + static_cast<long>(i) * ldc;
    for (int j = 0; j < FEW_ROWS_BLOCK; ++j) c[j] += sums[j];
  }
}

RNNKIT_SIMD void fewRowsBlock(int M, int width, int K, const float* ap, const float* B, int ldb, float* C, int ldc) {
  if (width == FEW_ROWS_BLOCK) {
    switch (M) {
      case 1: fewRowsFullBlock<1>(K, ap, B, ldb, C, ldc); return;
      case 2: fewRowsFullBlock<2>(K, ap, B, ldb, C, ldc); return;
      case 3: fewRowsFullBlock<3>(K, ap, B, ldb, C, ldc); return;
      case 4: fewRowsFullBlock<4>(K, ap, B, ldb, C, ldc); return;
      case 5: fewRowsFullBlock<5>(K, ap, B, ldb, C, ldc); return;
      case 6: fewRowsFullBlock<6>(K, ap, B, ldb, C, ldc); return;
      case 7: fewRowsFullBlock<7>(K, ap, B, ldb, C, ldc); return;
      default: fewRowsFullBlock<8>(K, ap, B, ldb, C, ldc); return;
    }
  }
  // The ragged last block: partial sums in L1.
  alignas(64) float acc[FEW_ROWS][FEW_ROWS_BLOCK] = {};
  for (int k = 0; k < K; ++k) {
    const float* b = B + static_cast<long>(k) * ldb;
    const float* a = ap + static_cast<long>(k) * M;
    for (int i = 0; i < M; ++i) {
      for (int j = 0; j < width; ++j) acc[i][j] += a[i] * b[j];
    }
  }
  for (int i = 0; i < M; ++i) {
    float* c = C + static_cast<long>(i) * ldc;
    for (int j = 0; j < width; ++j) c[j] += acc[i][j];
  }
}

// C[:, lo:hi] += alpha * op(A) * B[:, lo:hi] for M <= FEW_ROWS; columns split across the pool
// when allowed and worth it.
void fewRowsGemm(bool transA, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
                 float* C, int ldc, bool allowThreads) {
  // op(A) as K groups of M values, alpha applied: the inner loop reads one contiguous group per k.
  std::vector<float> ap(static_cast<size_t>(K) * M);
  for (int k = 0; k < K; ++k) {
    for (int i = 0; i < M; ++i) ap[static_cast<size_t>(k) * M + i] = alpha * elemA(transA, A, lda, i, k);
  }
  const int blocks = (N + FEW_ROWS_BLOCK - 1) / FEW_ROWS_BLOCK;
  auto run = [&](int b0, int b1) {
    for (int blk = b0; blk < b1; ++blk) {
      const int j0 = blk * FEW_ROWS_BLOCK;
      fewRowsBlock(M, std::min(FEW_ROWS_BLOCK, N - j0), K, ap.data(), B + j0, ldb, C + j0, ldc);
    }
  };
  ThreadPool& threads = pool();
  const long work = static_cast<long>(M) * N * K;
  const int parts = std::min(threads.size(), blocks);
  // Waking the other thread costs tens of microseconds: worth it only for products like an output layer's.
  if (!allowThreads || parts < 2 || work < 2L * 1024 * 1024) {
    run(0, blocks);
    return;
  }
  threads.parallelFor(parts, [&](int p) { run(blocks * p / parts, blocks * (p + 1) / parts); });
}

void gemmBlocked(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
                 const float* B, int ldb, float beta, float* C, int ldc, bool allowThreads) {
  if (M <= 0 || N <= 0) return;
  scaleC(M, N, beta, C, ldc);
  if (K <= 0 || alpha == 0.0f) return;
  if (fewRowsProduct(M, transB)) {
    fewRowsGemm(transA, M, N, K, alpha, A, lda, B, ldb, C, ldc, allowThreads);
    return;
  }

  const int panels = (N + NR - 1) / NR;
  const int rowTiles = (M + MR - 1) / MR;
  const int panelGroups = (panels + PANELS_PER_TASK - 1) / PANELS_PER_TASK;
  std::vector<float> bPacked(static_cast<size_t>(panels) * KC * NR);
  ThreadPool& threads = pool();
  const long work = static_cast<long>(M) * N * K;
  const bool parallel = allowThreads && work >= 32L * 32 * 32 && threads.size() > 1;

  for (int k0 = 0; k0 < K; k0 += KC) {
    const int kc = std::min(KC, K - k0);
    // Pack op(B)[k0:k0+kc, :] into NR-wide panels, zero-padded on the right edge.
    for (int p = 0; p < panels; ++p) {
      float* dst = bPacked.data() + static_cast<size_t>(p) * KC * NR;
      const int j0 = p * NR;
      const int cols = std::min(NR, N - j0);
      for (int k = 0; k < kc; ++k) {
        float* d = dst + k * NR;
        if (!transB) {
          std::memcpy(d, B + static_cast<long>(k0 + k) * ldb + j0, sizeof(float) * cols);
        } else {
          for (int jj = 0; jj < cols; ++jj) d[jj] = B[static_cast<long>(j0 + jj) * ldb + k0 + k];
        }
        for (int jj = cols; jj < NR; ++jj) d[jj] = 0.0f;
      }
    }
    auto task = [&](int t) {
      const int tile = t / panelGroups;
      const int group = t % panelGroups;
      const int i0 = tile * MR;
      alignas(64) float aPacked[KC * MR];
      alignas(64) float out[MR * NR];
      const int rows = std::min(MR, M - i0);
      for (int ii = 0; ii < MR; ++ii) {
        if (ii >= rows) {
          for (int k = 0; k < kc; ++k) aPacked[k * MR + ii] = 0.0f;
        } else if (!transA) {
          const float* src = A + static_cast<long>(i0 + ii) * lda + k0;
          for (int k = 0; k < kc; ++k) aPacked[k * MR + ii] = src[k];
        } else {
          for (int k = 0; k < kc; ++k) aPacked[k * MR + ii] = A[static_cast<long>(k0 + k) * lda + i0 + ii];
        }
      }
      const int pEnd = std::min(panels, (group + 1) * PANELS_PER_TASK);
      for (int p = group * PANELS_PER_TASK; p < pEnd; ++p) {
        microKernel(kc, aPacked, bPacked.data() + static_cast<size_t>(p) * KC * NR, out);
        const int cols = std::min(NR, N - p * NR);
        for (int ii = 0; ii < rows; ++ii) {
          float* c = C + static_cast<long>(i0 + ii) * ldc + p * NR;
          for (int jj = 0; jj < cols; ++jj) c[jj] += alpha * out[ii * NR + jj];
        }
      }
    };
    const int tasks = rowTiles * panelGroups;
    if (parallel) {
      threads.parallelFor(tasks, task);
    } else {
      for (int t = 0; t < tasks; ++t) task(t);
    }
  }
}

}  // namespace

void sgemmPortable(bool transA, bool transB, int M, int N, int K, float alpha, const float* A,
                   int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  gemmBlocked(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, true);
}

void sgemmSerial(bool transA, bool transB, int M, int N, int K, float alpha, const float* A,
                 int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
#ifdef RNNKIT_USE_OPENBLAS
  if (current == GemmImpl::OpenBLAS && K > 0 && !fewRowsProduct(M, transB)) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
#endif
  gemmBlocked(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, false);
}

bool openblasCompiledIn() {
#ifdef RNNKIT_USE_OPENBLAS
  return true;
#else
  return false;
#endif
}

GemmImpl gemmImpl() { return current; }

bool setGemmImpl(GemmImpl impl) {
  if (impl == GemmImpl::OpenBLAS && !openblasCompiledIn()) return false;
  current = impl;
  return true;
}

const char* gemmName(GemmImpl impl) { return impl == GemmImpl::OpenBLAS ? "openblas" : "portable"; }

void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (current == GemmImpl::Portable || fewRowsProduct(M, transB)) {
    sgemmPortable(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  // OpenBLAS runs single-threaded (see OpenblasThreads); split large products across our pool:
  // by rows when there are enough, else by columns. Each part is an independent serial GEMM.
  ThreadPool& threads = pool();
  const long work = static_cast<long>(M) * N * (K > 0 ? K : 1);
  const int parts = threads.size();
  if (parts == 1 || work < 64L * 64 * 64) {
    sgemmSerial(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  const bool byRows = M >= 16 * parts || M >= N;
  const int extent = byRows ? M : N;
  threads.parallelFor(parts, [&](int p) {
    const int lo = static_cast<int>(static_cast<long>(extent) * p / parts);
    const int hi = static_cast<int>(static_cast<long>(extent) * (p + 1) / parts);
    if (hi <= lo) return;
    if (byRows) {
      const float* a = transA ? A + lo : A + static_cast<long>(lo) * lda;
      sgemmSerial(transA, transB, hi - lo, N, K, alpha, a, lda, B, ldb, beta, C + static_cast<long>(lo) * ldc, ldc);
    } else {
      const float* b = transB ? B + static_cast<long>(lo) * ldb : B + lo;
      sgemmSerial(transA, transB, M, hi - lo, K, alpha, A, lda, b, ldb, beta, C + lo, ldc);
    }
  });
}

}  // namespace rnnkit
