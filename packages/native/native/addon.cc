// N-API surface of the addon. Every entry point validates array lengths against the shapes it is
// given before touching memory, because a wrong shape from JS must be an exception, not a crash.
#include <napi.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cmath>
#include <string>
#include <vector>

#include "attention.h"
#include "elementwise.h"
#include "gemm.h"
#include "optimizer.h"
#include "recurrent.h"
#include "simd.h"
#include "threadpool.h"

namespace {

using rnnkit::Cell;

const float* optionalFloats(const Napi::Value& v, size_t expected, const char* name) {
  if (v.IsNull() || v.IsUndefined()) return nullptr;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(v.Env(), std::string(name) + " must be a Float32Array");
  }
  auto arr = v.As<Napi::Float32Array>();
  if (arr.ElementLength() != expected) {
    throw Napi::RangeError::New(v.Env(), std::string(name) + " has " + std::to_string(arr.ElementLength()) +
                                             " elements, expected " + std::to_string(expected));
  }
  return arr.Data();
}

const float* requiredFloats(const Napi::Value& v, size_t expected, const char* name) {
  const float* p = optionalFloats(v, expected, name);
  if (!p && expected > 0) throw Napi::TypeError::New(v.Env(), std::string(name) + " is required");
  return p;
}

int intArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  const int v = info[i].As<Napi::Number>().Int32Value();
  if (v < 0) throw Napi::RangeError::New(info.Env(), std::string(name) + " must be >= 0");
  return v;
}

Napi::Float32Array newFloats(Napi::Env env, size_t n) { return Napi::Float32Array::New(env, n); }

// A Float32Array over node::Buffer memory, which Node leaves uninitialized, unlike newFloats' zero-filled
// ArrayBuffer. Only for outputs that the kernel overwrites completely (elementwise results, GEMM with
// beta 0, every recurrent output): zero-filling them was 4-9% of a training step (the fused Adam's three
// outputs alone cost ~3 ms per seq2seq step). Outputs that kernels accumulate into keep newFloats.
Napi::Float32Array uninitializedFloats(Napi::Env env, size_t n) {
  auto bytes = Napi::Buffer<uint8_t>::New(env, n * sizeof(float));
  return Napi::Float32Array::New(env, n, bytes.ArrayBuffer(), bytes.ByteOffset());
}

const char* simdLevel() {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return "avx512";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "avx2";
  return "sse2";
#else
  return "generic";
#endif
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto obj = Napi::Object::New(env);
  obj.Set("gemm", rnnkit::gemmName(rnnkit::gemmImpl()));
  obj.Set("openblas", rnnkit::openblasCompiledIn());
  obj.Set("threads", rnnkit::pool().size());
  obj.Set("simd", simdLevel());
  return obj;
}

// setGemm('openblas' | 'portable') → boolean (false if not compiled in). Used by tests and benches.
Napi::Value SetGemm(const Napi::CallbackInfo& info) {
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  bool ok = false;
  if (name == "openblas") ok = rnnkit::setGemmImpl(rnnkit::GemmImpl::OpenBLAS);
  else if (name == "portable") ok = rnnkit::setGemmImpl(rnnkit::GemmImpl::Portable);
  return Napi::Boolean::New(info.Env(), ok);
}

enum Activation { Linear = 0, Relu = 1, Relu6 = 2, Sigmoid = 3, LeakyRelu = 4, Elu = 5 };

