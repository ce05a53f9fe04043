#include "addon-args.h"

#include <string>

namespace rnnkit::binding {

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

const uint8_t* requiredBytes(const Napi::Value& v, size_t expected, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(v.Env(), std::string(name) + " must be a Uint8Array");
  }
  auto arr = v.As<Napi::Uint8Array>();
  if (arr.ElementLength() != expected) throw Napi::RangeError::New(v.Env(), std::string(name) + " has the wrong length");
  return arr.Data();
}

int intArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  const int v = info[i].As<Napi::Number>().Int32Value();
  if (v < 0) throw Napi::RangeError::New(info.Env(), std::string(name) + " must be >= 0");
  return v;
}

double numberArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
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

Napi::Float32Array newFloats(Napi::Env env, size_t n) { return Napi::Float32Array::New(env, n); }

Napi::Float32Array uninitializedFloats(Napi::Env env, size_t n) {
  auto bytes = Napi::Buffer<uint8_t>::New(env, n * sizeof(float));
  return Napi::Float32Array::New(env, n, bytes.ArrayBuffer(), bytes.ByteOffset());
}

Napi::Object objectOf(Napi::Env env, std::initializer_list<std::pair<const char*, Napi::Value>> properties) {
  auto object = Napi::Object::New(env);
  for (const auto& [name, value] : properties) object.Set(name, value);
  return object;
}

}  // namespace rnnkit::binding
