// The fused kernels, written once and compiled once per instruction set.
// The including file defines:
//   KDFAST_ISA        namespace and name of the build (baseline, avx2, avx512)
//   KDFAST_VEC_BYTES  vector width in bytes
//   KDFAST_FWD_NR     neurons per forward and row-path tile (2 * NR accumulators)
//   KDFAST_BWD_NR     neurons per sample-path gradient tile
//   KDFAST_BWD_NC     coordinates per sample-path tile (NR * NC accumulators)
//
// Forward: a tile is a panel of 2 vectors of samples times NR neurons; its
// pre-activations stay in registers, where they are turned into activation
// bits, ReLU'd, signed and summed into the running logit of their network.
// Backward: sum_i R[k, i] 1[<w, x_i> > 0] x_i for every neuron, with the
// activation bits selecting the residuals, so no pre-activation is
// recomputed. On AVX-512 and float32 it looks the sums up in tables of
// subset sums instead (backward_tables for small d, backward_row_tables on
// the row path). The sample path (small d) holds NR neurons times NC
// coordinates, with samples in the lanes and a lane reduction at the end;
// the row path (d filling whole vectors) is the forward tile's mirror image,
// with coordinates in the lanes and samples summed in registers.
// Every output has one writer and a fixed summation order. Loops over a
// tile's registers are unrolled so that its accumulators stay in registers.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <memory>
#include <type_traits>
#include <utility>

#include "kernels.hpp"
#include "simd.hpp"
#include "update.hpp"

#define KDFAST_UNROLL _Pragma("GCC unroll 16")
#define KDFAST_STRINGIFY_(x) #x
#define KDFAST_STRINGIFY(x) KDFAST_STRINGIFY_(x)

