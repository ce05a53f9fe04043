#include "optimizer.h"

#include <cmath>

#include "simd.h"
#include "threadpool.h"

namespace rnnkit {

namespace {

// Below this many elements waking the second thread costs more than it saves: on the 2-core dev
// machine the serial loop was faster up to ~100K elements, and two threads up to 1.8x faster at 1M.
constexpr long PARALLEL_MIN = 1L << 17;

// GCC's default for C++ (-ffp-contract=fast) fuses a multiply and a later add into one FMA even
// across statements; that rounds once where tfjs rounds twice, so it is switched off for this loop.
// clang contracts only within a single expression, which the one-operation statements below avoid.
#if defined(__GNUC__) && !defined(__clang__)
#define RNNKIT_ROUND_EVERY_OP __attribute__((optimize("fp-contract=off")))
#else
#define RNNKIT_ROUND_EVERY_OP
#endif

// The scalars come by value: copies in registers, which the vectorizer can broadcast once. (GCC 12:
// all three clones stay vectorized, with no FMA in their disassembly.)
RNNKIT_SIMD RNNKIT_ROUND_EVERY_OP
void adamRange(const float* __restrict__ value, const float* __restrict__ gradient, const float* __restrict__ m,
               const float* __restrict__ v, long n, AdamScalars s, float* __restrict__ newValue,
               float* __restrict__ newM, float* __restrict__ newV) {
  for (long i = 0; i < n; ++i) {
    const float g = gradient[i];
    // tfjs: newFirstMoment = add(mul(m, beta1), mul(g, 1 - beta1))
    const float mDecayed = m[i] * s.beta1;
    const float mIncoming = g * s.oneMinusBeta1;
    const float mNew = mDecayed + mIncoming;
    // tfjs: newSecondMoment = add(mul(v, beta2), mul(square(g), 1 - beta2))
    const float vDecayed = v[i] * s.beta2;
    const float gSquared = g * g;
    const float vIncoming = gSquared * s.oneMinusBeta2;
    const float vNew = vDecayed + vIncoming;
    // tfjs: bias-corrected moments, then add(mul(div(mHat, add(sqrt(vHat), epsilon)), -lr), value)
    const float mHat = mNew / s.biasCorrection1;
    const float vHat = vNew / s.biasCorrection2;
    const float root = std::sqrt(vHat);
    const float denominator = root + s.epsilon;
    const float ratio = mHat / denominator;
    const float step = ratio * s.negLearningRate;
    newM[i] = mNew;
    newV[i] = vNew;
    newValue[i] = step + value[i];
  }
}

}  // namespace

void adamUpdate(const float* value, const float* gradient, const float* m, const float* v, long n, const AdamScalars& s,
                float* newValue, float* newM, float* newV) {
  ThreadPool& threads = pool();
  if (n < PARALLEL_MIN || threads.size() == 1) {
    adamRange(value, gradient, m, v, n, s, newValue, newM, newV);
    return;
  }
  const int parts = threads.size();
  threads.parallelFor(parts, [&](int t) {
    const long lo = n * t / parts, hi = n * (t + 1) / parts;
    adamRange(value + lo, gradient + lo, m + lo, v + lo, hi - lo, s, newValue + lo, newM + lo, newV + lo);
  });
}

}  // namespace rnnkit
