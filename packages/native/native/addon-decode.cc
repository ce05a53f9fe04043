// N-API entry point of the fused decoding step (decode.h): decodeStep.
#include <napi.h>

#include <string>

#include "addon-args.h"
#include "addon.h"
#include "decode.h"

namespace rnnkit::binding {

namespace {

// decodeStep(tokens: Int32Array, embedding, vocab, embedDim,
//            layers: { cell, units, kernel, recurrentKernel, bias|null, h, c|null }[],
//            dense, denseBias|null, outDim) → { logProbs: Float32Array [N*outDim], states: Float32Array[] }
// states: each layer's new h, then its new c for an LSTM, in layer order (the step model's state order).
Napi::Value DecodeStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(env, "tokens must be an Int32Array");
  }
  auto tokens = info[0].As<Napi::Int32Array>();
  const int N = static_cast<int>(tokens.ElementLength());
  if (N == 0) throw Napi::RangeError::New(env, "tokens is empty");
  rnnkit::DecodeModel m{};
  m.vocab = intArg(info, 2, "vocab");
  m.embedDim = intArg(info, 3, "embedDim");
  m.embedding = requiredFloats(info[1], static_cast<size_t>(m.vocab) * m.embedDim, "embedding");
  for (int n = 0; n < N; ++n) {
    if (tokens[n] < 0 || tokens[n] >= m.vocab) {
      throw Napi::RangeError::New(env, "token " + std::to_string(tokens[n]) + " outside the vocabulary [0, " +
                                           std::to_string(m.vocab) + ")");
    }
  }
  if (!info[4].IsArray()) throw Napi::TypeError::New(env, "layers must be an array");
  auto layers = info[4].As<Napi::Array>();
  auto states = Napi::Array::New(env);
  uint32_t stateIndex = 0;
  size_t D = m.embedDim;
  for (uint32_t i = 0; i < layers.Length(); ++i) {
    auto l = layers.Get(i).As<Napi::Object>();
    const int cellId = l.Get("cell").As<Napi::Number>().Int32Value();
    const int units = l.Get("units").As<Napi::Number>().Int32Value();
    if (cellId < 0 || cellId > 2) throw Napi::RangeError::New(env, "layer cell must be 0 (lstm), 1 (gru) or 2 (simple)");
    if (units <= 0) throw Napi::RangeError::New(env, "layer units must be >= 1");
    rnnkit::DecodeLayer layer{};
    layer.cell = static_cast<rnnkit::Cell>(cellId);
    layer.U = units;
    const size_t U = units, GU = static_cast<size_t>(rnnkit::gateCount(layer.cell)) * U;
    layer.kernel = requiredFloats(l.Get("kernel"), D * GU, "layer kernel");
    layer.recurrentKernel = requiredFloats(l.Get("recurrentKernel"), U * GU, "layer recurrentKernel");
    layer.bias = optionalFloats(l.Get("bias"), GU, "layer bias");
    layer.h = requiredFloats(l.Get("h"), N * U, "layer h");
    auto hOut = uninitializedFloats(env, N * U);
    layer.hOut = hOut.Data();
    states.Set(stateIndex++, hOut);
    if (layer.cell == rnnkit::Cell::LSTM) {
      layer.c = requiredFloats(l.Get("c"), N * U, "layer c");
      auto cOut = uninitializedFloats(env, N * U);
      layer.cOut = cOut.Data();
      states.Set(stateIndex++, cOut);
    }
    m.layers.push_back(layer);
    D = U;
  }
  m.outDim = intArg(info, 7, "outDim");
  if (m.outDim == 0) throw Napi::RangeError::New(env, "outDim must be >= 1");
  m.dense = requiredFloats(info[5], D * m.outDim, "dense");
  m.denseBias = optionalFloats(info[6], m.outDim, "denseBias");
  auto logProbs = uninitializedFloats(env, static_cast<size_t>(N) * m.outDim);
  rnnkit::decodeStep(N, tokens.Data(), m, logProbs.Data());
  return objectOf(env, {{"logProbs", logProbs}, {"states", states}});
}

}  // namespace

void RegisterDecode(Napi::Env env, Napi::Object exports) { exportMethods(env, exports, {{"decodeStep", DecodeStep}}); }

}  // namespace rnnkit::binding