namespace kdfast {
namespace KDFAST_ISA {

constexpr int kFwdNR = KDFAST_FWD_NR;
constexpr int kBwdNR = KDFAST_BWD_NR;
constexpr int kBwdNC = KDFAST_BWD_NC;

template <class T>
using X = Vec<T, KDFAST_VEC_BYTES>;

// The running logit of one panel: the network it belongs to and the index
// of that network's last neuron.
template <class T>
struct PanelState {
    typename X<T>::V sum[2];
    std::int64_t k, last;
};

// One slice of coordinates c0 .. c0 + kc of a tile: starts its sums (c0 == 0)
// or continues them from `partial`, and either leaves them there or, after
// the last slice, turns them into activation bits and logits.
template <class T, int NR>
void forward_tile(const ForwardArgs<T>& A,
                  const T* w,                 // (NR, d) the tile's weights, rows j0 .., read from coordinate c0
                  typename X<T>::V* partial,  // (NR, 2) the tile's sums between slices
                  std::int64_t i0, std::int64_t j0, std::int64_t c0, std::int64_t kc, PanelState<T>& s) {
    using V = typename X<T>::V;
    using Bits = typename X<T>::Bits;
    constexpr int L = X<T>::lanes, panel = 2 * L;
    const std::int64_t np = A.np, d = A.d;
    V acc[NR][2];
    KDFAST_UNROLL
    for (int r = 0; r < NR; ++r) {
        acc[r][0] = c0 == 0 ? X<T>::zero() : partial[2 * r];
        acc[r][1] = c0 == 0 ? X<T>::zero() : partial[2 * r + 1];
    }
    const T* x = A.Xt + ((i0 / panel) * d + c0) * panel;  // (kc, panel) samples i0 .., contiguous
    for (std::int64_t c = 0; c < kc; ++c) {
        const V x0 = X<T>::load(x + c * panel), x1 = X<T>::load(x + c * panel + L);
        KDFAST_UNROLL
        for (int r = 0; r < NR; ++r) {
            const V wr = X<T>::broadcast(w[r * d + c0 + c]);
            acc[r][0] += x0 * wr;
            acc[r][1] += x1 * wr;
        }
    }
    if (c0 + kc < d) {
        KDFAST_UNROLL
        for (int r = 0; r < NR; ++r) partial[2 * r] = acc[r][0], partial[2 * r + 1] = acc[r][1];
        return;
    }
    // The running logit and its network in locals for the whole epilogue:
    // updated through `s`, every neuron's sum would wait on the store of the
    // previous one (the stores of bits and logits may alias it), a chain
    // that cost a quarter of the forward pass at d = 16.
    V sum0 = s.sum[0], sum1 = s.sum[1];
    std::int64_t k = s.k, last = s.last;
    KDFAST_UNROLL
    for (int r = 0; r < NR; ++r) {
        const std::int64_t j = j0 + r;
        const Bits on0 = X<T>::positive_bits(acc[r][0]), on1 = X<T>::positive_bits(acc[r][1]);
        if (A.bits != nullptr) {
            Bits* b = static_cast<Bits*>(A.bits) + j * (np / L) + i0 / L;  // (2,)
            b[0] = on0;
            b[1] = on1;
        }
        const V aj = X<T>::broadcast(A.a[j]);
        sum0 = X<T>::add_relu_times(sum0, acc[r][0], on0, aj);
        sum1 = X<T>::add_relu_times(sum1, acc[r][1], on1, aj);
        if (j == last) {
            const std::int64_t width = A.offsets[k + 1] - A.offsets[k];
            const V scale = X<T>::broadcast(static_cast<T>(1.0 / std::sqrt(static_cast<double>(width))));
            X<T>::store(A.F + k * np + i0, sum0 * scale);
            X<T>::store(A.F + k * np + i0 + L, sum1 * scale);
            sum0 = sum1 = X<T>::zero();
            ++k;
            last = k < A.K ? A.offsets[k + 1] - 1 : -1;
        }
    }
    s.sum[0] = sum0, s.sum[1] = sum1;
    s.k = k, s.last = last;
}

template <class T>
using ForwardTile = void (*)(const ForwardArgs<T>&, const T*, typename X<T>::V*, std::int64_t, std::int64_t,
                             std::int64_t, std::int64_t, PanelState<T>&);

template <class T, std::size_t... R>
constexpr std::array<ForwardTile<T>, sizeof...(R)> forward_tails(std::index_sequence<R...>) {
    return {&forward_tile<T, static_cast<int>(R) + 1>...};
}

// The forward pass is blocked like a matrix product (BLIS): a task owns a
// group of networks and a block of panels of samples, whose inputs (at most
// kInputBlockBytes) stay in L2. It takes the neuron tiles a pass at a time
// (their weights at most kPassBytes, also in L2) and, slice by slice of
// kSlice coordinates, runs every tile of the pass over one panel's slice
// of inputs, which stays in L1 meanwhile: the large vector operand is read
// from L1, the small broadcast one from L2. Sums carry over from slice to
// slice in the same order as without slices, so the result does not
// depend on the blocking.
constexpr std::int64_t kInputBlockBytes = 512 * 1024;
constexpr std::int64_t kMaxPanels = 64;
constexpr std::int64_t kPassBytes = 256 * 1024;
constexpr std::int64_t kMaxPassTiles = 8;
constexpr std::int64_t kSlice = 128;

template <class T>
void forward(const ForwardArgs<T>& A, const NetworkGroups& groups, int n_threads, StopFlag& stop) {
    using V = typename X<T>::V;
    constexpr std::int64_t panel = 2 * X<T>::lanes;
    static constexpr auto tails = forward_tails<T>(std::make_index_sequence<kFwdNR>{});
    const std::int64_t panels = A.np / panel, d = A.d, tile_size = kFwdNR * d;
    const std::int64_t per_block =
        std::clamp<std::int64_t>(kInputBlockBytes / (panel * d * static_cast<std::int64_t>(sizeof(T))), 1, kMaxPanels);
    const std::int64_t blocks = (panels + per_block - 1) / per_block;
    const std::int64_t pass_tiles =
        std::clamp<std::int64_t>(kPassBytes / (tile_size * static_cast<std::int64_t>(sizeof(T))), 1, kMaxPassTiles);
    // Per thread: the sums of a pass's tiles between slices (none when one
    // slice covers d). Every element is written before it is read.
    const std::int64_t sums_size = d > kSlice ? pass_tiles * per_block * 2 * kFwdNR : 0;
    const std::unique_ptr<V[]> partial(new V[static_cast<std::size_t>(n_threads * sums_size + 1)]);
#pragma omp parallel for schedule(dynamic) num_threads(n_threads)
    for (std::int64_t task = 0; task < groups.count * blocks; ++task) {
        if (stop.requested()) continue;
        const std::int64_t g = task / blocks, first_panel = (task % blocks) * per_block;
        const std::int64_t count = std::min(per_block, panels - first_panel);
        const std::int64_t k0 = groups.first[g], me = thread_id();
        V* sums = partial.get() + me * sums_size;  // (pass_tiles, count, nr, 2)
        PanelState<T> state[kMaxPanels];
        for (std::int64_t q = 0; q < count; ++q) state[q] = {{X<T>::zero(), X<T>::zero()}, k0, A.offsets[k0 + 1] - 1};
        const std::int64_t end = A.offsets[groups.first[g + 1]];
        for (std::int64_t j = A.offsets[k0]; j < end; j += pass_tiles * kFwdNR) {
            const std::int64_t pass_end = std::min(end, j + pass_tiles * kFwdNR);
            for (std::int64_t c0 = 0; c0 < d; c0 += kSlice) {
                const std::int64_t kc = std::min(kSlice, d - c0);
                for (std::int64_t q = 0; q < count; ++q)
                    for (std::int64_t jt = j; jt < pass_end; jt += kFwdNR) {
                        const std::int64_t nr = std::min<std::int64_t>(kFwdNR, pass_end - jt), t = (jt - j) / kFwdNR;
                        tails[nr - 1](A, A.W + jt * d, sums + (t * count + q) * 2 * kFwdNR, (first_panel + q) * panel,
                                      jt, c0, kc, state[q]);
                    }
            }
        }
    }
}

template <class T, int NR, int NC>
void gradient_tile(T* G,  // (NR, d) out: rows j0.. of the gradient sums
                   const BackwardArgs<T>& A, std::int64_t j0, std::int64_t c0, const std::int64_t* net) {
    using V = typename X<T>::V;
    using Bits = typename X<T>::Bits;
    constexpr int L = X<T>::lanes;
    const std::int64_t np = A.np, d = A.bank->d, vectors = np / L;
    const Bits* bits = static_cast<const Bits*>(A.bits) + j0 * vectors;  // (NR, vectors)
    constexpr int panel = 2 * L;
    const T* R[NR];  // (np,) each
    KDFAST_UNROLL
    for (int r = 0; r < NR; ++r) R[r] = A.R + net[r] * np;
    V acc[NR][NC];
    KDFAST_UNROLL
    for (int r = 0; r < NR; ++r) {
        KDFAST_UNROLL
        for (int c = 0; c < NC; ++c) acc[r][c] = X<T>::zero();
    }
    for (std::int64_t v = 0; v < vectors; ++v) {
        V coef[NR];
        KDFAST_UNROLL
        for (int r = 0; r < NR; ++r) coef[r] = X<T>::load_where(R[r] + v * L, bits[r * vectors + v]);
        const T* x = A.Xt + ((v / 2) * d + c0) * panel + (v % 2) * L;  // (NC, panel) from vector v
        KDFAST_UNROLL
        for (int c = 0; c < NC; ++c) {
            const V xc = X<T>::load(x + c * panel);
            KDFAST_UNROLL
            for (int r = 0; r < NR; ++r) acc[r][c] += coef[r] * xc;
        }
    }
    // Reduce the lanes of all accumulators, `lanes` vectors at a time. (A
    // copy, so that the accumulators' address is never taken and they stay
    // in registers during the loop.)
    constexpr int count = NR * NC;
    V flat[count];
    KDFAST_UNROLL
    for (int r = 0; r < NR; ++r) {
        KDFAST_UNROLL
        for (int c = 0; c < NC; ++c) flat[r * NC + c] = acc[r][c];
    }
    T sums[count];
    for (int e = 0; e < count; e += L) X<T>::sums(sums + e, flat + e, std::min(L, count - e));
    for (int r = 0; r < NR; ++r)
        for (int c = 0; c < NC; ++c) G[r * d + c0 + c] = sums[r * NC + c];
}

template <class T>
using GradientTile = void (*)(T*, const BackwardArgs<T>&, std::int64_t, std::int64_t, const std::int64_t*);

template <class T, int NR, std::size_t... C>
constexpr std::array<GradientTile<T>, sizeof...(C)> gradient_row(std::index_sequence<C...>) {
    return {&gradient_tile<T, NR, static_cast<int>(C) + 1>...};
}

// tiles[nr - 1][nc - 1] handles nr neurons times nc coordinates.
template <class T, std::size_t... R>
constexpr auto gradient_tiles(std::index_sequence<R...>) {
    return std::array<std::array<GradientTile<T>, kBwdNC>, sizeof...(R)>{
        gradient_row<T, static_cast<int>(R) + 1>(std::make_index_sequence<kBwdNC>{})...};
}

// net[jj] = network of neuron j0 + jj. Every network has at least one
// neuron, so consecutive neurons are in the same network or the next one.
template <class T>
void block_networks(std::int64_t* net, const BankView<T>& bank, std::int64_t j0, std::int64_t nj) {
    net[0] = std::upper_bound(bank.offsets + 1, bank.offsets + bank.K + 1, j0) - (bank.offsets + 1);
    for (std::int64_t jj = 1; jj < nj; ++jj) net[jj] = net[jj - 1] + (j0 + jj >= bank.offsets[net[jj - 1] + 1] ? 1 : 0);
}

// Neurons j0 .. j0+nj given their gradient sums G over this chunk's
// samples: adds the earlier chunks' sums, then takes the projected step
// from the total or, before the last chunk, keeps the total in Wn.
template <class T>
void update_block(const BackwardArgs<T>& A, std::int64_t j0, std::int64_t nj, const std::int64_t* net, T* G,
                  std::int64_t ldg) {
    const BankView<T>& bank = *A.bank;
    const Schedule& schedule = *A.schedule;
    const std::int64_t d = bank.d;
    for (std::int64_t jj = 0; jj < nj; ++jj) {
        const std::int64_t j = j0 + jj, k = net[jj];
        T* g = G + jj * ldg;  // (d,)
        T* wn = A.Wn + j * d;
        if (A.earlier_sums)
            for (std::int64_t c = 0; c < d; ++c) g[c] += wn[c];
        if (!A.last_chunk) {
            std::copy_n(g, d, wn);
            continue;
        }
        A.sq[j] = update_neuron(wn, A.W + j * d, bank.W0 + j * d, g, bank.a[j], schedule.lr[k], schedule.radius[k],
                                bank.offsets[k + 1] - bank.offsets[k], schedule.projection, d);
    }
}

template <class T>
void backward_samples(const BackwardArgs<T>& A, int n_threads, StopFlag& stop) {
    static constexpr auto tiles = gradient_tiles<T>(std::make_index_sequence<kBwdNR>{});
    const BankView<T>& bank = *A.bank;
    const std::int64_t M = bank.M, d = bank.d;
    const std::int64_t blocks = (M + kNeuronBlock - 1) / kNeuronBlock;
#pragma omp parallel for schedule(dynamic) num_threads(n_threads)
    for (std::int64_t block = 0; block < blocks; ++block) {
        if (stop.requested()) continue;
        const std::int64_t j0 = block * kNeuronBlock, nj = std::min(kNeuronBlock, M - j0);
        std::int64_t net[kNeuronBlock];
        block_networks(net, bank, j0, nj);
        T* G = A.scratch + static_cast<std::int64_t>(thread_id()) * backward_scratch(d, 0);  // (nj, d)
        for (std::int64_t c0 = 0; c0 < d; c0 += kBwdNC) {
            const std::int64_t nc = std::min<std::int64_t>(kBwdNC, d - c0);
            for (std::int64_t jj = 0; jj < nj; jj += kBwdNR) {
                const std::int64_t nr = std::min<std::int64_t>(kBwdNR, nj - jj);
                tiles[nr - 1][nc - 1](G + jj * d, A, j0 + jj, c0, net + jj);
            }
        }
        update_block(A, j0, nj, net, G, d);
    }
}

// Row path: G[r, c0 .. c0 + 2 lanes] += sum over the chunk's samples of
// coef[r, i] * x_i, with samples summed in order inside the registers; the
// first chunk starts the sums, later chunks continue them from G.
template <class T, int NR>
void row_tile(T* G,           // (NR, dp) gradient sums of the tile's neurons
              const T* coef,  // (NR, kRowChunk) residual where active, else 0
              const T* Xp,    // (ni, 2 lanes) the chunk's samples at coordinates c0 ..
              std::int64_t ni, std::int64_t dp, std::int64_t c0, bool first) {
    using V = typename X<T>::V;
    constexpr int L = X<T>::lanes;
    V acc[NR][2];
    KDFAST_UNROLL
    for (int r = 0; r < NR; ++r) {
        acc[r][0] = first ? X<T>::zero() : X<T>::load(G + r * dp + c0);
        acc[r][1] = first ? X<T>::zero() : X<T>::load(G + r * dp + c0 + L);
    }
    for (std::int64_t i = 0; i < ni; ++i) {
        const V x0 = X<T>::load(Xp + i * 2 * L), x1 = X<T>::load(Xp + i * 2 * L + L);
        KDFAST_UNROLL
        for (int r = 0; r < NR; ++r) {
            const V cr = X<T>::broadcast(coef[r * kRowChunk + i]);
            acc[r][0] += cr * x0;
            acc[r][1] += cr * x1;
        }
    }
    KDFAST_UNROLL
    for (int r = 0; r < NR; ++r) {
        X<T>::store(G + r * dp + c0, acc[r][0]);
        X<T>::store(G + r * dp + c0 + L, acc[r][1]);
    }
}

template <class T>
using RowTile = void (*)(T*, const T*, const T*, std::int64_t, std::int64_t, std::int64_t, bool);

template <class T, std::size_t... R>
constexpr std::array<RowTile<T>, sizeof...(R)> row_tiles(std::index_sequence<R...>) {
    return {&row_tile<T, static_cast<int>(R) + 1>...};
}

template <class T>
void backward_rows(const BackwardArgs<T>& A, int n_threads, StopFlag& stop) {
    static_assert(kRowBlock % kFwdNR == 0, "row tiles must fit the row blocks");
    static constexpr auto tiles = row_tiles<T>(std::make_index_sequence<kFwdNR>{});
    using Bits = typename X<T>::Bits;
    constexpr int L = X<T>::lanes;
    const BankView<T>& bank = *A.bank;
    const std::int64_t M = bank.M, dp = A.dp, vectors = A.np / L;
    const std::int64_t blocks = (M + kRowBlock - 1) / kRowBlock;
    const Bits* bits = static_cast<const Bits*>(A.bits);  // (M, vectors)
#pragma omp parallel for schedule(dynamic) num_threads(n_threads)
    for (std::int64_t block = 0; block < blocks; ++block) {
        if (stop.requested()) continue;
        const std::int64_t j0 = block * kRowBlock, nj = std::min(kRowBlock, M - j0);
        std::int64_t net[kRowBlock];
        block_networks(net, bank, j0, nj);
        T* G = A.scratch + static_cast<std::int64_t>(thread_id()) * backward_scratch(bank.d, dp);  // (nj, dp)
        T* coef = G + kRowBlock * dp;                                                              // (nj, kRowChunk)
        // Chunks of samples outermost, then panels of coordinates: a chunk's
        // panel of inputs stays in L1 while every tile of the block passes
        // over it, each with its coefficients for the chunk.
        for (std::int64_t s0 = 0; s0 < A.n; s0 += kRowChunk) {
            const std::int64_t ni = std::min(kRowChunk, A.n - s0), nv = (ni + L - 1) / L;
            for (std::int64_t r = 0; r < nj; ++r) {
                const T* R = A.R + net[r] * A.np + s0;               // (ni,)
                const Bits* b = bits + (j0 + r) * vectors + s0 / L;  // (nv,)
                for (std::int64_t v = 0; v < nv; ++v)
                    X<T>::store(coef + r * kRowChunk + v * L, X<T>::load_where(R + v * L, b[v]));
            }
            for (std::int64_t c0 = 0; c0 < dp; c0 += 2 * L)
                for (std::int64_t jj = 0; jj < nj; jj += kFwdNR) {
                    const std::int64_t nr = std::min<std::int64_t>(kFwdNR, nj - jj);
                    tiles[nr - 1](G + jj * dp, coef + jj * kRowChunk, A.Xp + c0 * A.n + s0 * 2 * L, ni, dp, c0,
                                  s0 == 0);
                }
        }
        update_block(A, j0, nj, net, G, dp);
    }
}

#if defined(__AVX512F__)
// Table path of the small-d backward pass (AVX-512, float32): half the
// residuals it would multiply are switched off by the activation bits, so
// instead of multiplying, it looks sums up. For each network, each group of
// 4 samples and each coordinate c, a table holds the 16 subset sums of the
// 4 products R[k, i] x_i[c]; 16 neurons of one network sit in the lanes of
// a vector, and one permute by their 4 activation bits fetches the sum each
// needs. That is 64 (neuron, sample) terms per permute and add, where the
// dense path does 16 per multiply-add: the backward pass of d = 16 takes
// half the time. Each neuron's sum runs over the groups of 4 in sample
// order, so it does not depend on the neuron's place in its bank.
//
// perm_a[u] and perm_b[u] build the table of the u-th group of 4 samples of
// a vector y of 16 products from y and its pair sums S (S[2p] = y[2p] +
// y[2p+1], S[2p+1] = 0): lane s gets the part of samples 0, 1 of the group
// that bits 0, 1 of s select, and the part of samples 2, 3 that bits 2, 3
// select; the table is their sum.
constexpr std::int32_t table_source(int pair, int which) {
    return which == 0 ? 16 + 2 * pair + 1 : which == 1 ? 2 * pair : which == 2 ? 2 * pair + 1 : 16 + 2 * pair;
}

inline __m512i table_permute(int pair, bool high) {
    std::int32_t source[16];
    for (int s = 0; s < 16; ++s) source[s] = table_source(pair, high ? s >> 2 : s & 3);
    return _mm512_loadu_si512(source);
}

// tables[q, c, s] for the chunk's groups of 4 samples q (samples s0 + 4 q ..)
// and coordinates c0 + c.
inline void build_tables(float* tables,    // (nq, dc, 16) out
                         const float* r,   // (np,) the network's residuals
                         const float* Xt,  // (np / 32, d, 32)
                         std::int64_t d, std::int64_t s0, std::int64_t nq, std::int64_t c0, std::int64_t dc) {
    __m512i perm_a[4], perm_b[4];
    for (int u = 0; u < 4; ++u) {
        perm_a[u] = table_permute(2 * u, false);
        perm_b[u] = table_permute(2 * u + 1, true);
    }
    for (std::int64_t v = 0; v < nq / 4; ++v) {
        const std::int64_t i = s0 + 16 * v;
        const __m512 rv = _mm512_loadu_ps(r + i);
        const float* x = Xt + (i / 32) * d * 32 + i % 32;  // (d, 32) from sample i
        for (std::int64_t c = 0; c < dc; ++c) {
            const __m512 y = _mm512_mul_ps(rv, _mm512_loadu_ps(x + (c0 + c) * 32));
            const __m512 pairs = _mm512_maskz_add_ps(0x5555, y, _mm512_permute_ps(y, 0xB1));
            for (int u = 0; u < 4; ++u)
                _mm512_storeu_ps(tables + ((4 * v + u) * dc + c) * 16,
                                 _mm512_add_ps(_mm512_permutex2var_ps(y, perm_a[u], pairs),
                                               _mm512_permutex2var_ps(y, perm_b[u], pairs)));
        }
    }
}

// Coordinates per pass of the lookups: 8 sums and the 8 permutes that feed
// them fit the registers however the compiler schedules them (with 16 it
// hoisted the permutes and spilled).
constexpr int kTableSlab = 8;

// sums[c] (lane l: neuron j0 + l, coordinate c0 + c) plus the table entries
// that the neurons' activation bits select, for every group of 4 samples of
// the chunk; the first chunk starts the sums at zero.
template <int DC>
void lookup_group(float* sums,          // (DC, 16) in/out
                  const float* tables,  // (nq, DC, 16)
                  const char* bits,     // the activation bits of neuron j0 at sample s0
                  __m512i rows,         // byte offsets of the 16 neurons' bits from `bits`
                  __mmask16 valid, std::int64_t nq, bool first) {
    __m512 acc[DC];
    KDFAST_UNROLL
    for (int c = 0; c < DC; ++c) acc[c] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(sums + c * 16);
    // Each word of bits is gathered one word ahead of its use.
    __m512i next = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), valid, rows, bits, 1);
    for (std::int64_t w = 0; w < nq / 8; ++w) {
        __m512i index = next;
        if (w + 1 < nq / 8)
            next = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), valid, rows, bits + 4 * (w + 1), 1);
        for (int u = 0; u < 8; ++u, index = _mm512_srli_epi32(index, 4)) {
            // vpermps reads the low 4 bits of each lane: this group's bits.
            const float* t = tables + (8 * w + u) * DC * 16;
            KDFAST_UNROLL
            for (int c = 0; c < DC; ++c)
                acc[c] = _mm512_add_ps(acc[c], _mm512_permutexvar_ps(index, _mm512_loadu_ps(t + c * 16)));
        }
    }
    KDFAST_UNROLL
    for (int c = 0; c < DC; ++c) _mm512_storeu_ps(sums + c * 16, acc[c]);
}

