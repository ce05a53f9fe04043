// N-API surface of the addon. Every entry point validates array lengths against the shapes it is
// given before touching memory, because a wrong shape from JS must be an exception, not a crash.
#include <napi.h>

#include <cmath>
#include <string>

#include "gemm.h"
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
  auto out = newFloats(env, cSize * batch);
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

// rnnForward(...shared, save: boolean) → { packed, saved|null }
// packed = [outputs (B*T*U) | h (B*U) | c (B*U, LSTM only)] in one buffer, so the JS side can
// expose it as a single tensor (tf.customGrad ops have exactly one output) and slice views off it.
Napi::Value RnnForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const rnnkit::RnnInputs in = parseRnn(info);
  const bool save = info[13].ToBoolean();
  const size_t B = in.s.B, T = in.s.T, U = in.s.U;
  const size_t states = in.cell == Cell::LSTM ? 2 : 1;
  auto packed = newFloats(env, B * T * U + states * B * U);
  auto result = Napi::Object::New(env);
  float* base = packed.Data();
  rnnkit::RnnOutputs out{base, base + B * T * U, in.cell == Cell::LSTM ? base + B * T * U + B * U : nullptr, nullptr};
  if (save) {
    auto saved = newFloats(env, rnnkit::savedSize(in.cell, in.s));
    out.saved = saved.Data();
    result.Set("saved", saved);
  } else {
    result.Set("saved", env.Null());
  }
  rnnkit::rnnForward(in, out);
  result.Set("packed", packed);
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
  auto dx = newFloats(env, B * T * D);
  auto dh0 = newFloats(env, B * U);
  auto dKernel = newFloats(env, D * GU);
  auto dRecurrent = newFloats(env, U * GU);
  auto dBias = newFloats(env, GU);
  auto result = Napi::Object::New(env);
  rnnkit::RnnGradients g{dx.Data(), dh0.Data(), nullptr, dKernel.Data(), dRecurrent.Data(), dBias.Data()};
  if (in.cell == Cell::LSTM) {
    auto dc0 = newFloats(env, B * U);
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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setGemm", Napi::Function::New(env, SetGemm));
  exports.Set("matmul", Napi::Function::New(env, Matmul));
  exports.Set("rnnForward", Napi::Function::New(env, RnnForward));
  exports.Set("rnnBackward", Napi::Function::New(env, RnnBackward));
  return exports;
}

}  // namespace

NODE_API_MODULE(rnnkit_native, Init)
