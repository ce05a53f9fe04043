// N-API entry points of decoding: the fused steps decodeStep (decode.h) and seq2seqStep (seq2seq-step.h), and
// beam search's topIndices (top-indices.h).
#include <napi.h>

#include <algorithm>
#include <string>
#include <vector>

#include "addon-args.h"
#include "addon.h"
#include "decode.h"
#include "seq2seq-step.h"
#include "top-indices.h"

namespace rnnkit::binding {

namespace {

// info[0] of both steps: a non-empty Int32Array of token ids.
Napi::Int32Array tokensArg(const Napi::Value& v) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(v.Env(), "tokens must be an Int32Array");
  }
  auto tokens = v.As<Napi::Int32Array>();
  if (tokens.ElementLength() == 0) throw Napi::RangeError::New(v.Env(), "tokens is empty");
  return tokens;
}

// Every token must index a row of the embedding.
void checkTokens(const Napi::Int32Array& tokens, int vocab) {
  for (size_t n = 0; n < tokens.ElementLength(); ++n) {
    if (tokens[n] < 0 || tokens[n] >= vocab) {
      throw Napi::RangeError::New(tokens.Env(), "token " + std::to_string(tokens[n]) + " outside the vocabulary [0, " +
                                                    std::to_string(vocab) + ")");
    }
  }
}

// decodeStep(tokens: Int32Array, embedding, vocab, embedDim,
//            layers: { cell, units, kernel, recurrentKernel, bias|null, h, c|null }[],
//            dense, denseBias|null, outDim) → { logProbs: Float32Array [N*outDim], states: Float32Array[] }
// states: each layer's new h, then its new c for an LSTM, in layer order (the step model's state order).
Napi::Value DecodeStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto tokens = tokensArg(info[0]);
  const int N = static_cast<int>(tokens.ElementLength());
  rnnkit::DecodeModel m{};
  m.vocab = intArg(info, 2, "vocab");
  m.embedDim = intArg(info, 3, "embedDim");
  m.embedding = requiredFloats(info[1], static_cast<size_t>(m.vocab) * m.embedDim, "embedding");
  checkTokens(tokens, m.vocab);
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

// A non-negative int32 property of `o`.
int intField(const Napi::Object& o, const char* name) {
  Napi::Value v = o.Get(name);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(name) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 2147483647.0) || d != static_cast<int>(d)) {
    throw Napi::RangeError::New(o.Env(), std::string(name) + " must be a non-negative integer");
  }
  return static_cast<int>(d);
}

// A positive int32 property of `o`.
int positiveField(const Napi::Object& o, const char* name) {
  const int v = intField(o, name);
  if (v == 0) throw Napi::RangeError::New(o.Env(), std::string(name) + " must be >= 1");
  return v;
}

