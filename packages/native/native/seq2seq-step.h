// One decoding step of core's attention Seq2Seq (buildSeq2Seq's decoderStep) in one native call:
//   token → embedding → decoder cell (one timestep, the training kernel's arithmetic)
//         → attention over the encoder outputs (bahdanau | dot | general, source mask)
//         → [context ‖ decoder output] → Dense tanh → Dense → log-softmax.
// Through tfjs the same step is about fifty kernel dispatches, whose overhead is several times the
// arithmetic at beam-search sizes (1 to a few rows); only the output layer's product is large.
#pragma once

#include "recurrent.h"

namespace rnnkit {

enum class AttentionKind { Bahdanau = 0, Dot = 1, General = 2 };

struct Seq2SeqStepModel {
  int vocab, embedDim;
  const float* embedding;  // [vocab, embedDim]
  // The embedding's maskZero: token 0 is a masked step (states carried, the output repeats h).
  bool maskZero;

  Cell cell;
  int U;                          // decoder units
  const float* kernel;            // [embedDim, G*U]
  const float* recurrentKernel;   // [U, G*U]
  const float* bias;              // [G*U] or null

  AttentionKind attention;
  int S, Ev;               // source positions and encoder output width
  const float* values;     // [N, S, Ev] encoder outputs
  const float* srcMask;    // [N, S] 1 = real token, 0 = padding; or null
  int A;                   // Bahdanau: attention units
  const float* keys;       // Bahdanau: [N, S, A] projected encoder outputs
  const float* queryKernel;  // Bahdanau: [U, A]; General: [U, Ev]
  const float* queryBias;    // Bahdanau: [A]
  const float* scoreVector;  // Bahdanau: [A]

  int Ua;                          // attentional layer width
  const float* attentionalKernel;  // [Ev + U, Ua]
  const float* attentionalBias;    // [Ua] or null
  int outDim;
  const float* outputKernel;       // [Ua, outDim]
  const float* outputBias;         // [outDim] or null
};

struct Seq2SeqStepOutputs {
  float* logProbs;   // [N, outDim] log-softmax of the output layer's pre-activation
  float* attention;  // [N, S] attention weights
  float* h;          // [N, U]
  float* c;          // [N, U] (LSTM) or null
};

// Tokens must lie in [0, vocab) and the model's shapes must be consistent (the binding checks both).
void seq2seqStep(int N, const int* tokens, const float* h, const float* c, const Seq2SeqStepModel& m,
                 const Seq2SeqStepOutputs& out);

}  // namespace rnnkit
