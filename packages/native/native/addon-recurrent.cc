// N-API entry points of the fused recurrent kernels (recurrent.h): rnnForward, rnnBackward and setInputFold.
#include <napi.h>

#include "addon-args.h"
#include "addon.h"
#include "recurrent.h"

namespace rnnkit::binding {

namespace {

// Shared argument parsing of rnnForward/rnnBackward:
// (cell, x, h0|null, c0|null, kernel, recurrentKernel, bias|null, mask|null, B, T, D, U, goBackwards)
rnnkit::RnnInputs parseRnn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int cellId = intArg(info, 0, "cell");
  if (cellId > 2) throw Napi::RangeError::New(env, "cell must be 0 (lstm), 1 (gru) or 2 (simple)");
  rnnkit::RnnInputs in{};
  in.cell = static_cast<Cell>(cellId);
  in.s = {intArg(info, 8, "B"), intArg(info, 9, "T"), intArg(info, 10, "D"), intArg(info, 11, "U")};
  const size_t B = in.s.B, T = in.s.T, D = in.s.D, U = in.s.U;
  const size_t GU = static_cast<size_t>(rnnkit::gateCount(in.cell)) * U;
  if (B == 0 || T == 0 || U == 0) throw Napi::RangeError::New(env, "B, T and U must be >= 1");
  in.x = requiredFloats(info[1], B * T * D, "x");
  in.h0 = optionalFloats(info[2], B * U, "h0");
  in.c0 = in.cell == Cell::LSTM ? optionalFloats(info[3], B * U, "c0") : nullptr;
  in.kernel = requiredFloats(info[4], D * GU, "kernel");
  in.recurrentKernel = requiredFloats(info[5], U * GU, "recurrentKernel");
  in.bias = optionalFloats(info[6], GU, "bias");
  in.mask = optionalFloats(info[7], B * T, "mask");
  in.goBackwards = info[12].ToBoolean();
  return in;
}

// rnnForward(...shared, save: boolean) → { outputs, h, c|null, saved|null }
Napi::Value RnnForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const rnnkit::RnnInputs in = parseRnn(info);
  const bool save = info[13].ToBoolean();
  const size_t B = in.s.B, T = in.s.T, U = in.s.U;
  auto outputs = uninitializedFloats(env, B * T * U);
  auto h = uninitializedFloats(env, B * U);
  auto result = Napi::Object::New(env);
  rnnkit::RnnOutputs out{outputs.Data(), h.Data(), nullptr, nullptr};
  if (in.cell == Cell::LSTM) {
    auto c = uninitializedFloats(env, B * U);
    out.c = c.Data();
    result.Set("c", c);
  } else {
    result.Set("c", env.Null());
  }
  if (save) {
    auto saved = uninitializedFloats(env, rnnkit::savedSize(in.cell, in.s));
    out.saved = saved.Data();
    result.Set("saved", saved);
  } else {
    result.Set("saved", env.Null());
  }
  rnnkit::rnnForward(in, out);
  result.Set("outputs", outputs);
  result.Set("h", h);
  return result;
}

// rnnBackward(...shared, saved, dOutputs|null, dH|null, dC|null) → { dx, dh0, dc0|null, dKernel, dRecurrentKernel, dBias }
Napi::Value RnnBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const rnnkit::RnnInputs in = parseRnn(info);
  const size_t B = in.s.B, T = in.s.T, D = in.s.D, U = in.s.U;
  const size_t GU = static_cast<size_t>(rnnkit::gateCount(in.cell)) * U;
  const float* saved = requiredFloats(info[13], rnnkit::savedSize(in.cell, in.s), "saved");
  const float* dOutputs = optionalFloats(info[14], B * T * U, "dOutputs");
  const float* dH = optionalFloats(info[15], B * U, "dH");
  const float* dC = in.cell == Cell::LSTM ? optionalFloats(info[16], B * U, "dC") : nullptr;
  auto dx = uninitializedFloats(env, B * T * D);
  auto dh0 = uninitializedFloats(env, B * U);
  auto dKernel = uninitializedFloats(env, D * GU);
  auto dRecurrent = uninitializedFloats(env, U * GU);
  auto dBias = uninitializedFloats(env, GU);
  auto result = Napi::Object::New(env);
  rnnkit::RnnGradients g{dx.Data(), dh0.Data(), nullptr, dKernel.Data(), dRecurrent.Data(), dBias.Data()};
  if (in.cell == Cell::LSTM) {
    auto dc0 = uninitializedFloats(env, B * U);
    g.dc0 = dc0.Data();
    result.Set("dc0", dc0);
  } else {
    result.Set("dc0", env.Null());
  }
  rnnkit::rnnBackward(in, saved, dOutputs, dH, dC, g);
  result.Set("dx", dx);
  result.Set("dh0", dh0);
  result.Set("dKernel", dKernel);
  result.Set("dRecurrentKernel", dRecurrent);
  result.Set("dBias", dBias);
  return result;
}

// setInputFold(on: boolean): lets the recurrent forward fold the input projection into each
// step's product (the default) or not. Used by tests and benches.
Napi::Value SetInputFold(const Napi::CallbackInfo& info) {
  rnnkit::setInputFold(info[0].ToBoolean());
  return info.Env().Undefined();
}

}  // namespace

void RegisterRecurrent(Napi::Env env, Napi::Object exports) {
  exportMethods(env, exports, {{"rnnForward", RnnForward}, {"rnnBackward", RnnBackward}, {"setInputFold", SetInputFold}});
}

}  // namespace rnnkit::binding
