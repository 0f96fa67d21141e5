// Philox4x64-10 counter-based generator (Salmon et al., SC'11; the same
// stream as numpy.random.Philox) and the standard-normal draws built on it.
//
// A counter-based generator lets any neuron's initial weights be computed
// from (seed, neuron index) alone: widths nest, and a network's start does
// not depend on the rest of the batch or on the thread count.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace kdfast {

using Philox4x64 = std::array<std::uint64_t, 4>;

inline void mul_hi_lo(std::uint64_t a, std::uint64_t b, std::uint64_t& hi, std::uint64_t& lo) {
    const unsigned __int128 p = static_cast<unsigned __int128>(a) * b;
    hi = static_cast<std::uint64_t>(p >> 64);
    lo = static_cast<std::uint64_t>(p);
}

inline Philox4x64 philox4x64_10(Philox4x64 ctr, std::uint64_t key0, std::uint64_t key1) {
    constexpr std::uint64_t M0 = 0xD2E7470EE14C6C93ULL, M1 = 0xCA5A826395121157ULL;
    constexpr std::uint64_t W0 = 0x9E3779B97F4A7C15ULL, W1 = 0xBB67AE8584CAA73BULL;
    for (int round = 0; round < 10; ++round) {
        std::uint64_t hi0, lo0, hi1, lo1;
        mul_hi_lo(M0, ctr[0], hi0, lo0);
        mul_hi_lo(M1, ctr[2], hi1, lo1);
        ctr = {hi1 ^ ctr[1] ^ key0, lo1, hi0 ^ ctr[3] ^ key1, lo0};
        key0 += W0;
        key1 += W1;
    }
    return ctr;
}

// Uniform on the open interval (0, 1): the top 53 bits, shifted half a step
// off zero so that log() below is always finite.
inline double open_uniform(std::uint64_t x) { return static_cast<double>(x >> 11) * 0x1.0p-53 + 0x1.0p-54; }

// Key word 1 separates the streams drawn for one neuron.
enum class Stream : std::uint64_t { weights = 0, sign = 1 };

// Four N(0, 1) draws, block `block` of neuron `neuron` of stream `seed`,
// by Box-Muller on the pairs (x0, x1) and (x2, x3).
inline std::array<double, 4> normal_block(std::uint64_t seed, std::uint64_t neuron, std::uint64_t block) {
    constexpr double two_pi = 6.283185307179586476925286766559;
    const Philox4x64 x = philox4x64_10({block, neuron, 0, 0}, seed, static_cast<std::uint64_t>(Stream::weights));
    const double r0 = std::sqrt(-2.0 * std::log(open_uniform(x[0])));
    const double r1 = std::sqrt(-2.0 * std::log(open_uniform(x[2])));
    const double t0 = two_pi * open_uniform(x[1]);
    const double t1 = two_pi * open_uniform(x[3]);
    return {r0 * std::cos(t0), r0 * std::sin(t0), r1 * std::cos(t1), r1 * std::sin(t1)};
}

// Output-layer sign of a neuron: +1 or -1 with equal probability.
inline int sign_draw(std::uint64_t seed, std::uint64_t neuron) {
    const Philox4x64 x = philox4x64_10({0, neuron, 0, 0}, seed, static_cast<std::uint64_t>(Stream::sign));
    return (x[0] >> 63) ? -1 : 1;
}

}  // namespace kdfast