using LookupGroup = void (*)(float*, const float*, const char*, __m512i, __mmask16, std::int64_t, bool);

template <std::size_t... C>
constexpr std::array<LookupGroup, sizeof...(C)> lookup_groups(std::index_sequence<C...>) {
    return {&lookup_group<static_cast<int>(C) + 1>...};
}

// Neurons j0 .. j0 + nj of network k: their gradient sums by table, then
// their projected step.
inline void table_piece(const BackwardArgs<float>& A, std::int64_t k, std::int64_t j0, std::int64_t nj,
                        float* scratch) {
    static constexpr auto lookups = lookup_groups(std::make_index_sequence<kTableSlab>{});
    const std::int64_t d = A.bank->d, np = A.np, groups = (nj + 15) / 16;
    const std::int64_t row_bytes = np / 8;
    float* tables = scratch;                   // (nq, dc, 16)
    float* sums = tables + kTableElements;     // (groups, d, 16)
    float* G = sums + (kTableBlock + 16) * d;  // (16, d)
    const __m512i rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32(static_cast<std::int32_t>(row_bytes)));
    const char* bits = static_cast<const char*>(A.bits) + j0 * row_bytes;
    for (std::int64_t c0 = 0; c0 < d; c0 += kTableSlab) {
        const std::int64_t dc = std::min<std::int64_t>(kTableSlab, d - c0);
        // Groups of 4 samples per chunk: a multiple of 8 (whole words of bits).
        const std::int64_t per_chunk = std::max<std::int64_t>(8, kTableElements / (16 * dc) / 8 * 8);
        for (std::int64_t s0 = 0; s0 < np; s0 += 4 * per_chunk) {
            const std::int64_t nq = std::min(per_chunk, (np - s0) / 4);
            build_tables(tables, A.R + k * np, A.Xt, d, s0, nq, c0, dc);
            for (std::int64_t g = 0; g < groups; ++g) {
                const std::int64_t count = std::min<std::int64_t>(16, nj - 16 * g);
                lookups[dc - 1](sums + (g * d + c0) * 16, tables, bits + 16 * g * row_bytes + s0 / 8, rows,
                                static_cast<__mmask16>((1u << count) - 1), nq, s0 == 0);
            }
        }
    }
    std::int64_t net[16];
    std::fill(net, net + 16, k);
    for (std::int64_t g = 0; g < groups; ++g) {
        const std::int64_t count = std::min<std::int64_t>(16, nj - 16 * g);
        for (std::int64_t l = 0; l < count; ++l)
            for (std::int64_t c = 0; c < d; ++c) G[l * d + c] = sums[(g * d + c) * 16 + l];
        update_block(A, j0 + 16 * g, count, net, G, d);
    }
}

