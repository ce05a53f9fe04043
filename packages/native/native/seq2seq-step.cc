#include "seq2seq-step.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "attention.h"
#include "elementwise.h"
#include "gemm.h"
#include "simd.h"

namespace rnnkit {

namespace {

// The score a masked source position gets before the softmax (core's attention layers use the same).
constexpr float MASKED_SCORE = -1e9f;

// C[N, cols] = bias (or 0) then += A[N, K] · B[K, cols]: a Dense layer's pre-activation.
void denseInto(int N, int K, int cols, const float* A, const float* B, const float* bias, float* C) {
  for (int n = 0; n < N; ++n) {
    float* row = C + static_cast<size_t>(n) * cols;
    if (bias) std::memcpy(row, bias, sizeof(float) * cols);
    else std::fill(row, row + cols, 0.0f);
  }
  sgemm(false, false, N, cols, K, 1.0f, A, K, B, cols, 1.0f, C, cols);
}

// scores[s] = q · values[s] for one row (dot and general scores).
RNNKIT_SIMD void dotScores(int S, int D, const float* __restrict__ q, const float* __restrict__ values,
                           float* __restrict__ scores) {
  for (int s = 0; s < S; ++s) {
    const float* v = values + static_cast<size_t>(s) * D;
    scores[s] = laneSum<float>(D, [&](int d) { return q[d] * v[d]; });
  }
}

// context[d] = Σ_s weights[s] · values[s, d] for one row.
RNNKIT_SIMD void weightedSum(int S, int D, const float* __restrict__ weights, const float* __restrict__ values,
                             float* __restrict__ context) {
  std::fill(context, context + D, 0.0f);
  for (int s = 0; s < S; ++s) {
    const float w = weights[s];
    const float* v = values + static_cast<size_t>(s) * D;
    for (int d = 0; d < D; ++d) context[d] += w * v[d];
  }
}

}  // namespace

void seq2seqStep(int N, const int* tokens, const float* h, const float* c, const Seq2SeqStepModel& m,
                 const Seq2SeqStepOutputs& out) {
  const int E = m.embedDim, U = m.U, S = m.S, Ev = m.Ev;

  // Embedding rows, and the step mask the embedding's maskZero gives the recurrent layer.
  std::vector<float> x(static_cast<size_t>(N) * E);
  std::vector<float> stepMask;
  for (int n = 0; n < N; ++n) {
    std::memcpy(x.data() + static_cast<size_t>(n) * E, m.embedding + static_cast<size_t>(tokens[n]) * E, sizeof(float) * E);
  }
  if (m.maskZero) {
    stepMask.resize(N);
    for (int n = 0; n < N; ++n) stepMask[n] = tokens[n] == 0 ? 0.0f : 1.0f;
  }

  // The decoder cell: the whole-sequence kernel with T = 1, training's arithmetic.
  std::vector<float> query(static_cast<size_t>(N) * U);
  RnnInputs in{m.cell, {N, 1, E, U}, x.data(), h, m.cell == Cell::LSTM ? c : nullptr, m.kernel, m.recurrentKernel,
               m.bias, m.maskZero ? stepMask.data() : nullptr, false};
  rnnForward(in, RnnOutputs{query.data(), out.h, m.cell == Cell::LSTM ? out.c : nullptr, nullptr});

  // Attention scores [N, S].
  float* scores = out.attention;
  std::vector<float> raw(static_cast<size_t>(N) * S);
  if (m.attention == AttentionKind::Bahdanau) {
    std::vector<float> projected(static_cast<size_t>(N) * m.A);
    denseInto(N, U, m.A, query.data(), m.queryKernel, m.queryBias, projected.data());
    additiveScores(projected.data(), m.keys, m.scoreVector, ScoreShape{N, 1, S, m.A}, raw.data());
  } else {
    std::vector<float> projected;
    const float* q = query.data();
    if (m.attention == AttentionKind::General) {
      projected.resize(static_cast<size_t>(N) * Ev);
      denseInto(N, U, Ev, query.data(), m.queryKernel, nullptr, projected.data());
      q = projected.data();
    }
    for (int n = 0; n < N; ++n) {
      dotScores(S, Ev, q + static_cast<size_t>(n) * Ev, m.values + static_cast<size_t>(n) * S * Ev, raw.data() + static_cast<size_t>(n) * S);
    }
  }
  if (m.srcMask) {
    for (size_t i = 0; i < raw.size(); ++i) raw[i] += (1.0f - m.srcMask[i]) * MASKED_SCORE;
  }
  softmaxRows(raw.data(), N, S, scores);

  // [context ‖ decoder output] → Dense tanh.
  const int J = Ev + U;
  std::vector<float> joined(static_cast<size_t>(N) * J);
  for (int n = 0; n < N; ++n) {
    float* row = joined.data() + static_cast<size_t>(n) * J;
    weightedSum(S, Ev, scores + static_cast<size_t>(n) * S, m.values + static_cast<size_t>(n) * S * Ev, row);
    std::memcpy(row + Ev, query.data() + static_cast<size_t>(n) * U, sizeof(float) * U);
  }
  std::vector<float> preActivation(static_cast<size_t>(N) * m.Ua);
  denseInto(N, J, m.Ua, joined.data(), m.attentionalKernel, m.attentionalBias, preActivation.data());
  std::vector<float> attentional(preActivation.size());
  unary(UnaryOp::Tanh, preActivation.data(), static_cast<long>(preActivation.size()), attentional.data());

  // Output layer and log-softmax.
  denseInto(N, m.Ua, m.outDim, attentional.data(), m.outputKernel, m.outputBias, out.logProbs);
  logSoftmaxRows(out.logProbs, N, m.outDim);
}

}  // namespace rnnkit
