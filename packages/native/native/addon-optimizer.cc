// N-API entry points of the fused optimizer updates (optimizer.h): adamUpdate.
#include <napi.h>

#include "addon-args.h"
#include "addon.h"
#include "optimizer.h"

namespace rnnkit::binding {

namespace {

// adamUpdate(value, gradient, m, v, learningRate, beta1, beta2, epsilon, biasCorrection1, biasCorrection2)
//   → { value, m, v }, three new Float32Arrays (the inputs are tfjs tensor data and stay untouched).
// The scalars are rounded to float32 here the way tfjs rounds them: each becomes a float32 scalar,
// and 1 - beta and -learningRate are computed in double first, as tfjs computes them in JS.
Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "value must be a Float32Array");
  const size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  const float* value = requiredFloats(info[0], n, "value");
  const float* gradient = requiredFloats(info[1], n, "gradient");
  const float* m = requiredFloats(info[2], n, "m");
  const float* v = requiredFloats(info[3], n, "v");
  const double learningRate = numberArg(info, 4, "learningRate");
  const double beta1 = numberArg(info, 5, "beta1"), beta2 = numberArg(info, 6, "beta2");
  const double epsilon = numberArg(info, 7, "epsilon");
  const double biasCorrection1 = numberArg(info, 8, "biasCorrection1");
  const double biasCorrection2 = numberArg(info, 9, "biasCorrection2");
  const auto f32 = [](double x) { return static_cast<float>(x); };
  const rnnkit::AdamScalars s{f32(beta1),   f32(1.0 - beta1),   f32(beta2),           f32(1.0 - beta2),
                              f32(epsilon), f32(-learningRate), f32(biasCorrection1), f32(biasCorrection2)};
  auto newValue = uninitializedFloats(env, n);
  auto newM = uninitializedFloats(env, n);
  auto newV = uninitializedFloats(env, n);
  rnnkit::adamUpdate(value, gradient, m, v, static_cast<long>(n), s, newValue.Data(), newM.Data(), newV.Data());
  return objectOf(env, {{"value", newValue}, {"m", newM}, {"v", newV}});
}

}  // namespace

void RegisterOptimizer(Napi::Env env, Napi::Object exports) {
  exportMethods(env, exports, {{"adamUpdate", AdamUpdate}});
}

}  // namespace rnnkit::binding