// Blocks of `block` neurons, cut into pieces at network boundaries, each
// piece(k, j0, nj, scratch) of one network k; a task is a block.
template <class Piece>
void network_pieces(const BackwardArgs<float>& A, std::int64_t block_size, int n_threads, StopFlag& stop, Piece piece) {
    const BankView<float>& bank = *A.bank;
    const std::int64_t M = bank.M, blocks = (M + block_size - 1) / block_size;
#pragma omp parallel for schedule(dynamic) num_threads(n_threads)
    for (std::int64_t block = 0; block < blocks; ++block) {
        if (stop.requested()) continue;
        float* scratch = A.scratch + static_cast<std::int64_t>(thread_id()) * backward_scratch(bank.d, A.dp);
        const std::int64_t end = std::min(M, (block + 1) * block_size);
        std::int64_t j = block * block_size;
        std::int64_t k = std::upper_bound(bank.offsets + 1, bank.offsets + bank.K + 1, j) - (bank.offsets + 1);
        for (; j < end; ++k) {
            const std::int64_t piece_end = std::min(end, bank.offsets[k + 1]);
            piece(k, j, piece_end - j, scratch);
            j = piece_end;
        }
    }
}

// Tasks are blocks of kTableBlock neurons; a piece builds its network's
// tables chunk by chunk.
inline void backward_tables(const BackwardArgs<float>& A, int n_threads, StopFlag& stop) {
    network_pieces(
        A, kTableBlock, n_threads, stop,
        [&](std::int64_t k, std::int64_t j0, std::int64_t nj, float* scratch) { table_piece(A, k, j0, nj, scratch); });
}

