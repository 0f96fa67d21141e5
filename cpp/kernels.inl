// The fused kernels, written once and compiled once per instruction set.
// The including file (kernels_<isa>.cpp) defines the macro KDFAST_ISA, the
// namespace and name of the build (baseline, avx2, avx512), and in that
// namespace:
//   kVecBytes  vector width in bytes
//   kFwdNR     neurons per forward and row-path tile (2 * NR accumulators)
//   kBwdNR     neurons per sample-path gradient tile
//   kBwdNC     coordinates per sample-path tile (NR * NC accumulators)
// and KDFAST_TABLE_PATHS when it also has the float32 table paths of the
// backward pass (kernels_avx512.inl).
//
// Forward: a tile is a panel of 2 vectors of samples times NR neurons; its
// pre-activations stay in registers, where they are turned into activation
// bits, ReLU'd, signed and summed into the running logit of their network.
// Backward: sum_i R[k, i] 1[<w, x_i> > 0] x_i for every neuron, with the
// activation bits selecting the residuals, so no pre-activation is
// recomputed. On AVX-512 and float32 it looks the sums up in tables of
// subset sums instead (kernels_avx512.inl). The sample path (small d) holds NR neurons times NC
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

template <class T>
using X = Vec<T, kVecBytes>;

// A tile kernel is a template on its register counts, which the compiler
// needs as constants to keep the accumulators in registers; the edges of a
// block take smaller tiles. instantiations<N>(make) is the table
// {make(1), .., make(N)} of function pointers, where make(count) names the
// kernel for `count` (a std::integral_constant), so that the tile for
// count c is table[c - 1], chosen at run time.
template <class Make, std::size_t... I>
constexpr auto instantiations_of(Make make, std::index_sequence<I...>) {
    return std::array{make(std::integral_constant<int, static_cast<int>(I) + 1>{})...};
}

template <int N, class Make>
constexpr auto instantiations(Make make) {
    return instantiations_of(make, std::make_index_sequence<N>{});
}

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
    static constexpr auto tails = instantiations<kFwdNR>([](auto nr) { return &forward_tile<T, nr>; });
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
    // tiles[nr - 1][nc - 1] handles nr neurons times nc coordinates.
    static constexpr auto tiles = instantiations<kBwdNR>([](auto nr) {
        return instantiations<kBwdNC>([](auto nc) { return &gradient_tile<T, decltype(nr)::value, nc>; });
    });
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
void backward_rows(const BackwardArgs<T>& A, int n_threads, StopFlag& stop) {
    static_assert(kRowBlock % kFwdNR == 0, "row tiles must fit the row blocks");
    static constexpr auto tiles = instantiations<kFwdNR>([](auto nr) { return &row_tile<T, nr>; });
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

#ifdef KDFAST_TABLE_PATHS
// The float32 backward pass by tables of subset sums, where it applies;
// false where it does not (kernels_avx512.inl).
bool backward_by_tables(const BackwardArgs<float>& A, int n_threads, StopFlag& stop);
#endif

template <class T>
void backward(const BackwardArgs<T>& A, int n_threads, StopFlag& stop) {
#ifdef KDFAST_TABLE_PATHS
    if constexpr (std::is_same_v<T, float>)
        if (backward_by_tables(A, n_threads, stop)) return;
#endif
    if (A.Xp != nullptr)
        backward_rows(A, n_threads, stop);
    else
        backward_samples(A, n_threads, stop);
}

template <class T>
KernelTable<T> table() {
    using Bits = typename X<T>::Bits;
    return {KDFAST_STRINGIFY(KDFAST_ISA),   X<T>::lanes, 2 * X<T>::lanes,
            static_cast<int>(sizeof(Bits)), &forward<T>, &backward<T>};
}

template KernelTable<float> table<float>();
template KernelTable<double> table<double>();

}  // namespace KDFAST_ISA
}  // namespace kdfast
