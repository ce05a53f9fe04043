// One decoding step of a token-in, distribution-out language model in one native call: embedding
// lookup, a stack of one-direction recurrent layers advanced by one timestep, and the output
// projection with log-softmax. Sampling and beam search run this once per generated token; through
// tfjs the same step is about fourteen kernel dispatches, which cost several times the arithmetic at
// decoding sizes (a batch of 1 to a few beams).
#pragma once
#include <vector>

#include "recurrent.h"

namespace rnnkit {

struct DecodeLayer {
  Cell cell;
  int U;                          // units; the input width is the previous layer's (the embedding's for the first)
  const float* kernel;            // [D, G*U]
  const float* recurrentKernel;   // [U, G*U]
  const float* bias;              // [G*U] or null
  const float* h;                 // [N, U] state in
  const float* c;                 // [N, U] (LSTM) state in
  float* hOut;                    // [N, U] state out
  float* cOut;                    // [N, U] (LSTM) state out, else null
};

struct DecodeModel {
  int vocab, embedDim;
  const float* embedding;  // [vocab, embedDim]
  std::vector<DecodeLayer> layers;
  int outDim;
  const float* dense;      // [last U, outDim]
  const float* denseBias;  // [outDim] or null
};

// logProbs[N, outDim] = log_softmax(dense(last h)); tokens must lie in [0, vocab) (the binding checks).
void decodeStep(int N, const int* tokens, const DecodeModel& m, float* logProbs);

}  // namespace rnnkit