// seq2seqStep(tokens: Int32Array [N], h: [N*units], c: [N*units] | null, model) → { logProbs [N*outDim],
// attention [N*S], h [N*units], c [N*units] | null }. model: { vocab, embedDim, embedding, maskZero, cell,
// units, kernel, recurrentKernel, bias|null, attention (0 bahdanau, 1 dot, 2 general), S, valuesDim, values
// [N*S*valuesDim], srcMask [N*S]|null, attentionUnits, keys|null, queryKernel|null, queryBias|null,
// scoreVector|null, attentionalUnits, attentionalKernel, attentionalBias|null, outDim, outputKernel,
// outputBias|null }.
Napi::Value Seq2SeqStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto tokens = tokensArg(info[0]);
  const int N = static_cast<int>(tokens.ElementLength());
  if (!info[3].IsObject()) throw Napi::TypeError::New(env, "model must be an object");
  auto o = info[3].As<Napi::Object>();

  rnnkit::Seq2SeqStepModel m{};
  m.vocab = positiveField(o, "vocab");
  m.embedDim = positiveField(o, "embedDim");
  const size_t E = m.embedDim;
  m.embedding = requiredFloats(o.Get("embedding"), m.vocab * E, "embedding");
  m.maskZero = o.Get("maskZero").ToBoolean().Value();
  checkTokens(tokens, m.vocab);

  const int cellId = intField(o, "cell");
  if (cellId > 2) throw Napi::RangeError::New(env, "cell must be 0 (lstm), 1 (gru) or 2 (simple)");
  m.cell = static_cast<rnnkit::Cell>(cellId);
  m.U = positiveField(o, "units");
  const size_t U = m.U, GU = static_cast<size_t>(rnnkit::gateCount(m.cell)) * U, rows = N;
  m.kernel = requiredFloats(o.Get("kernel"), E * GU, "kernel");
  m.recurrentKernel = requiredFloats(o.Get("recurrentKernel"), U * GU, "recurrentKernel");
  m.bias = optionalFloats(o.Get("bias"), GU, "bias");
  const bool lstm = m.cell == rnnkit::Cell::LSTM;
  const float* h = requiredFloats(info[1], rows * U, "h");
  const float* c = lstm ? requiredFloats(info[2], rows * U, "c") : nullptr;

  const int kind = intField(o, "attention");
  if (kind > 2) throw Napi::RangeError::New(env, "attention must be 0 (bahdanau), 1 (dot) or 2 (general)");
  m.attention = static_cast<rnnkit::AttentionKind>(kind);
  m.S = positiveField(o, "S");
  m.Ev = positiveField(o, "valuesDim");
  const size_t S = m.S, Ev = m.Ev;
  m.values = requiredFloats(o.Get("values"), rows * S * Ev, "values");
  m.srcMask = optionalFloats(o.Get("srcMask"), rows * S, "srcMask");
  if (m.attention == rnnkit::AttentionKind::Bahdanau) {
    m.A = positiveField(o, "attentionUnits");
    const size_t A = m.A;
    m.keys = requiredFloats(o.Get("keys"), rows * S * A, "keys");
    m.queryKernel = requiredFloats(o.Get("queryKernel"), U * A, "queryKernel");
    m.queryBias = optionalFloats(o.Get("queryBias"), A, "queryBias");
    m.scoreVector = requiredFloats(o.Get("scoreVector"), A, "scoreVector");
  } else if (m.attention == rnnkit::AttentionKind::General) {
    m.queryKernel = requiredFloats(o.Get("queryKernel"), U * Ev, "queryKernel");
  } else if (Ev != U) {
    throw Napi::RangeError::New(env, "dot attention needs valuesDim (" + std::to_string(Ev) + ") equal to units (" +
                                         std::to_string(U) + ")");
  }

  m.Ua = positiveField(o, "attentionalUnits");
  const size_t Ua = m.Ua;
  m.attentionalKernel = requiredFloats(o.Get("attentionalKernel"), (Ev + U) * Ua, "attentionalKernel");
  m.attentionalBias = optionalFloats(o.Get("attentionalBias"), Ua, "attentionalBias");
  m.outDim = positiveField(o, "outDim");
  const size_t V = m.outDim;
  m.outputKernel = requiredFloats(o.Get("outputKernel"), Ua * V, "outputKernel");
  m.outputBias = optionalFloats(o.Get("outputBias"), V, "outputBias");

  auto logProbs = uninitializedFloats(env, rows * V);
  auto attention = uninitializedFloats(env, rows * S);
  auto hOut = uninitializedFloats(env, rows * U);
  Napi::Value cValue = env.Null();
  float* cData = nullptr;
  if (lstm) {
    auto cOut = uninitializedFloats(env, rows * U);
    cData = cOut.Data();
    cValue = cOut;
  }
  rnnkit::seq2seqStep(N, tokens.Data(), h, c, m, {logProbs.Data(), attention.Data(), hOut.Data(), cData});
  return objectOf(env, {{"logProbs", logProbs}, {"attention", attention}, {"h", hOut}, {"c", cValue}});
}

// topIndices(row: Float32Array, k) → Int32Array of at most k indices (see top-indices.h).
Napi::Value TopIndices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(env, "row must be a Float32Array");
  }
  auto row = info[0].As<Napi::Float32Array>();
  const int k = intArg(info, 1, "k");
  const int n = static_cast<int>(row.ElementLength());
  std::vector<int> top(static_cast<size_t>(std::min(k, n)));
  const int held = rnnkit::topIndices(row.Data(), n, static_cast<int>(top.size()), top.data());
  auto out = Napi::Int32Array::New(env, held);
  std::copy(top.begin(), top.begin() + held, out.Data());
  return out;
}

}  // namespace

void RegisterDecode(Napi::Env env, Napi::Object exports) {
  exportMethods(env, exports, {{"decodeStep", DecodeStep}, {"seq2seqStep", Seq2SeqStep}, {"topIndices", TopIndices}});
}

}  // namespace rnnkit::binding
