// Whole-sequence recurrent kernels (LSTM, GRU, SimpleRNN) in tfjs-layers' weight layout:
// kernel [D, G*U], recurrentKernel [U, G*U], bias [G*U]; gate order LSTM i,f,c,o and GRU z,r,h
// (GRU reset gate applied to h before the recurrent product, no reset-after variant); recurrent
// activation sigmoid, activation tanh. All tensors are dense row-major float32; x, outputs and
// mask are batch-major ([B,T,...]) and indexed by input time position even when goBackwards.
#pragma once
#include <cstddef>

namespace rnnkit {

enum class Cell { LSTM = 0, GRU = 1, Simple = 2 };

int gateCount(Cell cell);

struct RnnShape {
  int B, T, D, U;
};

struct RnnInputs {
  Cell cell;
  RnnShape s;
  const float* x;       // [B,T,D]
  const float* h0;      // [B,U] or null (zeros)
  const float* c0;      // [B,U] or null (zeros); LSTM only
  const float* kernel;  // [D,GU]
  const float* recurrentKernel;  // [U,GU]
  const float* bias;    // [GU] or null
  const float* mask;    // [B,T] 0/1 or null; 0 carries state and output of the previous step
  bool goBackwards;
};

// Activations saved by the forward pass for backpropagation through time.
size_t savedSize(Cell cell, const RnnShape& s);

struct RnnOutputs {
  float* outputs;  // [B,T,U]
  float* h;        // [B,U]
  float* c;        // [B,U] (LSTM) or null
  float* saved;    // savedSize floats, or null when no gradient will be needed
};

void rnnForward(const RnnInputs& in, const RnnOutputs& out);

// Whether the forward may fold the input projection into each step's product (on by default; tests
// and benchmarks switch it off to compare with the projection up front in one build).
void setInputFold(bool on);

struct RnnGradients {
  float* dx;      // [B,T,D]
  float* dh0;     // [B,U]
  float* dc0;     // [B,U] (LSTM) or null
  float* dKernel;            // [D,GU]
  float* dRecurrentKernel;   // [U,GU]
  float* dBias;              // [GU]
};

// dOutputs [B,T,U], dH [B,U], dC [B,U] may each be null (zero upstream gradient).
void rnnBackward(const RnnInputs& in, const float* saved, const float* dOutputs, const float* dH,
                 const float* dC, const RnnGradients& grads);

}  // namespace rnnkit
