#include "gemm.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "gemm-kernels.h"
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

// The few-row path below works on 16-float vectors (one zmm, two ymm or four xmm depending on the
// target_clones clone), so the compiler keeps each row's sums in registers.
constexpr int NR = 16;
typedef float RowVec __attribute__((vector_size(NR * sizeof(float))));

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

// ---- The portable blocked GEMM (Goto / BLIS loop order) ----
// A KC x NR sliver of packed B stays in L1 while the MR-row slivers of an MC x KC block of packed A
// (in L2) stream past it; a KC x NC block of packed B serves every MC block of rows. The register
// tile MR x NR is the micro-kernel's (gemm-kernels.h), picked for the CPU at load time.
constexpr int KC = 256;
constexpr int MC = 144;   // a multiple of every kernel's MR (4, 6, 8)
constexpr int NC = 2048;  // a multiple of every kernel's NR (16, 32)

inline long roundUp(long x, long m) { return (x + m - 1) / m * m; }

// Rows [i0, i0 + rows) x depth [k0, k0 + kc) of op(A) as MR-row slivers, k-major (sliver s holds
// a[k * MR + i] at dst + s * MR * kc), rows past the end zero.
void packA(int mr, bool transA, const float* A, int lda, int i0, int rows, int k0, int kc, float* dst) {
  for (int t = 0; t < rows; t += mr) {
    const int r = std::min(mr, rows - t);
    float* d = dst + static_cast<long>(t) * kc;
    if (transA) {
      // op(A)[i][k] = A[k][i]: the sliver's MR values are contiguous for each k.
      for (int k = 0; k < kc; ++k) {
        const float* src = A + static_cast<long>(k0 + k) * lda + i0 + t;
        float* dk = d + static_cast<long>(k) * mr;
        for (int ii = 0; ii < r; ++ii) dk[ii] = src[ii];
        for (int ii = r; ii < mr; ++ii) dk[ii] = 0.0f;
      }
    } else {
      for (int ii = 0; ii < r; ++ii) {
        const float* src = A + static_cast<long>(i0 + t + ii) * lda + k0;
        for (int k = 0; k < kc; ++k) d[static_cast<long>(k) * mr + ii] = src[k];
      }
      for (int ii = r; ii < mr; ++ii) {
        for (int k = 0; k < kc; ++k) d[static_cast<long>(k) * mr + ii] = 0.0f;
      }
    }
  }
}

// Depth [k0, k0 + kc) x columns [j0, j0 + cols) of B as NR-column panels, k-major (panel q holds
// b[k * NR + j] at dst + q * NR * kc), columns past the end zero. B is read through rowOf(k), its row k,
// so a stack of two matrices packs like one.
template <typename RowOf>
void packRowsB(int nr, RowOf rowOf, int k0, int kc, int j0, int cols, float* dst) {
  for (int p = 0; p < cols; p += nr) {
    const int w = std::min(nr, cols - p);
    float* d = dst + static_cast<long>(p) * kc;
    for (int k = 0; k < kc; ++k) {
      float* dk = d + static_cast<long>(k) * nr;
      std::memcpy(dk, rowOf(k0 + k) + j0 + p, sizeof(float) * w);
      for (int jj = w; jj < nr; ++jj) dk[jj] = 0.0f;
    }
  }
}

// The same panels of op(B).
void packB(int nr, bool transB, const float* B, int ldb, int k0, int kc, int j0, int cols, float* dst) {
  if (!transB) {
    packRowsB(nr, [&](int k) { return B + static_cast<long>(k) * ldb; }, k0, kc, j0, cols, dst);
    return;
  }
  // op(B)[k][j] = B[j][k]: read each of the panel's rows of B contiguously, write strided (in L1).
  for (int p = 0; p < cols; p += nr) {
    const int w = std::min(nr, cols - p);
    float* d = dst + static_cast<long>(p) * kc;
    for (int jj = 0; jj < w; ++jj) {
      const float* src = B + static_cast<long>(j0 + p + jj) * ldb + k0;
      for (int k = 0; k < kc; ++k) d[static_cast<long>(k) * nr + jj] = src[k];
    }
    for (int jj = w; jj < nr; ++jj) {
      for (int k = 0; k < kc; ++k) d[static_cast<long>(k) * nr + jj] = 0.0f;
    }
  }
}

