#include "elementwise.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

#include "simd.h"
#include "threadpool.h"
#include "vmath.h"

namespace rnnkit {

namespace {

// Below this many output elements a second thread costs more than it saves.
constexpr long PARALLEL_MIN = 1L << 15;

template <BinaryOp OP>
RNNKIT_INLINE float apply(float x, float y) {
  switch (OP) {
    case BinaryOp::Add: return x + y;
    case BinaryOp::Sub: return x - y;
    case BinaryOp::Mul: return x * y;
    case BinaryOp::Div: return x / y;
    case BinaryOp::Max: return x > y || x != x ? x : y;  // NaN propagates like Math.max
    case BinaryOp::Min: return x < y || x != x ? x : y;
    case BinaryOp::SquaredDiff: return (x - y) * (x - y);
  }
  return 0.0f;
}

// Innermost run: n outputs, each input advancing by its stride (0 = broadcast, 1 = contiguous).
template <typename TA, typename TB, typename TO, typename F>
RNNKIT_INLINE void runInnerT(const TA* a, int sa, const TB* b, int sb, TO* out, int n, F f) {
  if (sa == 1 && sb == 1) {
    for (int i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
  } else if (sa == 1) {
    const TB y = b[0];
    for (int i = 0; i < n; ++i) out[i] = f(a[i], y);
  } else if (sb == 1) {
    const TA x = a[0];
    for (int i = 0; i < n; ++i) out[i] = f(x, b[i]);
  } else {
    const TO v = f(a[0], b[0]);
    for (int i = 0; i < n; ++i) out[i] = v;
  }
}

template <BinaryOp OP>
RNNKIT_SIMD void runInner(const float* a, int sa, const float* b, int sb, float* out, int n) {
  runInnerT(a, sa, b, sb, out, n, [](float x, float y) { return apply<OP>(x, y); });
}

template <CompareOp OP>
RNNKIT_INLINE uint8_t compare(float x, float y) {
  switch (OP) {
    case CompareOp::Less: return x < y;
    case CompareOp::LessEqual: return x <= y;
    case CompareOp::Greater: return x > y;
    case CompareOp::GreaterEqual: return x >= y;
    case CompareOp::Equal: return x == y;
    case CompareOp::NotEqual: return x != y;
  }
  return 0;
}

template <CompareOp OP>
RNNKIT_SIMD void runCompare(const float* a, int sa, const float* b, int sb, uint8_t* out, int n) {
  runInnerT(a, sa, b, sb, out, n, [](float x, float y) { return compare<OP>(x, y); });
}

template <LogicalOp OP>
void runLogical(const uint8_t* a, int sa, const uint8_t* b, int sb, uint8_t* out, int n) {
  runInnerT(a, sa, b, sb, out, n, [](uint8_t x, uint8_t y) -> uint8_t {
    return OP == LogicalOp::And ? (x && y) : (x || y);
  });
}

struct Plan {
  // Dimensions after right-aligning and merging adjacent dims with the same broadcast pattern.
  std::vector<long> dims, strideA, strideB;
};

Plan makePlan(const std::vector<int>& aShape, const std::vector<int>& bShape, const std::vector<int>& outShape) {
  const int rank = static_cast<int>(outShape.size());
  std::vector<long> dimA(rank, 1), dimB(rank, 1);
  for (int i = 0; i < static_cast<int>(aShape.size()); ++i) dimA[rank - aShape.size() + i] = aShape[i];
  for (int i = 0; i < static_cast<int>(bShape.size()); ++i) dimB[rank - bShape.size() + i] = bShape[i];
  Plan p;
  for (int i = 0; i < rank; ++i) {
    const long d = outShape[i];
    if (d == 1) continue;
    const bool ba = dimA[i] == 1, bb = dimB[i] == 1;
    if (!p.dims.empty()) {
      const bool pa = p.strideA.back() == 0, pb = p.strideB.back() == 0;
      if (pa == ba && pb == bb) {  // same pattern as the previous dim: merge
        p.dims.back() *= d;
        continue;
      }
    }
    p.dims.push_back(d);
    p.strideA.push_back(ba ? 0 : 1);
    p.strideB.push_back(bb ? 0 : 1);
  }
  if (p.dims.empty()) {
    p.dims.push_back(1);
    p.strideA.push_back(1);
    p.strideB.push_back(1);
  }
  // Turn 0/1 flags into element strides (row-major over the merged dims, skipping broadcast ones).
  long sa = 1, sb = 1;
  for (int i = static_cast<int>(p.dims.size()) - 1; i >= 0; --i) {
    const bool fa = p.strideA[i] != 0, fb = p.strideB[i] != 0;
    p.strideA[i] = fa ? sa : 0;
    p.strideB[i] = fb ? sb : 0;
    if (fa) sa *= p.dims[i];
    if (fb) sb *= p.dims[i];
  }
  return p;
}

// Applies run(aPtr, aInnerStride, bPtr, bInnerStride, outPtr, n) over the broadcast plan, splitting
// outer rows (or one long run) across the pool for large outputs.
template <typename TA, typename TB, typename TO, typename Run>
void planned(const TA* a, const TB* b, const Plan& p, TO* out, Run runInner) {
  const int rank = static_cast<int>(p.dims.size());
  const long inner = p.dims[rank - 1];
  long outer = 1;
  for (int i = 0; i < rank - 1; ++i) outer *= p.dims[i];
  const int innerSa = p.strideA[rank - 1] != 0 ? 1 : 0;
  const int innerSb = p.strideB[rank - 1] != 0 ? 1 : 0;
  auto rowRange = [&](long r0, long r1) {
    for (long r = r0; r < r1; ++r) {
      // Offsets of outer row r in a and b.
      long rem = r, offA = 0, offB = 0;
      for (int i = rank - 2; i >= 0; --i) {
        const long idx = rem % p.dims[i];
        rem /= p.dims[i];
        offA += idx * p.strideA[i];
        offB += idx * p.strideB[i];
      }
      runInner(a + offA, innerSa, b + offB, innerSb, out + r * inner, static_cast<int>(inner));
    }
  };
  const long total = outer * inner;
  ThreadPool& threads = pool();
  if (total < PARALLEL_MIN || threads.size() == 1) {
    rowRange(0, outer);
    return;
  }
  if (outer == 1) {
    // One long run: split it.
    const int parts = threads.size();
    threads.parallelFor(parts, [&](int t) {
      const long lo = inner * t / parts, hi = inner * (t + 1) / parts;
      runInner(a + (innerSa ? lo : 0), innerSa, b + (innerSb ? lo : 0), innerSb, out + lo, static_cast<int>(hi - lo));
    });
    return;
  }
  const int parts = static_cast<int>(std::min<long>(threads.size(), outer));
  threads.parallelFor(parts, [&](int t) { rowRange(outer * t / parts, outer * (t + 1) / parts); });
}

RNNKIT_SIMD void softmaxRange(const float* __restrict__ x, long r0, long r1, int cols, float* __restrict__ out) {
  for (long r = r0; r < r1; ++r) {
    const float* in = x + r * cols;
    float* o = out + r * cols;
    // NaN never wins the comparison, but exp(NaN - m) turns the whole row NaN anyway, as in tfjs.
    const float m = laneReduce<float>(cols, in[0], [&](int j) { return in[j]; }, [](float a, float b) { return b > a ? b : a; });
    for (int j = 0; j < cols; ++j) o[j] = fastExp(in[j] - m);
    const float inv = 1.0f / laneSum<float>(cols, [&](int j) { return o[j]; });
    for (int j = 0; j < cols; ++j) o[j] *= inv;
  }
}

RNNKIT_SIMD void logSoftmaxRange(float* __restrict__ x, long r0, long r1, int cols) {
  for (long r = r0; r < r1; ++r) {
    float* row = x + r * cols;
    const float m = laneReduce<float>(cols, row[0], [&](int j) { return row[j]; }, [](float a, float b) { return b > a ? b : a; });
    // The sum in double: a long row of small terms would lose digits in a float accumulator.
    const double sum = laneSum<double>(cols, [&](int j) { return static_cast<double>(fastExp(row[j] - m)); });
    const float shift = m + static_cast<float>(std::log(sum));
    for (int j = 0; j < cols; ++j) row[j] -= shift;
  }
}

RNNKIT_SIMD void softmaxGradRange(const float* __restrict__ y, const float* __restrict__ dy, long r0, long r1, int cols,
                                  float* __restrict__ dx) {
  for (long r = r0; r < r1; ++r) {
    const float* yr = y + r * cols;
    const float* dyr = dy + r * cols;
    float* dxr = dx + r * cols;
    const float dot = static_cast<float>(laneSum<double>(cols, [&](int j) { return static_cast<double>(yr[j]) * dyr[j]; }));
    for (int j = 0; j < cols; ++j) dxr[j] = yr[j] * (dyr[j] - dot);
  }
}

// Runs range(r0, r1) over [0, rows): on the calling thread, or split across the pool when `work`
// (elements touched) pays for a second thread.
void forRowRanges(long rows, long work, const std::function<void(long, long)>& range) {
  ThreadPool& threads = pool();
  if (work < PARALLEL_MIN || threads.size() == 1 || rows < 2) {
    range(0, rows);
    return;
  }
  const int parts = static_cast<int>(std::min<long>(threads.size(), rows));
  threads.parallelFor(parts, [&](int t) { range(rows * t / parts, rows * (t + 1) / parts); });
}

}  // namespace

void binaryBroadcast(BinaryOp op, const float* a, const std::vector<int>& aShape, const float* b,
                     const std::vector<int>& bShape, const std::vector<int>& outShape, float* out) {
  const Plan p = makePlan(aShape, bShape, outShape);
  switch (op) {
    case BinaryOp::Add: planned(a, b, p, out, runInner<BinaryOp::Add>); break;
    case BinaryOp::Sub: planned(a, b, p, out, runInner<BinaryOp::Sub>); break;
    case BinaryOp::Mul: planned(a, b, p, out, runInner<BinaryOp::Mul>); break;
    case BinaryOp::Div: planned(a, b, p, out, runInner<BinaryOp::Div>); break;
    case BinaryOp::Max: planned(a, b, p, out, runInner<BinaryOp::Max>); break;
    case BinaryOp::Min: planned(a, b, p, out, runInner<BinaryOp::Min>); break;
    case BinaryOp::SquaredDiff: planned(a, b, p, out, runInner<BinaryOp::SquaredDiff>); break;
  }
}

void compareBroadcast(CompareOp op, const float* a, const std::vector<int>& aShape, const float* b,
                      const std::vector<int>& bShape, const std::vector<int>& outShape, uint8_t* out) {
  const Plan p = makePlan(aShape, bShape, outShape);
  switch (op) {
    case CompareOp::Less: planned(a, b, p, out, runCompare<CompareOp::Less>); break;
    case CompareOp::LessEqual: planned(a, b, p, out, runCompare<CompareOp::LessEqual>); break;
    case CompareOp::Greater: planned(a, b, p, out, runCompare<CompareOp::Greater>); break;
    case CompareOp::GreaterEqual: planned(a, b, p, out, runCompare<CompareOp::GreaterEqual>); break;
    case CompareOp::Equal: planned(a, b, p, out, runCompare<CompareOp::Equal>); break;
    case CompareOp::NotEqual: planned(a, b, p, out, runCompare<CompareOp::NotEqual>); break;
  }
}

void logicalBroadcast(LogicalOp op, const uint8_t* a, const std::vector<int>& aShape, const uint8_t* b,
                      const std::vector<int>& bShape, const std::vector<int>& outShape, uint8_t* out) {
  const Plan p = makePlan(aShape, bShape, outShape);
  if (op == LogicalOp::And) planned(a, b, p, out, runLogical<LogicalOp::And>);
  else planned(a, b, p, out, runLogical<LogicalOp::Or>);
}

RNNKIT_SIMD void selectSame(const uint8_t* cond, const float* t, const float* e, long n, float* out) {
  for (long i = 0; i < n; ++i) out[i] = cond[i] ? t[i] : e[i];
}

void sumAxes(const float* x, const std::vector<int>& shape, const std::vector<bool>& reduced, float* out) {
  // Merge adjacent dims that are both reduced or both kept, dropping size-1 dims.
  std::vector<long> dims;
  std::vector<bool> red;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    if (!dims.empty() && red.back() == reduced[i]) {
      dims.back() *= shape[i];
    } else {
      dims.push_back(shape[i]);
      red.push_back(reduced[i]);
    }
  }
  long outSize = 1;
  for (size_t i = 0; i < dims.size(); ++i) if (!red[i]) outSize *= dims[i];
  std::vector<double> acc(static_cast<size_t>(outSize), 0.0);
  if (dims.empty()) {
    out[0] = x[0];
    return;
  }
  // Output strides of kept dims.
  const int rank = static_cast<int>(dims.size());
  std::vector<long> outStride(rank, 0);
  long st = 1;
  for (int i = rank - 1; i >= 0; --i) {
    if (!red[i]) {
      outStride[i] = st;
      st *= dims[i];
    }
  }
  const long inner = dims[rank - 1];
  long outer = 1;
  for (int i = 0; i < rank - 1; ++i) outer *= dims[i];
  for (long r = 0; r < outer; ++r) {
    long rem = r, off = 0;
    for (int i = rank - 2; i >= 0; --i) {
      const long k = rem % dims[i];
      rem /= dims[i];
      off += k * outStride[i];
    }
    const float* row = x + r * inner;
    if (red[rank - 1]) {
      double s = 0.0;
      for (long j = 0; j < inner; ++j) s += row[j];
      acc[off] += s;
    } else {
      double* o = acc.data() + off;
      for (long j = 0; j < inner; ++j) o[j] += row[j];
    }
  }
  for (long i = 0; i < outSize; ++i) out[i] = static_cast<float>(acc[i]);
}

namespace {

template <UnaryOp OP>
RNNKIT_SIMD void unaryRange(const float* __restrict__ x, long n, float* __restrict__ out) {
  for (long i = 0; i < n; ++i) {
    const float v = x[i];
    switch (OP) {
      case UnaryOp::Tanh: out[i] = fastTanh(v); break;
      case UnaryOp::Sigmoid: out[i] = fastSigmoid(v); break;
      case UnaryOp::Exp: out[i] = fastExp(v); break;
      case UnaryOp::Log: out[i] = fastLog(v); break;
      case UnaryOp::Sqrt: out[i] = std::sqrt(v); break;
      case UnaryOp::Square: out[i] = v * v; break;
      case UnaryOp::Neg: out[i] = -v; break;
      case UnaryOp::Relu: out[i] = v > 0.0f ? v : (v != v ? v : 0.0f); break;
    }
  }
}

template <UnaryOp OP>
void unaryParallel(const float* x, long n, float* out) {
  ThreadPool& threads = pool();
  if (n < PARALLEL_MIN || threads.size() == 1) {
    unaryRange<OP>(x, n, out);
    return;
  }
  const int parts = threads.size();
  threads.parallelFor(parts, [&](int t) {
    const long lo = n * t / parts, hi = n * (t + 1) / parts;
    unaryRange<OP>(x + lo, hi - lo, out + lo);
  });
}

}  // namespace

void unary(UnaryOp op, const float* x, long n, float* out) {
  switch (op) {
    case UnaryOp::Tanh: unaryParallel<UnaryOp::Tanh>(x, n, out); break;
    case UnaryOp::Sigmoid: unaryParallel<UnaryOp::Sigmoid>(x, n, out); break;
    case UnaryOp::Exp:
      unaryParallel<UnaryOp::Exp>(x, n, out);
      // Exact values where the fast path clamps (overflow to Infinity, underflow to denormals/0).
      for (long i = 0; i < n; ++i) {
        if (x[i] > 88.0f || x[i] < -87.0f) out[i] = std::exp(x[i]);
      }
      break;
    case UnaryOp::Log:
      unaryParallel<UnaryOp::Log>(x, n, out);
      // Exact values where the fast path does not apply: zero, negatives, denormals, Infinity, NaN.
      for (long i = 0; i < n; ++i) {
        if (!(x[i] >= 1.17549435e-38f && x[i] <= 3.40282347e38f)) out[i] = std::log(x[i]);
      }
      break;
    case UnaryOp::Sqrt: unaryParallel<UnaryOp::Sqrt>(x, n, out); break;
    case UnaryOp::Square: unaryParallel<UnaryOp::Square>(x, n, out); break;
    case UnaryOp::Neg: unaryParallel<UnaryOp::Neg>(x, n, out); break;
    case UnaryOp::Relu: unaryParallel<UnaryOp::Relu>(x, n, out); break;
  }
}

void slice(const float* x, const std::vector<int>& shape, const std::vector<int>& begin,
           const std::vector<int>& size, float* out) {
  const int rank = static_cast<int>(shape.size());
  long total = 1;
  for (int d : size) total *= d;
  if (total == 0) return;
  if (rank == 0) {
    out[0] = x[0];
    return;
  }
  std::vector<long> stride(rank, 1);
  for (int i = rank - 2; i >= 0; --i) stride[i] = stride[i + 1] * shape[i + 1];
  const long inner = size[rank - 1];
  const long outer = total / inner;
  for (long r = 0; r < outer; ++r) {
    long rem = r, off = begin[rank - 1];
    for (int i = rank - 2; i >= 0; --i) {
      const long k = rem % size[i];
      rem /= size[i];
      off += (begin[i] + k) * stride[i];
    }
    std::memcpy(out + r * inner, x + off, sizeof(float) * static_cast<size_t>(inner));
  }
}

void softmaxRows(const float* x, int rows, int cols, float* out) {
  forRowRanges(rows, static_cast<long>(rows) * cols, [&](long r0, long r1) { softmaxRange(x, r0, r1, cols, out); });
}

void logSoftmaxRows(float* x, int rows, int cols) {
  forRowRanges(rows, static_cast<long>(rows) * cols, [&](long r0, long r1) { logSoftmaxRange(x, r0, r1, cols); });
}

void softmaxGradRows(const float* y, const float* dy, int rows, int cols, float* dx) {
  forRowRanges(rows, static_cast<long>(rows) * cols, [&](long r0, long r1) { softmaxGradRange(y, dy, r0, r1, cols, dx); });
}

bool gatherRows(const float* params, int paramRows, int rowSize, const int32_t* indices, int count, float* out) {
  for (int i = 0; i < count; ++i) {
    const int32_t r = indices[i];
    if (r < 0 || r >= paramRows) return false;
    std::memcpy(out + static_cast<long>(i) * rowSize, params + static_cast<long>(r) * rowSize,
                sizeof(float) * static_cast<size_t>(rowSize));
  }
  return true;
}

void transpose(const float* x, const std::vector<int>& shape, const std::vector<int>& perm, float* out) {
  const int rank = static_cast<int>(shape.size());
  long total = 1;
  for (int d : shape) total *= d;
  std::vector<long> inStride(rank, 1);
  for (int i = rank - 2; i >= 0; --i) inStride[i] = inStride[i + 1] * shape[i + 1];
  std::vector<long> outDims(rank), strideOfOut(rank);
  for (int i = 0; i < rank; ++i) {
    outDims[i] = shape[perm[i]];
    strideOfOut[i] = inStride[perm[i]];
  }
  if (rank == 0 || total == 0) {
    if (total == 1) out[0] = x[0];
    return;
  }
  // Walk the output in order; the innermost output dim reads the input with a fixed stride.
  const long inner = outDims[rank - 1];
  const long innerStride = strideOfOut[rank - 1];
  const long outer = total / inner;
  for (long r = 0; r < outer; ++r) {
    long rem = r, off = 0;
    for (int i = rank - 2; i >= 0; --i) {
      const long k = rem % outDims[i];
      rem /= outDims[i];
      off += k * strideOfOut[i];
    }
    float* o = out + r * inner;
    const float* in = x + off;
    for (long j = 0; j < inner; ++j) o[j] = in[j * innerStride];
  }
}

void concatRows(const std::vector<const uint8_t*>& parts, const std::vector<size_t>& rowBytes, long rows, uint8_t* out) {
  size_t outRow = 0;
  for (size_t b : rowBytes) outRow += b;
  auto range = [&](long r0, long r1) {
    for (long r = r0; r < r1; ++r) {
      uint8_t* o = out + static_cast<size_t>(r) * outRow;
      for (size_t p = 0; p < parts.size(); ++p) {
        std::memcpy(o, parts[p] + static_cast<size_t>(r) * rowBytes[p], rowBytes[p]);
        o += rowBytes[p];
      }
    }
  };
  forRowRanges(rows, static_cast<long>(rows * outRow / sizeof(float)), range);
}

}  // namespace rnnkit
