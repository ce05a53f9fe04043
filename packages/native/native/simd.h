// Hot loops are compiled several times (AVX-512, AVX2+FMA, baseline x86-64) and the loader picks
// the best one for the running CPU (GCC function multiversioning via ifunc). That keeps the addon
// portable — the same build runs on any x86-64 — while still using wide vectors where they exist.
// macOS has no ifunc and other compilers/architectures get the plain -O3 build.
#pragma once

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define RNNKIT_SIMD __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define RNNKIT_SIMD
#endif

#define RNNKIT_INLINE inline __attribute__((always_inline))

namespace rnnkit {

// combine(term(0), term(1), ...) over i in [0, n), kept in 16 independent partial results (one
// AVX-512 vector, two AVX2 ones): a single running sum or max is a serial chain that the compiler
// may not reorder without -ffast-math, so the loop computing the terms would stay scalar too.
template <typename Acc, typename Term, typename Combine>
RNNKIT_INLINE Acc laneReduce(int n, Acc init, Term term, Combine combine) {
  constexpr int kLanes = 16;
  Acc lanes[kLanes];
  for (int l = 0; l < kLanes; ++l) lanes[l] = init;
  int i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) lanes[l] = combine(lanes[l], term(i + l));
  }
  Acc total = init;
  for (; i < n; ++i) total = combine(total, term(i));
  for (int l = 0; l < kLanes; ++l) total = combine(total, lanes[l]);
  return total;
}

// Sum of term(i) over i in [0, n); Acc = double for long sums.
template <typename Acc, typename Term>
RNNKIT_INLINE Acc laneSum(int n, Term term) {
  return laneReduce<Acc>(n, Acc(0), term, [](Acc a, Acc b) { return a + b; });
}

}  // namespace rnnkit