// Table path of the row path (AVX-512, float32): the same subset sums with
// the coordinates in the lanes, where a neuron's 4 activation bits for a
// group of 4 samples are one scalar index s, so the group costs it one
// load and one add per vector of coordinates instead of 4 multiply-adds.
// tables[q, s, c] is the sum of R[k, i] x_i[c0 + c] over the samples i of
// group q (samples s0 + 4 q ..) whose bit is set in s, built as
// (part of samples 0, 1) + (part of samples 2, 3).
inline void build_row_tables(float* tables,   // (nq, 16, 32) out
                             const float* r,  // (ni,) the network's residuals from sample s0
                             const float* x,  // (ni, 32) the chunk's inputs at coordinates c0 ..
                             std::int64_t ni) {
    for (std::int64_t q = 0; 4 * q < ni; ++q)
        for (int h = 0; h < 2; ++h) {
            __m512 p[4];
            for (int t = 0; t < 4; ++t) {
                const std::int64_t i = 4 * q + t;
                p[t] = i < ni ? _mm512_mul_ps(_mm512_set1_ps(r[i]), _mm512_loadu_ps(x + i * 32 + 16 * h))
                              : _mm512_setzero_ps();
            }
            const __m512 low[4] = {_mm512_setzero_ps(), p[0], p[1], _mm512_add_ps(p[0], p[1])};
            const __m512 high[4] = {_mm512_setzero_ps(), p[2], p[3], _mm512_add_ps(p[2], p[3])};
            for (int s = 0; s < 16; ++s)
                _mm512_storeu_ps(tables + (q * 16 + s) * 32 + 16 * h, _mm512_add_ps(low[s & 3], high[s >> 2]));
        }
}

