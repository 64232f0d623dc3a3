#pragma once
// Vectors of float lanes for the model's CPU kernels (ball_attention_cpu.cpp,
// fused_rows_cpu.cpp): GCC vector extensions, generic in the lane count, so that one kernel
// source becomes AVX-512 (16 lanes), AVX2 (8) and SSE (4) code: `ERWIN_FOR_EACH_ISA` defines a
// function once per instruction set (GCC's function multiversioning picks one at load time),
// each calling the kernel's body with its own lane count. Lanes wider than the instruction set
// would be split by GCC into pieces that go through the stack, several times slower. Files
// including this are compiled with -fno-math-errno (sqrt vectorises) and -Wno-psabi (the helpers
// are always inlined, so their vector ABI never matters).
#include <c10/util/BFloat16.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace erwin::cpu_vectors {

template <int Lanes>
struct VectorTypes {
  typedef float Float __attribute__((vector_size(Lanes * sizeof(float))));
  typedef int32_t Int __attribute__((vector_size(Lanes * sizeof(int32_t))));
  typedef uint32_t Uint __attribute__((vector_size(Lanes * sizeof(uint32_t))));
  typedef uint16_t HalfWord __attribute__((vector_size(Lanes * sizeof(uint16_t))));
};
template <int Lanes>
using FloatVec = typename VectorTypes<Lanes>::Float;
template <class V>
constexpr int kLanesOf = sizeof(V) / sizeof(float);
template <class V>
using IntVecOf = typename VectorTypes<kLanesOf<V>>::Int;
template <class V>
using UintVecOf = typename VectorTypes<kLanesOf<V>>::Uint;
template <class V>
using HalfWordVecOf = typename VectorTypes<kLanesOf<V>>::HalfWord;

#define ERWIN_VECTOR_INLINE inline __attribute__((always_inline))

#if defined(__clang__)
// clang builds (fuzzing, sanitizers) take one SSE-width code path.
#define ERWIN_FOR_EACH_ISA(DEFINE) DEFINE(, 4)
#else
#define ERWIN_FOR_EACH_ISA(DEFINE)                     \
  DEFINE(__attribute__((target("default"))), 4)        \
  DEFINE(__attribute__((target("arch=x86-64-v3"))), 8) \
  DEFINE(__attribute__((target("arch=x86-64-v4"))), 16)
#endif

template <class V>
ERWIN_VECTOR_INLINE V load(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class V>
ERWIN_VECTOR_INLINE void store(float* p, V v) {
  std::memcpy(p, &v, sizeof v);
}

// bfloat16 lanes widened to float (exact).
template <class V>
ERWIN_VECTOR_INLINE V load(const c10::BFloat16* p) {
  HalfWordVecOf<V> halves;
  std::memcpy(&halves, p, sizeof halves);
  const UintVecOf<V> bits = __builtin_convertvector(halves, UintVecOf<V>) << 16;
  V v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}
// float lanes rounded to bfloat16 as c10::BFloat16 rounds them: to nearest even, NaN to 0x7fc0.
template <class V>
ERWIN_VECTOR_INLINE void store(c10::BFloat16* p, V v) {
  UintVecOf<V> bits;
  std::memcpy(&bits, &v, sizeof bits);
  UintVecOf<V> rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
  rounded = v != v ? UintVecOf<V>{} + 0x7fc0u : rounded;
  const HalfWordVecOf<V> halves = __builtin_convertvector(rounded, HalfWordVecOf<V>);
  std::memcpy(p, &halves, sizeof halves);
}

// The first n < lanes of p, the others zero; and their store.
template <class V, class T>
ERWIN_VECTOR_INLINE V load_partial(const T* p, int64_t n) {
  T lanes[kLanesOf<V>] = {};
  std::copy(p, p + n, lanes);
  return load<V>(lanes);
}
template <class V, class T>
ERWIN_VECTOR_INLINE void store_partial(T* p, V v, int64_t n) {
  T lanes[kLanesOf<V>];
  store(lanes, v);
  std::copy(lanes, lanes + n, p);
}

template <class V>
ERWIN_VECTOR_INLINE V splat(float x) {
  return V{} + x;
}
template <class V>
ERWIN_VECTOR_INLINE V vmax(V a, V b) {
  return a > b ? a : b;
}
template <class V>
ERWIN_VECTOR_INLINE V vmin(V a, V b) {
  return a < b ? a : b;
}

template <class V>
ERWIN_VECTOR_INLINE float horizontal_max(V v) {
  float m = v[0];
  for (int l = 1; l < kLanesOf<V>; ++l) m = std::max(m, v[l]);
  return m;
}
template <class V>
ERWIN_VECTOR_INLINE float horizontal_sum(V v) {
  float s = 0.f;
  for (int l = 0; l < kLanesOf<V>; ++l) s += v[l];
  return s;
}

// A lane loop over a plain array, which GCC turns into one vector sqrt (with -fno-math-errno).
template <class V>
ERWIN_VECTOR_INLINE V sqrt_vec(V v) {
  float lanes[kLanesOf<V>];
  std::memcpy(lanes, &v, sizeof v);
  for (int l = 0; l < kLanesOf<V>; ++l) lanes[l] = __builtin_sqrtf(lanes[l]);
  std::memcpy(&v, lanes, sizeof v);
  return v;
}

// e^x in float32 within 2 ulp (Cephes' expf: x = n ln2 + r, a degree-6 polynomial for e^r, 2^n
// built in the exponent bits). Arguments below −87.3 give ~1e-38, not 0: callers zero what must
// vanish exactly.
template <class V>
ERWIN_VECTOR_INLINE V exp_vec(V x) {
  x = vmin(vmax(x, splat<V>(-87.33654f)), splat<V>(88.37626f));
  const float round_magic = 12582912.f;  // 1.5·2^23: adding it rounds to an integer
  const V n = (x * 1.44269504088896341f + round_magic) - round_magic;
  const V r = x - n * 0.693359375f + n * 2.12194440e-4f;
  V p = splat<V>(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.f;
  const IntVecOf<V> bits = (__builtin_convertvector(n, IntVecOf<V>) + 127) << 23;
  V two_to_n;
  std::memcpy(&two_to_n, &bits, sizeof two_to_n);
  return p * two_to_n;
}

}  // namespace erwin::cpu_vectors
