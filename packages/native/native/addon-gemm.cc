// N-API entry points of the GEMM family (gemm.h): matmul, and info / setGemm, which report and switch
// the GEMM implementation.
#include <napi.h>

#include <cmath>
#include <string>

#include "addon-args.h"
#include "addon.h"
#include "gemm-kernels.h"
#include "gemm.h"
#include "threadpool.h"

namespace rnnkit::binding {

namespace {

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
  obj.Set("kernel", rnnkit::microKernel().name);
  const char* names[4];
  const int n = rnnkit::supportedMicroKernels(names, 4);
  auto kernels = Napi::Array::New(env, n);
  for (int i = 0; i < n; ++i) kernels.Set(i, names[i]);
  obj.Set("kernels", kernels);
  return obj;
}

// setGemmKernel('avx512' | 'avx2' | 'generic') → boolean (false if unknown or unsupported by this CPU):
// tests run the portable GEMM's every micro-kernel the machine has against the same reference.
Napi::Value SetGemmKernel(const Napi::CallbackInfo& info) {
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  return Napi::Boolean::New(info.Env(), rnnkit::setMicroKernel(name.c_str()));
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

}  // namespace

void RegisterGemm(Napi::Env env, Napi::Object exports) {
  exportMethods(env, exports, {{"info", Info}, {"setGemm", SetGemm}, {"setGemmKernel", SetGemmKernel}, {"matmul", Matmul}});
}

}  // namespace rnnkit::binding