// G[r, c0 .. c0 + 32] plus the table entries that the activation bits of
// neuron r select, for every group of the chunk; the first chunk starts the
// sums at zero. The bits are taken 8 groups (32 bits) at a time, shifted
// so that a group's 4 bits are directly the byte offset of its entry.
template <int NR>
void row_table_tile(float* G,                    // (NR, dp) gradient sums, from coordinate c0
                    const float* tables,         // (nq, 16, 32)
                    const std::uint64_t* words,  // (NR,) the neurons' bits of the chunk, 4 per group
                    std::int64_t nq, std::int64_t dp, bool first) {
    __m512 acc[NR][2];
    KDFAST_UNROLL
    for (int r = 0; r < NR; ++r) {
        acc[r][0] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(G + r * dp);
        acc[r][1] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(G + r * dp + 16);
    }
    for (std::int64_t q0 = 0; q0 < nq; q0 += 8) {
        std::uint64_t offset[NR];
        KDFAST_UNROLL
        for (int r = 0; r < NR; ++r) offset[r] = (words[r] >> (4 * q0) & 0xFFFFFFFF) << 7;
        const char* t = reinterpret_cast<const char*>(tables + q0 * 16 * 32);
        const std::int64_t count = std::min<std::int64_t>(8, nq - q0);
        for (std::int64_t q = 0; q < count; ++q, t += 16 * 32 * sizeof(float)) {
            KDFAST_UNROLL
            for (int r = 0; r < NR; ++r) {
                const float* e = reinterpret_cast<const float*>(t + (offset[r] >> (4 * q) & 0x780));
                acc[r][0] = _mm512_add_ps(acc[r][0], _mm512_loadu_ps(e));
                acc[r][1] = _mm512_add_ps(acc[r][1], _mm512_loadu_ps(e + 16));
            }
        }
    }
    KDFAST_UNROLL
    for (int r = 0; r < NR; ++r) {
        _mm512_storeu_ps(G + r * dp, acc[r][0]);
        _mm512_storeu_ps(G + r * dp + 16, acc[r][1]);
    }
}

