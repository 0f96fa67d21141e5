// A small portable SIMD vector: GCC/Clang vector extensions of a fixed byte
// width, with the few operations the kernels need. Each kernel translation
// unit is compiled for one instruction set (baseline, AVX2, AVX-512), so the
// same source becomes SSE2, AVX2 or AVX-512 code; the dispatcher picks one
// at run time. Lane order is fixed, so every reduction below has a fixed
// order and results do not depend on the thread count.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#if defined(__AVX__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace kdfast {

// The vector types themselves: the vector_size attribute needs a concrete
// element type, so each (type, width) pair is spelled out.
template <class T, int Bytes>
struct VectorTypes;
#define KDFAST_VECTOR_TYPES(T, Int, Bytes)                 \
    template <>                                            \
    struct VectorTypes<T, Bytes> {                         \
        typedef T V __attribute__((vector_size(Bytes)));   \
        typedef Int I __attribute__((vector_size(Bytes))); \
    };
KDFAST_VECTOR_TYPES(float, std::int32_t, 16)
KDFAST_VECTOR_TYPES(float, std::int32_t, 32)
KDFAST_VECTOR_TYPES(float, std::int32_t, 64)
KDFAST_VECTOR_TYPES(double, std::int64_t, 16)
KDFAST_VECTOR_TYPES(double, std::int64_t, 32)
KDFAST_VECTOR_TYPES(double, std::int64_t, 64)
#undef KDFAST_VECTOR_TYPES

template <class T, int Bytes>
struct Vec {
    static constexpr int lanes = Bytes / static_cast<int>(sizeof(T));
    using V = typename VectorTypes<T, Bytes>::V;
    using I = typename VectorTypes<T, Bytes>::I;
    using Int = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
    // One bit per lane: the activation pattern of `lanes` samples.
    using Bits = std::conditional_t<(lanes > 8), std::uint16_t, std::uint8_t>;

    static V load(const T* p) {
        V v;
        std::memcpy(&v, p, sizeof(V));
        return v;
    }
    static void store(T* p, V v) { std::memcpy(p, &v, sizeof(V)); }
    static V broadcast(T x) {
#if defined(__AVX512F__)
        if constexpr (Bytes == 64 && sizeof(T) == 4) return reinterpret_cast<V>(_mm512_set1_ps(x));
        if constexpr (Bytes == 64 && sizeof(T) == 8) return reinterpret_cast<V>(_mm512_set1_pd(x));
#endif
#if defined(__AVX__)
        if constexpr (Bytes == 32 && sizeof(T) == 4) return reinterpret_cast<V>(_mm256_set1_ps(x));
        if constexpr (Bytes == 32 && sizeof(T) == 8) return reinterpret_cast<V>(_mm256_set1_pd(x));
#endif
        V v;
        for (int l = 0; l < lanes; ++l) v[l] = x;
        return v;
    }
    static V zero() { return broadcast(T(0)); }
    static V relu(V v) { return reinterpret_cast<V>(reinterpret_cast<I>(v) & (v > T(0))); }

    // Bit l set when lane l is > 0 (relu'(0) = 0).
    static Bits positive_bits(V v) {
#if defined(__AVX512F__)
        if constexpr (Bytes == 64 && sizeof(T) == 4)
            return static_cast<Bits>(_mm512_cmp_ps_mask(reinterpret_cast<__m512>(v), _mm512_setzero_ps(), _CMP_GT_OQ));
        if constexpr (Bytes == 64 && sizeof(T) == 8)
            return static_cast<Bits>(_mm512_cmp_pd_mask(reinterpret_cast<__m512d>(v), _mm512_setzero_pd(), _CMP_GT_OQ));
#endif
#if defined(__AVX__)
        if constexpr (Bytes == 32 && sizeof(T) == 4)
            return static_cast<Bits>(
                _mm256_movemask_ps(_mm256_cmp_ps(reinterpret_cast<__m256>(v), _mm256_setzero_ps(), _CMP_GT_OQ)));
        if constexpr (Bytes == 32 && sizeof(T) == 8)
            return static_cast<Bits>(
                _mm256_movemask_pd(_mm256_cmp_pd(reinterpret_cast<__m256d>(v), _mm256_setzero_pd(), _CMP_GT_OQ)));
#endif
        unsigned bits = 0;
        for (int l = 0; l < lanes; ++l) bits |= static_cast<unsigned>(v[l] > T(0)) << l;
        return static_cast<Bits>(bits);
    }

