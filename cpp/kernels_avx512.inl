// The float32 table paths of the backward pass, which only the AVX-512
// build has (kernels_avx512.cpp includes this file after kernels.inl, whose
// backward() calls backward_by_tables first). Both rest on one fact: a
// group of kGroup = 4 samples has 16 subsets, as many as a vector's float32
// lanes, so one permute (sample path) or one 4-bit index (row path) fetches
// the subset sum that a neuron's activation bits select.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels.hpp"
#include "simd.hpp"

namespace kdfast {
namespace KDFAST_ISA {

constexpr int kLanes = static_cast<int>(kTableLanes);
constexpr int kGroup = static_cast<int>(kTableGroup);
constexpr int kSubsets = 1 << kGroup;
constexpr int kPanel = static_cast<int>(kTablePanel);
static_assert(X<float>::lanes == kLanes && 2 * X<float>::lanes == kPanel, "the AVX-512 build's vectors and panels");
static_assert(kSubsets == kLanes, "one subset sum per lane");

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
// select; the table is their sum. In a two-vector permute (y, S), source
// lanes 0 .. 15 are y's and kLanes + l is S's lane l.
constexpr std::int32_t table_source(int pair, int which) {
    return which == 0   ? kLanes + 2 * pair + 1  // neither sample: S[2 pair + 1] = 0
           : which == 1 ? 2 * pair               // the first sample of the pair
           : which == 2 ? 2 * pair + 1           // the second
                        : kLanes + 2 * pair;     // both: their sum
}

inline __m512i table_permute(int pair, bool high) {
    std::int32_t source[kSubsets];
    for (int s = 0; s < kSubsets; ++s) source[s] = table_source(pair, high ? s >> 2 : s & 3);
    return _mm512_loadu_si512(source);
}

// S from y: lane 2p + 1 of y moved next to lane 2p and added there, kept in
// the even lanes only.
constexpr __mmask16 kEvenLanes = 0x5555;
constexpr int kSwapNeighbours = _MM_SHUFFLE(2, 3, 0, 1);  // 0xB1: lanes 2p and 2p + 1 trade places

// tables[q, c, s] for the chunk's groups of 4 samples q (samples s0 + 4 q ..)
// and coordinates c0 + c.
inline void build_tables(float* tables,    // (nq, dc, 16) out
                         const float* r,   // (np,) the network's residuals
                         const float* Xt,  // (np / 32, d, 32)
                         std::int64_t d, std::int64_t s0, std::int64_t nq, std::int64_t c0, std::int64_t dc) {
    constexpr int kGroupsPerVector = kLanes / kGroup;
    __m512i perm_a[kGroupsPerVector], perm_b[kGroupsPerVector];
    for (int u = 0; u < kGroupsPerVector; ++u) {
        perm_a[u] = table_permute(2 * u, false);
        perm_b[u] = table_permute(2 * u + 1, true);
    }
    for (std::int64_t v = 0; v < nq / kGroupsPerVector; ++v) {
        const std::int64_t i = s0 + kLanes * v;
        const __m512 rv = _mm512_loadu_ps(r + i);
        const float* x = Xt + (i / kPanel) * d * kPanel + i % kPanel;  // (d, 32) from sample i
        for (std::int64_t c = 0; c < dc; ++c) {
            const __m512 y = _mm512_mul_ps(rv, _mm512_loadu_ps(x + (c0 + c) * kPanel));
            const __m512 pairs = _mm512_maskz_add_ps(kEvenLanes, y, _mm512_permute_ps(y, kSwapNeighbours));
            for (int u = 0; u < kGroupsPerVector; ++u)
                _mm512_storeu_ps(tables + ((kGroupsPerVector * v + u) * dc + c) * kSubsets,
                                 _mm512_add_ps(_mm512_permutex2var_ps(y, perm_a[u], pairs),
                                               _mm512_permutex2var_ps(y, perm_b[u], pairs)));
        }
    }
}

// Coordinates per pass of the lookups: 8 sums and the 8 permutes that feed
// them fit the registers however the compiler schedules them (with 16 it
// hoisted the permutes and spilled).
constexpr int kTableSlab = 8;

// The activation bits are gathered a 32-bit word at a time: the bits of 8
// groups of 4 samples.
constexpr int kWordBytes = 4;
constexpr int kGroupsPerWord = 8 * kWordBytes / kGroup;

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
    for (std::int64_t w = 0; w < nq / kGroupsPerWord; ++w) {
        __m512i index = next;
        if (w + 1 < nq / kGroupsPerWord)
            next = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), valid, rows, bits + kWordBytes * (w + 1), 1);
        for (int u = 0; u < kGroupsPerWord; ++u, index = _mm512_srli_epi32(index, kGroup)) {
            // vpermps reads the low 4 bits of each lane: this group's bits.
            const float* t = tables + (kGroupsPerWord * w + u) * DC * kSubsets;
            KDFAST_UNROLL
            for (int c = 0; c < DC; ++c)
                acc[c] = _mm512_add_ps(acc[c], _mm512_permutexvar_ps(index, _mm512_loadu_ps(t + c * 16)));
        }
    }
    KDFAST_UNROLL
    for (int c = 0; c < DC; ++c) _mm512_storeu_ps(sums + c * 16, acc[c]);
}