using RowTableTile = void (*)(float*, const float*, const std::uint64_t*, std::int64_t, std::int64_t, bool);

template <std::size_t... R>
constexpr std::array<RowTableTile, sizeof...(R)> row_table_tiles(std::index_sequence<R...>) {
    return {&row_table_tile<static_cast<int>(R) + 1>...};
}

// Neurons j0 .. j0 + nj of network k: their gradient sums by table, then
// their projected step. Panels of coordinates outermost, so that the sums of
// the piece's neurons at one panel (at most kRowTableBlock x 128 B = 32 KiB)
// and one chunk's tables (32 KiB) stay in L1 and L2 while the chunks pass;
// each table is built once per piece and read by all its neurons.
inline void row_table_piece(const BackwardArgs<float>& A, std::int64_t k, std::int64_t j0, std::int64_t nj,
                            float* scratch) {
    static constexpr auto tiles = row_table_tiles(std::make_index_sequence<kRowTableNR>{});
    const std::int64_t n = A.n, dp = A.dp, row_bytes = A.np / 8;
    float* G = scratch;                                                    // (nj, dp)
    float* tables = G + kRowTableBlock * dp;                               // (kRowChunk / 4, 16, 32)
    const char* bits = static_cast<const char*>(A.bits) + j0 * row_bytes;  // (nj, row_bytes)
    std::uint64_t words[kRowTableBlock];
    for (std::int64_t c0 = 0; c0 < dp; c0 += 32)
        for (std::int64_t s0 = 0; s0 < n; s0 += kRowChunk) {
            const std::int64_t ni = std::min(kRowChunk, n - s0), bytes = std::min<std::int64_t>(8, row_bytes - s0 / 8);
            build_row_tables(tables, A.R + k * A.np + s0, A.Xp + c0 * n + s0 * 32, ni);
            for (std::int64_t r = 0; r < nj; ++r) {
                words[r] = 0;
                std::memcpy(&words[r], bits + r * row_bytes + s0 / 8, static_cast<std::size_t>(bytes));
            }
            for (std::int64_t jj = 0; jj < nj; jj += kRowTableNR) {
                const std::int64_t nr = std::min<std::int64_t>(kRowTableNR, nj - jj);
                tiles[nr - 1](G + jj * dp + c0, tables, words + jj, (ni + 3) / 4, dp, s0 == 0);
            }
        }
    std::int64_t net[kRowTableBlock];
    std::fill(net, net + nj, k);
    update_block(A, j0, nj, net, G, dp);
}

