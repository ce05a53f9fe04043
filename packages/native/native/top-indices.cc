#include "top-indices.h"

#include <algorithm>
#include <limits>

namespace rnnkit {

int topIndices(const float* row, int n, int k, int* out) {
  if (k <= 0) return 0;
  int held = 0;
  // The k-th largest value held once k are held (-Infinity before): most entries fail this one comparison.
  float floor = -std::numeric_limits<float>::infinity();
  const float negInf = -std::numeric_limits<float>::infinity();
  for (int v = 0; v < n; ++v) {
    const float x = row[v];
    if (x == negInf || x <= floor) continue;
    int i = std::min(held, k - 1);
    out[i] = v;
    if (held < k) ++held;
    while (i > 0 && row[out[i - 1]] < x) {
      out[i] = out[i - 1];
      out[--i] = v;
    }
    if (held == k) floor = row[out[k - 1]];
  }
  return held;
}

}  // namespace rnnkit
