// Argument parsing and output allocation shared by the N-API entry points (addon-*.cc). Every entry
// point validates array lengths against the shapes it is given before touching memory, because a wrong
// shape from JS must be an exception, not a crash: the parsers check element type and length and throw
// a JS TypeError or RangeError otherwise.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

namespace rnnkit::binding {

// A Float32Array of exactly `expected` elements, or nullptr when v is null or undefined.
const float* optionalFloats(const Napi::Value& v, size_t expected, const char* name);
// The same, but null or undefined is an error unless `expected` is 0.
const float* requiredFloats(const Napi::Value& v, size_t expected, const char* name);
// A Uint8Array (bool tensor data) of exactly `expected` elements.
const uint8_t* requiredBytes(const Napi::Value& v, size_t expected, const char* name);

// info[i] as an int32 that must be >= 0.
int intArg(const Napi::CallbackInfo& info, size_t i, const char* name);
// info[i] as a double.
double numberArg(const Napi::CallbackInfo& info, size_t i, const char* name);

// A JS array of dimensions, each >= 0.
std::vector<int> shapeArg(const Napi::Value& v, const char* name);
// Element count of a shape (1 for a scalar).
size_t sizeOf(const std::vector<int>& shape);

// A zero-filled Float32Array of n elements.
Napi::Float32Array newFloats(Napi::Env env, size_t n);

// A Float32Array over node::Buffer memory, which Node leaves uninitialized, unlike newFloats' zero-filled
// ArrayBuffer. Only for outputs that the kernel overwrites completely (elementwise results, GEMM with
// beta 0, every recurrent output): zero-filling them was 4-9% of a training step (the fused Adam's three
// outputs alone cost ~3 ms per seq2seq step). Outputs that kernels accumulate into keep newFloats.
Napi::Float32Array uninitializedFloats(Napi::Env env, size_t n);

// A JS object with these properties, set in order.
Napi::Object objectOf(Napi::Env env, std::initializer_list<std::pair<const char*, Napi::Value>> properties);

}  // namespace rnnkit::binding