inline void backward_row_tables(const BackwardArgs<float>& A, int n_threads, StopFlag& stop) {
    network_pieces(A, kRowTableBlock, n_threads, stop,
                   [&](std::int64_t k, std::int64_t j0, std::int64_t nj, float* scratch) {
                       row_table_piece(A, k, j0, nj, scratch);
                   });
}
#endif

template <class T>
void backward(const BackwardArgs<T>& A, int n_threads, StopFlag& stop) {
#if defined(__AVX512F__)
    if constexpr (std::is_same_v<T, float> && X<T>::lanes == 16) {
        if (A.Xp != nullptr) return backward_row_tables(A, n_threads, stop);
        if (A.bank->d <= kTableMaxD) return backward_tables(A, n_threads, stop);
    }
#endif
    if (A.Xp != nullptr)
        backward_rows(A, n_threads, stop);
    else
        backward_samples(A, n_threads, stop);
}

template <class T>
KernelTable<T> table() {
    using Bits = typename X<T>::Bits;
    return {KDFAST_STRINGIFY(KDFAST_ISA),
            X<T>::lanes,
            2 * X<T>::lanes,
            static_cast<int>(sizeof(Bits)),
            2 * X<T>::lanes,
            &forward<T>,
            &backward<T>};
}

template KernelTable<float> table<float>();
template KernelTable<double> table<double>();

}  // namespace KDFAST_ISA
}  // namespace kdfast
