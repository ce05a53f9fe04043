// N-API entry points of the elementwise family (elementwise.h): broadcasting binary ops, comparisons and
// logical ops, select, sums over axes, unary math, slice, softmax and its gradient, gather, transpose and concat.
#include <napi.h>

#include <algorithm>
#include <string>
#include <vector>

#include "addon-args.h"
#include "addon.h"
#include "elementwise.h"

namespace rnnkit::binding {

namespace {

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

}  // namespace

void RegisterElementwise(Napi::Env env, Napi::Object exports) {
  exportMethods(env, exports, {
    {"binary", Binary},
    {"softmax", Softmax},
    {"compare", Compare},
    {"logical", Logical},
    {"select", Select},
    {"sumAxes", SumAxes},
    {"unary", Unary},
    {"slice", Slice},
    {"gather", Gather},
    {"transpose", Transpose},
    {"concat", Concat},
    {"softmaxGrad", SoftmaxGrad},
  });
}

}  // namespace rnnkit::binding