// C[0:mc, 0:nc] = alpha * packedA * packedB + beta * C. Panel by panel (the B sliver stays in L1 while
// the A slivers stream past), unless the whole packed B block fits in L1 anyway (a shallow depth, like an
// input projection from 5 features): then tile row by tile row, so C is read and written in address
// order, which was 2x faster there.
void macroKernel(const MicroKernel& uk, int mc, int nc, int kc, const float* aPacked, const float* bPacked, float* C,
                 int ldc, float alpha, float beta) {
  auto tile = [&](int t, int p) {
    uk.run(kc, aPacked + static_cast<long>(t) * kc, 1, uk.mr, bPacked + static_cast<long>(p) * kc,
           C + static_cast<long>(t) * ldc + p, ldc, std::min(uk.mr, mc - t), std::min(uk.nr, nc - p), alpha, beta);
  };
  if (static_cast<long>(kc) * roundUp(nc, uk.nr) <= 4096) {
    for (int t = 0; t < mc; t += uk.mr) {
      for (int p = 0; p < nc; p += uk.nr) tile(t, p);
    }
    return;
  }
  for (int p = 0; p < nc; p += uk.nr) {
    for (int t = 0; t < mc; t += uk.mr) tile(t, p);
  }
}

// One MC x KC block of rows times one packed KC x nc block of B. Narrow blocks (one or two panels)
// read A in place: each A sliver then meets at most two panels, so packing it would cost about as
// much as the product (mnist's dx, [3584, 512] x [512, 28], ran at half speed). Only a ragged last
// sliver is packed, since the in-place kernel reads all MR rows.
void blockProduct(const MicroKernel& uk, bool transA, const float* A, int lda, int ic, int mc, int pc, int kc,
                  const float* bPacked, int nc, float* C, int ldc, float alpha, float beta, float* aPacked) {
  if (nc > 2 * uk.nr) {
    packA(uk.mr, transA, A, lda, ic, mc, pc, kc, aPacked);
    macroKernel(uk, mc, nc, kc, aPacked, bPacked, C, ldc, alpha, beta);
    return;
  }
  const long rs = transA ? 1 : lda, ks = transA ? lda : 1;
  const int full = mc / uk.mr * uk.mr;
  if (full < mc) packA(uk.mr, transA, A, lda, ic + full, mc - full, pc, kc, aPacked);
  for (int p = 0; p < nc; p += uk.nr) {
    const int cols = std::min(uk.nr, nc - p);
    const float* bp = bPacked + static_cast<long>(p) * kc;
    for (int t = 0; t < full; t += uk.mr) {
      const int i = ic + t;
      const float* a = transA ? A + static_cast<long>(pc) * lda + i : A + static_cast<long>(i) * lda + pc;
      uk.runStrided(kc, a, rs, ks, bp, C + static_cast<long>(t) * ldc + p, ldc, uk.mr, cols, alpha, beta);
    }
    if (full < mc) uk.run(kc, aPacked, 1, uk.mr, bp, C + static_cast<long>(full) * ldc + p, ldc, mc - full, cols, alpha, beta);
  }
}

// Per-thread packing buffers, grown on demand and kept: the per-timestep products of the recurrent
// kernels would otherwise allocate on every step.
float* scratch(std::vector<float>& buffer, size_t floats) {
  if (buffer.size() < floats) buffer.resize(floats);
  return buffer.data();
}
thread_local std::vector<float> aScratch;
thread_local std::vector<float> bScratch;

// Single-threaded blocked product (callers split work across the pool).
void gemmBlockedSerial(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
                       const float* B, int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    scaleC(M, N, beta, C, ldc);
    return;
  }
  const MicroKernel& uk = microKernel();
  float* aPacked = scratch(aScratch, static_cast<size_t>(MC) * KC);
  float* bPacked = scratch(bScratch, static_cast<size_t>(roundUp(std::min(N, NC), uk.nr)) * KC);
  for (int jc = 0; jc < N; jc += NC) {
    const int nc = std::min(NC, N - jc);
    for (int pc = 0; pc < K; pc += KC) {
      const int kc = std::min(KC, K - pc);
      const float blockBeta = pc == 0 ? beta : 1.0f;  // later depth blocks accumulate
      packB(uk.nr, transB, B, ldb, pc, kc, jc, nc, bPacked);
      for (int ic = 0; ic < M; ic += MC) {
        const int mc = std::min(MC, M - ic);
        blockProduct(uk, transA, A, lda, ic, mc, pc, kc, bPacked, nc, C + static_cast<long>(ic) * ldc + jc, ldc, alpha,
                     blockBeta, aPacked);
      }
    }
  }
}

