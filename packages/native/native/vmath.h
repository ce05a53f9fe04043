// Branch-free float approximations of exp, log, sigmoid and tanh that the compiler can vectorize.
// libm's expf/tanhf are scalar calls; the gate math of a recurrent step applies them to every
// unit of every row, which would otherwise dominate the step time. Accuracy is a few ulp
// (relative error below 1e-6), far inside the 1e-4 parity budget against tfjs's float64 math.
#pragma once
#include <cstdint>
#include <cstring>

#include "simd.h"

namespace rnnkit {

// Inputs outside [-87, 88] are clamped (2^n must stay a normal float): exp saturates at ~1.6e38 and
// ~1.6e-38 there, which is harmless inside sigmoid/tanh/softmax; the Exp kernel fixes those lanes up
// exactly. NaN propagates.
RNNKIT_INLINE float fastExp(float x) {
  const float input = x;
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  // n = round(x / ln 2) using the 1.5 * 2^23 trick (exact for |v| < 2^22, vectorizes everywhere).
  const float shifter = 12582912.0f;
  float n = (x * 1.44269504088896341f + shifter) - shifter;
  // r = x - n ln2, with ln2 split in a high part exact in float and a low correction.
  float r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  // exp(r) on |r| <= ln2/2 by its Taylor series to degree 7 (truncation error < 1e-8).
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return input != input ? input : p * scale;
}

RNNKIT_INLINE float fastSigmoid(float x) { return 1.0f / (1.0f + fastExp(-x)); }

RNNKIT_INLINE float fastTanh(float x) {
  float ax = x < 0 ? -x : x;
  // Large |x|: tanh = (1 - e^{-2|x|}) / (1 + e^{-2|x|}), no overflow.
  float e = fastExp(-2.0f * ax);
  float big = (1.0f - e) / (1.0f + e);
  big = x < 0 ? -big : big;
  // Small |x|: the subtraction above cancels, so use the odd Taylor series (error < 1e-8 at 0.25).
  float x2 = x * x;
  float p = 62.0f / 2835.0f;
  p = p * x2 - 17.0f / 315.0f;
  p = p * x2 + 2.0f / 15.0f;
  p = p * x2 - 1.0f / 3.0f;
  p = p * x2 + 1.0f;
  float small = x * p;
  return ax < 0.25f || x != x ? small : big;  // NaN: the polynomial propagates it
}

// Natural log of a positive normal float (relative error below 1e-7). Zero, negatives, denormals,
// Infinity and NaN are not handled: the Log kernel recomputes those lanes with std::log.
RNNKIT_INLINE float fastLog(float x) {
  int32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  // x = m * 2^e with m in [1, 2), then m moved to [sqrt(1/2), sqrt(2)) so that |m - 1| <= 0.415.
  const int32_t mantissaBits = (bits & 0x007fffff) | 0x3f800000;
  float m;
  std::memcpy(&m, &mantissaBits, sizeof m);
  float e = static_cast<float>(((bits >> 23) & 0xff) - 127);
  const bool high = m > 1.41421356f;
  m = high ? 0.5f * m : m;
  e = high ? e + 1.0f : e;
  // log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.172: odd series to s^9 (truncation < 1e-9).
  const float s = (m - 1.0f) / (m + 1.0f);
  const float s2 = s * s;
  float p = 1.0f / 9.0f;
  p = p * s2 + 1.0f / 7.0f;
  p = p * s2 + 1.0f / 5.0f;
  p = p * s2 + 1.0f / 3.0f;
  p = p * s2 + 1.0f;
  // e * ln2 with ln2 split in a high part exact in float and a low correction.
  return e * 0.693359375f - e * 2.12194440e-4f + 2.0f * s * p;
}

}  // namespace rnnkit
