// Fused optimizer updates. tfjs's Adam runs about a dozen elementwise ops per variable, each a full
// pass over memory into a freshly allocated tensor; with embedding-sized variables that is over a
// third of a training step (seq2seq-attn benchmark). One pass per variable reads value, gradient
// and both moments once and writes the three new arrays once.
#pragma once

namespace rnnkit {

// Scalars of one Adam step, already rounded to float32 the way tfjs rounds them (each JS number
// becomes a float32 scalar tensor; 1 - beta is computed in double before that rounding).
struct AdamScalars {
  float beta1, oneMinusBeta1;
  float beta2, oneMinusBeta2;
  float epsilon;
  float negLearningRate;
  // 1 - beta1^t and 1 - beta2^t, computed by tfjs's optimizer state in float32.
  float biasCorrection1, biasCorrection2;
};

// For i in [0, n):
//   newM = beta1 m + (1 - beta1) g
//   newV = beta2 v + (1 - beta2) g^2
//   newValue = value - lr * (newM / bc1) / (sqrt(newV / bc2) + epsilon)
// with tfjs 4.22 AdamOptimizer's float32 operations in its order (every one rounded, no FMA), so the
// results match tfjs bit for bit. Outputs must not overlap the inputs. Large arrays are split over
// the thread pool.
void adamUpdate(const float* value, const float* gradient, const float* m, const float* v, long n, const AdamScalars& s,
                float* newValue, float* newM, float* newV);

}  // namespace rnnkit
