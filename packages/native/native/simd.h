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