// Neurons j0 .. j0 + nj of network k: their gradient sums by table, then
// their projected step.
inline void table_piece(const BackwardArgs<float>& A, std::int64_t k, std::int64_t j0, std::int64_t nj,
                        float* scratch) {
    static constexpr auto lookups = instantiations<kTableSlab>([](auto dc) { return &lookup_group<dc>; });
    const std::int64_t d = A.bank->d, np = A.np, groups = (nj + kLanes - 1) / kLanes;  // of 16 neurons
    const std::int64_t row_bytes = np / 8;
    float* tables = scratch;                       // (nq, dc, 16)
    float* sums = tables + kTableElements;         // (groups, d, 16)
    float* G = sums + (kTableBlock + kLanes) * d;  // (16, d)
    const __m512i rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32(static_cast<std::int32_t>(row_bytes)));
    const char* bits = static_cast<const char*>(A.bits) + j0 * row_bytes;
    for (std::int64_t c0 = 0; c0 < d; c0 += kTableSlab) {
        const std::int64_t dc = std::min<std::int64_t>(kTableSlab, d - c0);
        // Groups per chunk: whole words of bits, the tables at most kTableElements.
        const std::int64_t per_chunk =
            std::max<std::int64_t>(kGroupsPerWord, kTableElements / (kSubsets * dc) / kGroupsPerWord * kGroupsPerWord);
        for (std::int64_t s0 = 0; s0 < np; s0 += kGroup * per_chunk) {
            const std::int64_t nq = std::min(per_chunk, (np - s0) / kGroup);
            build_tables(tables, A.R + k * np, A.Xt, d, s0, nq, c0, dc);
            for (std::int64_t g = 0; g < groups; ++g) {
                const std::int64_t count = std::min<std::int64_t>(kLanes, nj - kLanes * g);
                lookups[dc - 1](sums + (g * d + c0) * kLanes, tables, bits + kLanes * g * row_bytes + s0 / 8, rows,
                                static_cast<__mmask16>((1u << count) - 1), nq, s0 == 0);
            }
        }
    }
    std::int64_t net[kLanes];
    std::fill(net, net + kLanes, k);
    for (std::int64_t g = 0; g < groups; ++g) {
        const std::int64_t count = std::min<std::int64_t>(kLanes, nj - kLanes * g);
        for (std::int64_t l = 0; l < count; ++l)
            for (std::int64_t c = 0; c < d; ++c) G[l * d + c] = sums[(g * d + c) * kLanes + l];
        update_block(A, j0 + kLanes * g, count, net, G, d);
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
void backward_tables(const BackwardArgs<float>& A, int n_threads, StopFlag& stop) {
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
    for (std::int64_t q = 0; kGroup * q < ni; ++q)
        for (int h = 0; h < kPanel / kLanes; ++h) {
            __m512 p[kGroup];
            for (int t = 0; t < kGroup; ++t) {
                const std::int64_t i = kGroup * q + t;
                p[t] = i < ni ? _mm512_mul_ps(_mm512_set1_ps(r[i]), _mm512_loadu_ps(x + i * kPanel + kLanes * h))
                              : _mm512_setzero_ps();
            }
            const __m512 low[4] = {_mm512_setzero_ps(), p[0], p[1], _mm512_add_ps(p[0], p[1])};
            const __m512 high[4] = {_mm512_setzero_ps(), p[2], p[3], _mm512_add_ps(p[2], p[3])};
            for (int s = 0; s < kSubsets; ++s)
                _mm512_storeu_ps(tables + (q * kSubsets + s) * kPanel + kLanes * h,
                                 _mm512_add_ps(low[s & 3], high[s >> 2]));
        }
}

// A table entry is the sums of one subset at the kPanel coordinates: 128
// bytes, so a group's 4 bits s shifted left by 7 are the entry's byte
// offset in its group's table, and kEntryBits picks them out in place.
constexpr int kEntryShift = 7;
static_assert(kPanel * sizeof(float) == std::size_t{1} << kEntryShift, "an entry is 2^kEntryShift bytes");
constexpr std::uint64_t kEntryBits = std::uint64_t{kSubsets - 1} << kEntryShift;  // 0x780
// The bits of kGroupsPerWord groups, shifted in one go.
constexpr std::uint64_t kWordBits = 0xFFFFFFFF;

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
        acc[r][1] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(G + r * dp + kLanes);
    }
    for (std::int64_t q0 = 0; q0 < nq; q0 += kGroupsPerWord) {
        std::uint64_t offset[NR];
        KDFAST_UNROLL
        for (int r = 0; r < NR; ++r) offset[r] = (words[r] >> (kGroup * q0) & kWordBits) << kEntryShift;
        const char* t = reinterpret_cast<const char*>(tables + q0 * kSubsets * kPanel);
        const std::int64_t count = std::min<std::int64_t>(kGroupsPerWord, nq - q0);
        for (std::int64_t q = 0; q < count; ++q, t += kSubsets * kPanel * sizeof(float)) {
            KDFAST_UNROLL
            for (int r = 0; r < NR; ++r) {
                const float* e = reinterpret_cast<const float*>(t + (offset[r] >> (kGroup * q) & kEntryBits));
                acc[r][0] = _mm512_add_ps(acc[r][0], _mm512_loadu_ps(e));
                acc[r][1] = _mm512_add_ps(acc[r][1], _mm512_loadu_ps(e + kLanes));
            }
        }
    }
    KDFAST_UNROLL
    for (int r = 0; r < NR; ++r) {
        _mm512_storeu_ps(G + r * dp, acc[r][0]);
        _mm512_storeu_ps(G + r * dp + kLanes, acc[r][1]);
    }
}