    // sum + relu(v) * a, given positive_bits(v). On AVX-512 one masked
    // multiply-add that leaves the lanes of inactive samples as they are:
    // the same sums (adding relu(v) * a = +-0 changes at most the sign of a
    // zero sum), one instruction fewer per neuron and vector of samples.
    static V add_relu_times(V sum, V v, Bits positive, V a) {
#if defined(__AVX512F__)
        if constexpr (Bytes == 64 && sizeof(T) == 4)
            return reinterpret_cast<V>(_mm512_mask3_fmadd_ps(reinterpret_cast<__m512>(v), reinterpret_cast<__m512>(a),
                                                             reinterpret_cast<__m512>(sum), positive));
        if constexpr (Bytes == 64 && sizeof(T) == 8)
            return reinterpret_cast<V>(_mm512_mask3_fmadd_pd(reinterpret_cast<__m512d>(v), reinterpret_cast<__m512d>(a),
                                                             reinterpret_cast<__m512d>(sum), positive));
#endif
        (void)positive;
        return sum + relu(v) * a;
    }

    // Loads p[l] where bit l is set, 0 elsewhere (p must be readable whole).
    static V load_where(const T* p, Bits bits) {
#if defined(__AVX512F__)
        if constexpr (Bytes == 64 && sizeof(T) == 4) return reinterpret_cast<V>(_mm512_maskz_loadu_ps(bits, p));
        if constexpr (Bytes == 64 && sizeof(T) == 8) return reinterpret_cast<V>(_mm512_maskz_loadu_pd(bits, p));
#endif
#if defined(__AVX2__)
        if constexpr (Bytes == 32 && sizeof(T) == 4) {
            const __m256i lane_bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
            const __m256i on = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(bits), lane_bit), lane_bit);
            return reinterpret_cast<V>(_mm256_and_ps(_mm256_loadu_ps(p), _mm256_castsi256_ps(on)));
        }
        if constexpr (Bytes == 32 && sizeof(T) == 8) {
            const __m256i lane_bit = _mm256_setr_epi64x(1, 2, 4, 8);
            const __m256i on = _mm256_cmpeq_epi64(_mm256_and_si256(_mm256_set1_epi64x(bits), lane_bit), lane_bit);
            return reinterpret_cast<V>(_mm256_and_pd(_mm256_loadu_pd(p), _mm256_castsi256_pd(on)));
        }
#endif
        I lane_bit, all;
        for (int l = 0; l < lanes; ++l) lane_bit[l] = Int(1) << l, all[l] = Int(bits);
        return reinterpret_cast<V>(reinterpret_cast<I>(load(p)) & ((all & lane_bit) != 0));
    }

    static T sum(V v) {
        T s = v[0];
        for (int l = 1; l < lanes; ++l) s += v[l];
        return s;
    }

    // out[e] = sum of the lanes of v[e] for e < count <= lanes, by a tree of
    // two-vector shuffles: each level halves the lanes that still hold
    // partial sums of one vector and packs two vectors' partial sums into
    // one, so `lanes` vectors take lanes - 1 additions of whole vectors.
    static void sums(T* out, const V* v, int count) {
#if defined(__GNUC__) && !defined(__clang__)
        V level[lanes];
        for (int e = 0; e < lanes; ++e) level[e] = e < count ? v[e] : zero();
        fold<lanes>(level, lanes);
        for (int e = 0; e < count; ++e) out[e] = level[0][e];
#else
        for (int e = 0; e < count; ++e) out[e] = sum(v[e]);
#endif
    }

  private:
    // Lane l of the folded pair (u, v), whose groups of `size` lanes become
    // groups of size / 2: group q < G comes from u's group q, group q >= G
    // from v's group q - G (G = lanes / size). With this order the last
    // level leaves the sum of vector e in lane e.
    static constexpr Int fold_source(int l, int size, bool upper) {
        const int groups = lanes / size, half = size / 2, q = l / half, t = l % half;
        return (q < groups ? 0 : lanes) + (q % groups) * size + t + (upper ? half : 0);
    }

    template <int Size, bool Upper, std::size_t... L>
    static constexpr I fold_mask(std::index_sequence<L...>) {
        return I{fold_source(static_cast<int>(L), Size, Upper)...};
    }

    template <int Size>
    static void fold(V* level, int vectors) {
        if constexpr (Size > 1) {
            constexpr I lower = fold_mask<Size, false>(std::make_index_sequence<lanes>{});
            constexpr I upper = fold_mask<Size, true>(std::make_index_sequence<lanes>{});
            for (int e = 0; e < vectors / 2; ++e)
                level[e] = __builtin_shuffle(level[2 * e], level[2 * e + 1], lower) +
                           __builtin_shuffle(level[2 * e], level[2 * e + 1], upper);
            fold<Size / 2>(level, vectors / 2);
        }
    }
};

}  // namespace kdfast
