// The addon's N-API surface, one file per op family: each addon-<family>.cc defines the family's entry
// points and one Register function that adds them to the module's exports with exportMethods. Init
// (addon.cc) calls each Register function once; the shared argument parsing lives in addon-args.h.
#pragma once
#include <napi.h>

#include <initializer_list>
#include <utility>

namespace rnnkit::binding {

// An N-API entry point.
using Method = Napi::Value (*)(const Napi::CallbackInfo& info);

// exports[name] = a JS function calling method, for each (name, method) in order.
void exportMethods(Napi::Env env, Napi::Object exports, std::initializer_list<std::pair<const char*, Method>> methods);

// binary, softmax, compare, logical, select, sumAxes, unary, slice, gather, transpose, concat, softmaxGrad
void RegisterElementwise(Napi::Env env, Napi::Object exports);
// info, setGemm, matmul
void RegisterGemm(Napi::Env env, Napi::Object exports);
// rnnForward, rnnBackward
void RegisterRecurrent(Napi::Env env, Napi::Object exports);
// additiveScores, additiveScoresBackward
void RegisterAttention(Napi::Env env, Napi::Object exports);
// decodeStep, seq2seqStep, topIndices
void RegisterDecode(Napi::Env env, Napi::Object exports);
// adamUpdate
void RegisterOptimizer(Napi::Env env, Napi::Object exports);

}  // namespace rnnkit::binding