// matmul(a, b, batchA, batchB, M, N, K, transA, transB, bias|null, activation, leakyAlpha)
// a holds batchA matrices op(a) of [M,K]; b holds batchB of [K,N]; the output has
// max(batchA, batchB) matrices, matrix i using a[i % batchA] and b[i % batchB] (tfjs's rule).
// bias has 1 or N elements and is added to every row; activation is applied last.
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int batchA = intArg(info, 2, "batchA"), batchB = intArg(info, 3, "batchB");
  const int M = intArg(info, 4, "M"), N = intArg(info, 5, "N"), K = intArg(info, 6, "K");
  const bool transA = info[7].ToBoolean(), transB = info[8].ToBoolean();
  if (batchA == 0 || batchB == 0) throw Napi::RangeError::New(env, "batch sizes must be >= 1");
  const size_t aSize = static_cast<size_t>(M) * K, bSize = static_cast<size_t>(K) * N;
  const float* a = requiredFloats(info[0], aSize * batchA, "a");
  const float* b = requiredFloats(info[1], bSize * batchB, "b");
  size_t biasLen = 0;
  if (!info[9].IsNull() && !info[9].IsUndefined()) {
    biasLen = info[9].As<Napi::TypedArray>().ElementLength();
    if (biasLen != 1 && biasLen != static_cast<size_t>(N)) {
      throw Napi::RangeError::New(env, "bias must have 1 or N elements");
    }
  }
  const float* bias = optionalFloats(info[9], biasLen, "bias");
  const int act = info[10].IsNumber() ? info[10].As<Napi::Number>().Int32Value() : Linear;
  const float leakyAlpha = info[11].IsNumber() ? info[11].As<Napi::Number>().FloatValue() : 0.2f;

  const int batch = batchA > batchB ? batchA : batchB;
  const size_t cSize = static_cast<size_t>(M) * N;
  auto out = uninitializedFloats(env, cSize * batch);
  float* c = out.Data();
  const int lda = transA ? M : K, ldb = transB ? K : N;
  for (int i = 0; i < batch; ++i) {
    rnnkit::sgemm(transA, transB, M, N, K, 1.0f, a + (i % batchA) * aSize, lda, b + (i % batchB) * bSize, ldb,
                  0.0f, c + i * cSize, N);
  }
  if (bias || act != Linear) {
    const size_t total = cSize * batch;
    for (size_t e = 0; e < total; ++e) {
      float v = c[e];
      if (bias) v += bias[biasLen == 1 ? 0 : e % N];
      switch (act) {
        case Relu: v = v > 0 ? v : 0; break;
        case Relu6: v = v < 0 ? 0 : (v > 6 ? 6 : v); break;
        case Sigmoid: v = 1.0f / (1.0f + std::exp(-v)); break;
        case LeakyRelu: v = v > 0 ? v : leakyAlpha * v; break;
        case Elu: v = v > 0 ? v : std::expm1(v); break;
        default: break;
      }
      c[e] = v;
    }
  }
  return out;
}

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

std::vector<int> shapeArg(const Napi::Value& v, const char* name) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string(name) + " must be an array of dimensions");
  auto arr = v.As<Napi::Array>();
  std::vector<int> shape(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    const int d = arr.Get(i).As<Napi::Number>().Int32Value();
    if (d < 0) throw Napi::RangeError::New(v.Env(), std::string(name) + " has a negative dimension");
    shape[i] = d;
  }
  return shape;
}

size_t sizeOf(const std::vector<int>& shape) {
  size_t n = 1;
  for (int d : shape) n *= static_cast<size_t>(d);
  return n;
}

// Validates that aShape and bShape broadcast to outShape (each dim equal or 1, right-aligned).
void checkBroadcast(Napi::Env env, const std::vector<int>& aShape, const std::vector<int>& bShape,
                    const std::vector<int>& outShape) {
  for (const auto* in : {&aShape, &bShape}) {
    if (in->size() > outShape.size()) throw Napi::RangeError::New(env, "input rank exceeds output rank");
    for (size_t i = 0; i < in->size(); ++i) {
      const int d = (*in)[i], o = outShape[outShape.size() - in->size() + i];
      if (d != o && d != 1) throw Napi::RangeError::New(env, "shapes do not broadcast to outShape");
    }
  }
}

const uint8_t* requiredBytes(const Napi::Value& v, size_t expected, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(v.Env(), std::string(name) + " must be a Uint8Array");
  }
  auto arr = v.As<Napi::Uint8Array>();
  if (arr.ElementLength() != expected) throw Napi::RangeError::New(v.Env(), std::string(name) + " has the wrong length");
  return arr.Data();
}

// The broadcasting entry points share one argument layout, (op, a, aShape, b, bShape, outShape), and
// its checks; they differ in element types and kernel.
struct BroadcastArgs {
  int op;
  std::vector<int> aShape, bShape, outShape;
};

BroadcastArgs broadcastArgs(const Napi::CallbackInfo& info, int lastOp, const char* kind) {
  Napi::Env env = info.Env();
  const int op = intArg(info, 0, "op");
  if (op > lastOp) throw Napi::RangeError::New(env, std::string("unknown ") + kind + " op");
  BroadcastArgs args{op, shapeArg(info[2], "aShape"), shapeArg(info[4], "bShape"), shapeArg(info[5], "outShape")};
  checkBroadcast(env, args.aShape, args.bShape, args.outShape);
  return args;
}

