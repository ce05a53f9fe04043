#include "elementwise.h"

#include <algorithm>
#include <cstring>

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
    if (outer == 1 && inner > 0) {
      rowRange(0, 1);
    } else {
      rowRange(0, outer);
    }
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

RNNKIT_SIMD void softmaxRange(const float* x, int r0, int r1, int cols, float* out) {
  for (int r = r0; r < r1; ++r) {
    const float* in = x + static_cast<long>(r) * cols;
    float* o = out + static_cast<long>(r) * cols;
    float m = in[0];
    for (int j = 1; j < cols; ++j) m = in[j] > m ? in[j] : m;
    float sum = 0.0f;
    for (int j = 0; j < cols; ++j) {
      o[j] = fastExp(in[j] - m);
      sum += o[j];
    }
    const float inv = 1.0f / sum;
    for (int j = 0; j < cols; ++j) o[j] *= inv;
  }
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

RNNKIT_SIMD void rowSums(const float* x, long rows, long cols, float* out) {
  for (long r = 0; r < rows; ++r) {
    const float* row = x + r * cols;
    double acc = 0.0;
    for (long j = 0; j < cols; ++j) acc += row[j];
    out[r] = static_cast<float>(acc);
  }
}

RNNKIT_SIMD void colSums(const float* x, long rows, long cols, float* out) {
  std::vector<double> acc(static_cast<size_t>(cols), 0.0);
  for (long r = 0; r < rows; ++r) {
    const float* row = x + r * cols;
    for (long j = 0; j < cols; ++j) acc[j] += row[j];
  }
  for (long j = 0; j < cols; ++j) out[j] = static_cast<float>(acc[j]);
}

void softmaxRows(const float* x, int rows, int cols, float* out) {
  ThreadPool& threads = pool();
  if (static_cast<long>(rows) * cols < PARALLEL_MIN || threads.size() == 1 || rows < 2) {
    softmaxRange(x, 0, rows, cols, out);
    return;
  }
  const int parts = std::min(threads.size(), rows);
  threads.parallelFor(parts, [&](int t) {
    softmaxRange(x, static_cast<int>(static_cast<long>(rows) * t / parts),
                 static_cast<int>(static_cast<long>(rows) * (t + 1) / parts), cols, out);
  });
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
  std::vector<long> idx(rank, 0);
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

}  // namespace rnnkit