// Splits C into one block of rows (or columns) per pool thread and runs `serial` on each: every part
// is an independent product, so the result does not depend on which thread ran which part. Split
// points fall on multiples of `align` so each part keeps whole register tiles.
template <typename Serial>
void splitAcrossPool(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
                     const float* B, int ldb, float beta, float* C, int ldc, int align, Serial serial) {
  ThreadPool& threads = pool();
  const long work = static_cast<long>(M) * N * (K > 0 ? K : 1);
  const int parts = threads.size();
  if (parts == 1 || work < 64L * 64 * 64) {
    serial(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  const bool byRows = M >= 16 * parts || M >= N;
  const int extent = byRows ? M : N;
  auto bound = [&](int p) {
    if (p >= parts) return extent;
    const long raw = static_cast<long>(extent) * p / parts;
    return static_cast<int>(std::min<long>(extent, roundUp(raw, align)));
  };
  threads.parallelFor(parts, [&](int p) {
    const int lo = bound(p), hi = bound(p + 1);
    if (hi <= lo) return;
    if (byRows) {
      const float* a = transA ? A + lo : A + static_cast<long>(lo) * lda;
      serial(transA, transB, hi - lo, N, K, alpha, a, lda, B, ldb, beta, C + static_cast<long>(lo) * ldc, ldc);
    } else {
      const float* b = transB ? B + static_cast<long>(lo) * ldb : B + lo;
      serial(transA, transB, M, hi - lo, K, alpha, A, lda, b, ldb, beta, C + lo, ldc);
    }
  });
}

}  // namespace

void sgemmSerial(bool transA, bool transB, int M, int N, int K, float alpha, const float* A,
                 int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (fewRowsProduct(M, transB)) {
    scaleC(M, N, beta, C, ldc);
    if (K > 0 && alpha != 0.0f) fewRowsGemm(transA, M, N, K, alpha, A, lda, B, ldb, C, ldc, false);
    return;
  }
#ifdef RNNKIT_USE_OPENBLAS
  if (current == GemmImpl::OpenBLAS && K > 0) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
#endif
  gemmBlockedSerial(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
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
  if (fewRowsProduct(M, transB)) {
    scaleC(M, N, beta, C, ldc);
    if (K > 0 && alpha != 0.0f) fewRowsGemm(transA, M, N, K, alpha, A, lda, B, ldb, C, ldc, true);
    return;
  }
  // Both GEMMs run single-threaded per part (OpenBLAS: see OpenblasThreads); large products are split
  // across our pool by rows when there are enough, else by columns.
  const MicroKernel& uk = microKernel();
  const int align = current == GemmImpl::Portable ? std::max(uk.mr, uk.nr) : 1;
  splitAcrossPool(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, align, sgemmSerial);
}

// ---- Pre-packed right operand ----

PackedMatrix::PackedMatrix(bool transB, int K, int N, const float* B, int ldb)
    : kernel_(&microKernel()), K_(K), N_(N), paddedN_(static_cast<int>(roundUp(N, kernel_->nr))) {
  data_.resize(static_cast<size_t>(paddedN_) * (K > 0 ? K : 0));
  for (int pc = 0; pc < K; pc += KC) {
    packB(kernel_->nr, transB, B, ldb, pc, std::min(KC, K - pc), 0, N, data_.data() + static_cast<size_t>(pc) * paddedN_);
  }
}

PackedMatrix::PackedMatrix(int K, int N, const float* top, int topRows, const float* bottom, int ldb)
    : kernel_(&microKernel()), K_(K), N_(N), paddedN_(static_cast<int>(roundUp(N, kernel_->nr))) {
  data_.resize(static_cast<size_t>(paddedN_) * (K > 0 ? K : 0));
  auto rowOf = [&](int k) {
    return k < topRows ? top + static_cast<long>(k) * ldb : bottom + static_cast<long>(k - topRows) * ldb;
  };
  for (int pc = 0; pc < K; pc += KC) {
    packRowsB(kernel_->nr, rowOf, pc, std::min(KC, K - pc), 0, N, data_.data() + static_cast<size_t>(pc) * paddedN_);
  }
}

void PackedMatrix::multiply(bool transA, int M, float alpha, const float* A, int lda, float beta, float* C,
                            int ldc) const {
  if (M <= 0 || N_ <= 0) return;
  if (K_ <= 0 || alpha == 0.0f) {
    scaleC(M, N_, beta, C, ldc);
    return;
  }
  const MicroKernel& uk = *kernel_;
  float* aPacked = scratch(aScratch, static_cast<size_t>(MC) * KC);
  for (int pc = 0; pc < K_; pc += KC) {
    const int kc = std::min(KC, K_ - pc);
    const float* bPacked = data_.data() + static_cast<size_t>(pc) * paddedN_;
    for (int ic = 0; ic < M; ic += MC) {
      const int mc = std::min(MC, M - ic);
      blockProduct(uk, transA, A, lda, ic, mc, pc, kc, bPacked, N_, C + static_cast<long>(ic) * ldc, ldc, alpha,
                   pc == 0 ? beta : 1.0f, aPacked);
    }
  }
}

}  // namespace rnnkit
