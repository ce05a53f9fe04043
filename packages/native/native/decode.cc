#include "decode.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "elementwise.h"
#include "gemm.h"

namespace rnnkit {

void decodeStep(int N, const int* tokens, const DecodeModel& m, float* logProbs) {
  std::vector<float> x(static_cast<size_t>(N) * m.embedDim);
  for (int n = 0; n < N; ++n) {
    std::memcpy(x.data() + static_cast<size_t>(n) * m.embedDim, m.embedding + static_cast<size_t>(tokens[n]) * m.embedDim,
                sizeof(float) * m.embedDim);
  }
  int D = m.embedDim;
  std::vector<float> outputs;
  const float* input = x.data();
  for (const DecodeLayer& layer : m.layers) {
    // The whole-sequence kernel with T = 1: the same arithmetic as training's forward pass, so the
    // fused step and the layer agree to rounding.
    outputs.resize(static_cast<size_t>(N) * layer.U);
    RnnInputs in{layer.cell, {N, 1, D, layer.U}, input, layer.h, layer.cell == Cell::LSTM ? layer.c : nullptr,
                 layer.kernel, layer.recurrentKernel, layer.bias, nullptr, false};
    RnnOutputs out{outputs.data(), layer.hOut, layer.cOut, nullptr};
    rnnForward(in, out);
    input = layer.hOut;
    D = layer.U;
  }
  const int V = m.outDim;
  for (int n = 0; n < N; ++n) {
    float* row = logProbs + static_cast<size_t>(n) * V;
    if (m.denseBias) std::memcpy(row, m.denseBias, sizeof(float) * V);
    else std::fill(row, row + V, 0.0f);
  }
  sgemm(false, false, N, V, D, 1.0f, input, D, m.dense, V, 1.0f, logProbs, V);
  logSoftmaxRows(logProbs, N, V);
}

}  // namespace rnnkit