// Neurons j0 .. j0 + nj of network k: their gradient sums by table, then
// their projected step. Panels of coordinates outermost, so that the sums of
// the piece's neurons at one panel (at most kRowTableBlock x 128 B = 32 KiB)
// and one chunk's tables (32 KiB) stay in L1 and L2 while the chunks pass;
// each table is built once per piece and read by all its neurons.
inline void row_table_piece(const BackwardArgs<float>& A, std::int64_t k, std::int64_t j0, std::int64_t nj,
                            float* scratch) {
    // A chunk's bits of one neuron are one 64-bit word.
    static_assert(kRowChunk == 64, "one word of activation bits per neuron and chunk");
    static constexpr auto tiles = instantiations<kRowTableNR>([](auto nr) { return &row_table_tile<nr>; });
    const std::int64_t n = A.n, dp = A.dp, row_bytes = A.np / 8;
    float* G = scratch;                                                    // (nj, dp)
    float* tables = G + kRowTableBlock * dp;                               // (kRowChunk / 4, 16, 32)
    const char* bits = static_cast<const char*>(A.bits) + j0 * row_bytes;  // (nj, row_bytes)
    std::uint64_t words[kRowTableBlock];
    for (std::int64_t c0 = 0; c0 < dp; c0 += kPanel)
        for (std::int64_t s0 = 0; s0 < n; s0 += kRowChunk) {
            const std::int64_t ni = std::min(kRowChunk, n - s0);
            const std::int64_t bytes = std::min<std::int64_t>(sizeof(std::uint64_t), row_bytes - s0 / 8);
            build_row_tables(tables, A.R + k * A.np + s0, A.Xp + c0 * n + s0 * kPanel, ni);
            for (std::int64_t r = 0; r < nj; ++r) {
                words[r] = 0;
                std::memcpy(&words[r], bits + r * row_bytes + s0 / 8, static_cast<std::size_t>(bytes));
            }
            for (std::int64_t jj = 0; jj < nj; jj += kRowTableNR) {
                const std::int64_t nr = std::min<std::int64_t>(kRowTableNR, nj - jj);
                tiles[nr - 1](G + jj * dp + c0, tables, words + jj, (ni + kGroup - 1) / kGroup, dp, s0 == 0);
            }
        }
    std::int64_t net[kRowTableBlock];
    std::fill(net, net + nj, k);
    update_block(A, j0, nj, net, G, dp);
}

void backward_row_tables(const BackwardArgs<float>& A, int n_threads, StopFlag& stop) {
    network_pieces(A, kRowTableBlock, n_threads, stop,
                   [&](std::int64_t k, std::int64_t j0, std::int64_t nj, float* scratch) {
                       row_table_piece(A, k, j0, nj, scratch);
                   });
}

bool backward_by_tables(const BackwardArgs<float>& A, int n_threads, StopFlag& stop) {
    if (A.Xp != nullptr)
        backward_row_tables(A, n_threads, stop);
    else if (A.bank->d <= kTableMaxD)
        backward_tables(A, n_threads, stop);
    else
        return false;
    return true;
}

}  // namespace KDFAST_ISA
}  // namespace kdfast