// binary(op, a, aShape, b, bShape, outShape): broadcasting elementwise op (codes: BinaryOp).
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const auto c = broadcastArgs(info, static_cast<int>(rnnkit::BinaryOp::SquaredDiff), "binary");
  const float* a = requiredFloats(info[1], sizeOf(c.aShape), "a");
  const float* b = requiredFloats(info[3], sizeOf(c.bShape), "b");
  auto out = uninitializedFloats(info.Env(), sizeOf(c.outShape));
  rnnkit::binaryBroadcast(static_cast<rnnkit::BinaryOp>(c.op), a, c.aShape, b, c.bShape, c.outShape, out.Data());
  return out;
}

// compare(op, a, aShape, b, bShape, outShape) → Uint8Array of 0/1 (codes: CompareOp).
Napi::Value Compare(const Napi::CallbackInfo& info) {
  const auto c = broadcastArgs(info, static_cast<int>(rnnkit::CompareOp::NotEqual), "compare");
  const float* a = requiredFloats(info[1], sizeOf(c.aShape), "a");
  const float* b = requiredFloats(info[3], sizeOf(c.bShape), "b");
  auto out = Napi::Uint8Array::New(info.Env(), sizeOf(c.outShape));
  rnnkit::compareBroadcast(static_cast<rnnkit::CompareOp>(c.op), a, c.aShape, b, c.bShape, c.outShape, out.Data());
  return out;
}

// logical(op, a, aShape, b, bShape, outShape) on bool (Uint8Array) tensors; op 0 = and, 1 = or.
Napi::Value Logical(const Napi::CallbackInfo& info) {
  const auto c = broadcastArgs(info, 1, "logical");
  const uint8_t* a = requiredBytes(info[1], sizeOf(c.aShape), "a");
  const uint8_t* b = requiredBytes(info[3], sizeOf(c.bShape), "b");
  auto out = Napi::Uint8Array::New(info.Env(), sizeOf(c.outShape));
  rnnkit::logicalBroadcast(static_cast<rnnkit::LogicalOp>(c.op), a, c.aShape, b, c.bShape, c.outShape, out.Data());
  return out;
}

// select(cond: Uint8Array, t, e) over equal-length arrays.
Napi::Value Select(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  const uint8_t* cond = requiredBytes(info[0], n, "condition");
  const float* t = requiredFloats(info[1], n, "t");
  const float* e = requiredFloats(info[2], n, "e");
  auto out = uninitializedFloats(env, n);
  rnnkit::selectSame(cond, t, e, static_cast<long>(n), out.Data());
  return out;
}

// sumAxes(x, shape, axes): sum over the listed axes; returns the kept dims' values.
Napi::Value SumAxes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto shape = shapeArg(info[1], "shape"), axes = shapeArg(info[2], "axes");
  std::vector<bool> reduced(shape.size(), false);
  for (int a : axes) {
    if (a >= static_cast<int>(shape.size())) throw Napi::RangeError::New(env, "axis out of range");
    reduced[a] = true;
  }
  const float* x = requiredFloats(info[0], sizeOf(shape), "x");
  size_t outSize = 1;
  for (size_t i = 0; i < shape.size(); ++i) if (!reduced[i]) outSize *= shape[i];
  auto out = newFloats(env, outSize);
  if (sizeOf(shape) == 0) {
    std::fill(out.Data(), out.Data() + outSize, 0.0f);
  } else {
    rnnkit::sumAxes(x, shape, reduced, out.Data());
  }
  return out;
}

// unary(op, x) (codes: UnaryOp).
Napi::Value Unary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int op = intArg(info, 0, "op");
  if (op > static_cast<int>(rnnkit::UnaryOp::Relu)) throw Napi::RangeError::New(env, "unknown unary op");
  const size_t n = info[1].As<Napi::TypedArray>().ElementLength();
  const float* x = requiredFloats(info[1], n, "x");
  auto out = uninitializedFloats(env, n);
  rnnkit::unary(static_cast<rnnkit::UnaryOp>(op), x, static_cast<long>(n), out.Data());
  return out;
}

// slice(x, shape, begin, size)
Napi::Value Slice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto shape = shapeArg(info[1], "shape"), begin = shapeArg(info[2], "begin"), size = shapeArg(info[3], "size");
  if (begin.size() != shape.size() || size.size() != shape.size()) {
    throw Napi::RangeError::New(env, "begin and size need one entry per dimension");
  }
  for (size_t i = 0; i < shape.size(); ++i) {
    if (begin[i] + size[i] > shape[i]) throw Napi::RangeError::New(env, "slice out of bounds");
  }
  const float* x = requiredFloats(info[0], sizeOf(shape), "x");
  auto out = uninitializedFloats(env, sizeOf(size));
  rnnkit::slice(x, shape, begin, size, out.Data());
  return out;
}

