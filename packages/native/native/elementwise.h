// Elementwise, softmax, gather, transpose and concat kernels (float32 tensors; concat of any element
// type). tfjs's cpu backend runs broadcasting binary ops through a per-element index computation
// (and softmax, transpose, gather and concat likewise), which dominates training steps once the
// matrix products are native.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace rnnkit {

enum class BinaryOp { Add = 0, Sub = 1, Mul = 2, Div = 3, Max = 4, Min = 5, SquaredDiff = 6 };

// out[outShape] = op(a[aShape], b[bShape]) with numpy/tfjs broadcasting (shapes right-aligned).
void binaryBroadcast(BinaryOp op, const float* a, const std::vector<int>& aShape, const float* b,
                     const std::vector<int>& bShape, const std::vector<int>& outShape, float* out);

enum class CompareOp { Less = 0, LessEqual = 1, Greater = 2, GreaterEqual = 3, Equal = 4, NotEqual = 5 };
enum class LogicalOp { And = 0, Or = 1 };

// Broadcasting comparisons of float32 tensors and logical ops of bool tensors, as 0/1 bytes.
void compareBroadcast(CompareOp op, const float* a, const std::vector<int>& aShape, const float* b,
                      const std::vector<int>& bShape, const std::vector<int>& outShape, uint8_t* out);
void logicalBroadcast(LogicalOp op, const uint8_t* a, const std::vector<int>& aShape, const uint8_t* b,
                      const std::vector<int>& bShape, const std::vector<int>& outShape, uint8_t* out);

// out[i] = cond[i] ? t[i] : e[i]
void selectSame(const uint8_t* cond, const float* t, const float* e, long n, float* out);

// Sum over the axes flagged in `reduced` (any subset); out has the kept dims in order.
void sumAxes(const float* x, const std::vector<int>& shape, const std::vector<bool>& reduced, float* out);

enum class UnaryOp { Tanh = 0, Sigmoid = 1, Exp = 2, Log = 3, Sqrt = 4, Square = 5, Neg = 6, Relu = 7 };
void unary(UnaryOp op, const float* x, long n, float* out);

// out = x[begin : begin + size] of a dense row-major tensor.
void slice(const float* x, const std::vector<int>& shape, const std::vector<int>& begin,
           const std::vector<int>& size, float* out);

// Softmax over the last axis of a [rows, cols] view.
void softmaxRows(const float* x, int rows, int cols, float* out);

// In place: each row of a [rows, cols] view becomes its log-softmax, x - max - log(sum(exp(x - max))).
// The decoding steps' output layers (one row per beam, tens of thousands of columns) end here.
void logSoftmaxRows(float* x, int rows, int cols);

// Gradient of that softmax: dx = y * (dy - sum(dy * y)) per row, for its output y and upstream dy.
void softmaxGradRows(const float* y, const float* dy, int rows, int cols, float* dx);

// out[i, :] = params[indices[i], :] for rows of rowSize floats; returns false on an out-of-range index.
bool gatherRows(const float* params, int paramRows, int rowSize, const int32_t* indices, int count, float* out);

// General permutation of a dense row-major tensor.
void transpose(const float* x, const std::vector<int>& shape, const std::vector<int>& perm, float* out);

// Concatenation along an axis of tensors of any element type, with the dims before the axis flattened into `rows`
// and the rest into one row per part: output row r is row r of every part in turn. Sizes are in bytes.
void concatRows(const std::vector<const uint8_t*>& parts, const std::vector<size_t>& rowBytes, long rows, uint8_t* out);

}  // namespace rnnkit
