#include "attention.h"

#include <algorithm>
#include <vector>

#include "simd.h"
#include "threadpool.h"
#include "vmath.h"

namespace rnnkit {

namespace {

// Below this many tanh evaluations a second thread costs more than it saves (a decoding step,
// B = Tq = 1, stays on the calling thread).
constexpr long PARALLEL_MIN = 1L << 15;

// out[s] = v · tanh(q + k[s]) for one query row against S keys.
RNNKIT_SIMD void scoreRow(int S, int U, const float* __restrict__ q, const float* __restrict__ k,
                          const float* __restrict__ v, float* __restrict__ out) {
  for (int s = 0; s < S; ++s) {
    const float* ks = k + static_cast<size_t>(s) * U;
    out[s] = laneSum<float>(U, [&](int u) { return v[u] * fastTanh(q[u] + ks[u]); });
  }
}

// Gradient contributions of one batch row: dq [Tq,U] and dk [S,U] of this row (overwritten) and
// dv [U] (overwritten with this row's share).
RNNKIT_SIMD void backwardBatchRow(int Tq, int S, int U, const float* __restrict__ q, const float* __restrict__ k,
                                  const float* __restrict__ v, const float* __restrict__ dScores,
                                  float* __restrict__ dq, float* __restrict__ dk, float* __restrict__ dv) {
  std::fill(dq, dq + static_cast<size_t>(Tq) * U, 0.0f);
  std::fill(dk, dk + static_cast<size_t>(S) * U, 0.0f);
  std::fill(dv, dv + U, 0.0f);
  for (int t = 0; t < Tq; ++t) {
    const float* qt = q + static_cast<size_t>(t) * U;
    float* dqt = dq + static_cast<size_t>(t) * U;
    for (int s = 0; s < S; ++s) {
      const float g = dScores[static_cast<size_t>(t) * S + s];
      const float* ks = k + static_cast<size_t>(s) * U;
      float* dks = dk + static_cast<size_t>(s) * U;
      for (int u = 0; u < U; ++u) {
        const float h = fastTanh(qt[u] + ks[u]);
        const float d = g * v[u] * (1.0f - h * h);
        dv[u] += g * h;
        dqt[u] += d;
        dks[u] += d;
      }
    }
  }
}

}  // namespace

void additiveScores(const float* q, const float* k, const float* v, const ScoreShape& s, float* scores) {
  const long rows = static_cast<long>(s.B) * s.Tq;
  // Query row r belongs to batch row r / Tq, whose keys start at k + (r / Tq) * S * U.
  auto range = [&](long r0, long r1) {
    for (long r = r0; r < r1; ++r) {
      scoreRow(s.S, s.U, q + r * s.U, k + (r / s.Tq) * s.S * s.U, v, scores + r * s.S);
    }
  };
  ThreadPool& threads = pool();
  if (rows * s.S * s.U < PARALLEL_MIN || threads.size() == 1 || rows < 2) {
    range(0, rows);
    return;
  }
  const int parts = static_cast<int>(std::min<long>(threads.size(), rows));
  threads.parallelFor(parts, [&](int i) { range(rows * i / parts, rows * (i + 1) / parts); });
}

void additiveScoresBackward(const float* q, const float* k, const float* v, const float* dScores,
                            const ScoreShape& s, float* dq, float* dk, float* dv) {
  const size_t U = s.U, qRow = static_cast<size_t>(s.Tq) * U, kRow = static_cast<size_t>(s.S) * U;
  // Batch rows are independent except for dv: each row writes its own share, summed afterwards in
  // row order so the result does not depend on how the rows were spread over threads.
  std::vector<float> dvRows(static_cast<size_t>(s.B) * U);
  auto row = [&](int b) {
    backwardBatchRow(s.Tq, s.S, s.U, q + b * qRow, k + b * kRow, v, dScores + static_cast<size_t>(b) * s.Tq * s.S,
                     dq + b * qRow, dk + b * kRow, dvRows.data() + b * U);
  };
  ThreadPool& threads = pool();
  if (static_cast<long>(s.B) * s.Tq * s.S * s.U < PARALLEL_MIN || threads.size() == 1) {
    for (int b = 0; b < s.B; ++b) row(b);
  } else {
    threads.parallelFor(s.B, row);
  }
  std::fill(dv, dv + U, 0.0f);
  for (int b = 0; b < s.B; ++b) {
    for (size_t u = 0; u < U; ++u) dv[u] += dvRows[b * U + u];
  }
}

}  // namespace rnnkit