// softmax(x, rows, cols): softmax over the last axis.
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int rows = intArg(info, 1, "rows"), cols = intArg(info, 2, "cols");
  if (cols == 0) throw Napi::RangeError::New(env, "cols must be >= 1");
  const float* x = requiredFloats(info[0], static_cast<size_t>(rows) * cols, "x");
  auto out = uninitializedFloats(env, static_cast<size_t>(rows) * cols);
  rnnkit::softmaxRows(x, rows, cols, out.Data());
  return out;
}

// gather(params, paramRows, rowSize, indices: Int32Array): rows of params.
Napi::Value Gather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int paramRows = intArg(info, 1, "paramRows"), rowSize = intArg(info, 2, "rowSize");
  const float* params = requiredFloats(info[0], static_cast<size_t>(paramRows) * rowSize, "params");
  if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(env, "indices must be an Int32Array");
  }
  auto indices = info[3].As<Napi::Int32Array>();
  const int count = static_cast<int>(indices.ElementLength());
  auto out = uninitializedFloats(env, static_cast<size_t>(count) * rowSize);
  if (!rnnkit::gatherRows(params, paramRows, rowSize, indices.Data(), count, out.Data())) {
    throw Napi::RangeError::New(env, "gather index out of range [0, " + std::to_string(paramRows) + ")");
  }
  return out;
}

// transpose(x, shape, perm)
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto shape = shapeArg(info[1], "shape"), perm = shapeArg(info[2], "perm");
  if (perm.size() != shape.size()) throw Napi::RangeError::New(env, "perm must have one entry per dimension");
  std::vector<bool> seen(shape.size(), false);
  for (int p : perm) {
    if (p >= static_cast<int>(shape.size()) || seen[p]) throw Napi::RangeError::New(env, "perm is not a permutation");
    seen[p] = true;
  }
  const float* x = requiredFloats(info[0], sizeOf(shape), "x");
  auto out = uninitializedFloats(env, sizeOf(shape));
  rnnkit::transpose(x, shape, perm, out.Data());
  return out;
}

// ---- Additive attention scores (attention.h), concat and softmax gradient (elementwise.h) --------

struct ScoreArgs {
  rnnkit::ScoreShape s;
  const float* q;
  const float* k;
  const float* v;
};

// Shared argument parsing of additiveScores/additiveScoresBackward: (q, k, v, B, Tq, S, U, ...)
ScoreArgs parseScoreArgs(const Napi::CallbackInfo& info) {
  ScoreArgs a{};
  a.s = {intArg(info, 3, "B"), intArg(info, 4, "Tq"), intArg(info, 5, "S"), intArg(info, 6, "U")};
  const size_t B = a.s.B, Tq = a.s.Tq, S = a.s.S, U = a.s.U;
  a.q = requiredFloats(info[0], B * Tq * U, "query");
  a.k = requiredFloats(info[1], B * S * U, "keys");
  a.v = requiredFloats(info[2], U, "scoreVector");
  return a;
}

// additiveScores(q, k, v, B, Tq, S, U) → scores [B*Tq*S]
Napi::Value AdditiveScores(const Napi::CallbackInfo& info) {
  const ScoreArgs a = parseScoreArgs(info);
  auto scores = newFloats(info.Env(), static_cast<size_t>(a.s.B) * a.s.Tq * a.s.S);
  rnnkit::additiveScores(a.q, a.k, a.v, a.s, scores.Data());
  return scores;
}

// additiveScoresBackward(q, k, v, B, Tq, S, U, dScores) → { dq, dk, dv }
Napi::Value AdditiveScoresBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ScoreArgs a = parseScoreArgs(info);
  const size_t B = a.s.B, Tq = a.s.Tq, S = a.s.S, U = a.s.U;
  const float* dScores = requiredFloats(info[7], B * Tq * S, "dScores");
  auto dq = newFloats(env, B * Tq * U);
  auto dk = newFloats(env, B * S * U);
  auto dv = newFloats(env, U);
  rnnkit::additiveScoresBackward(a.q, a.k, a.v, dScores, a.s, dq.Data(), dk.Data(), dv.Data());
  auto result = Napi::Object::New(env);
  result.Set("dq", dq);
  result.Set("dk", dk);
  result.Set("dv", dv);
  return result;
}

// concat(parts: TypedArray[], rows) → ArrayBuffer: each part holds `rows` equal rows (of any element type);
// output row r is row r of every part in turn. The caller views the result with the parts' element type.
Napi::Value Concat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "parts must be an array of typed arrays");
  auto list = info[0].As<Napi::Array>();
  const int rows = intArg(info, 1, "rows");
  if (rows == 0) throw Napi::RangeError::New(env, "rows must be >= 1");
  std::vector<const uint8_t*> parts(list.Length());
  std::vector<size_t> rowBytes(list.Length());
  size_t total = 0;
  for (uint32_t i = 0; i < list.Length(); ++i) {
    const Napi::Value v = list.Get(i);
    if (!v.IsTypedArray()) throw Napi::TypeError::New(env, "part " + std::to_string(i) + " is not a typed array");
    auto part = v.As<Napi::TypedArray>();
    if (part.ByteLength() % rows != 0) {
      throw Napi::RangeError::New(env, "part " + std::to_string(i) + " does not split into " + std::to_string(rows) + " rows");
    }
    parts[i] = static_cast<const uint8_t*>(part.ArrayBuffer().Data()) + part.ByteOffset();
    rowBytes[i] = part.ByteLength() / rows;
    total += part.ByteLength();
  }
  auto out = Napi::ArrayBuffer::New(env, total);
  rnnkit::concatRows(parts, rowBytes, rows, static_cast<uint8_t*>(out.Data()));
  return out;
}

// softmaxGrad(y, dy, rows, cols) → dx: gradient of the softmax over the last axis of a [rows, cols] view.
Napi::Value SoftmaxGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int rows = intArg(info, 2, "rows"), cols = intArg(info, 3, "cols");
  const size_t n = static_cast<size_t>(rows) * cols;
  const float* y = requiredFloats(info[0], n, "y");
  const float* dy = requiredFloats(info[1], n, "dy");
  auto dx = newFloats(env, n);
  rnnkit::softmaxGradRows(y, dy, rows, cols, dx.Data());
  return dx;
}

// ---- end of attention scores, concat and softmax gradient -------------------------------------------

// ---- Fused optimizer updates (optimizer.h) ----------------------------------------------------------

double numberArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}


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
  auto result = Napi::Object::New(env);
  result.Set("value", newValue);
  result.Set("m", newM);
  result.Set("v", newV);
  return result;
}

// ---- end of fused optimizer updates -----------------------------------------------------------------

// Training allocates the same large buffers every step (tfjs tensor data, saved activations). glibc
// serves blocks above its mmap threshold with fresh mmap()s, so each step paid thousands of page
// faults (and the kernel's zeroing) for memory it had just returned. Raising the threshold to its
// maximum and never trimming keeps that memory in the heap for reuse: the process keeps its peak
// footprint in exchange for ~3,000 fewer page faults per step on the mnist workload.
void keepFreedMemoryForReuse() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);  // glibc's upper limit for this setting
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  keepFreedMemoryForReuse();
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("compare", Napi::Function::New(env, Compare));
  exports.Set("logical", Napi::Function::New(env, Logical));
  exports.Set("select", Napi::Function::New(env, Select));
  exports.Set("sumAxes", Napi::Function::New(env, SumAxes));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("slice", Napi::Function::New(env, Slice));
  exports.Set("gather", Napi::Function::New(env, Gather));
  exports.Set("transpose", Napi::Function::New(env, Transpose));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setGemm", Napi::Function::New(env, SetGemm));
  exports.Set("matmul", Napi::Function::New(env, Matmul));
  exports.Set("rnnForward", Napi::Function::New(env, RnnForward));
  exports.Set("rnnBackward", Napi::Function::New(env, RnnBackward));
  exports.Set("additiveScores", Napi::Function::New(env, AdditiveScores));
  exports.Set("additiveScoresBackward", Napi::Function::New(env, AdditiveScoresBackward));
  exports.Set("concat", Napi::Function::New(env, Concat));
  exports.Set("softmaxGrad", Napi::Function::New(env, SoftmaxGrad));
  exports.Set("adamUpdate", Napi::Function::New(env, AdamUpdate));
  return exports;
}

}  // namespace

NODE_API_MODULE(rnnkit_native, Init)
