// The fused layer kernels of a bank of students, and the table through which
// the best instruction set available at run time is chosen.
//
// Size legend: n samples (np after padding to whole panels), d inputs,
// K networks, M neurons in all. Samples are the fastest-moving index of the
// inputs (Xt holds panels of `panel` samples, each panel's d coordinates
// contiguous), the logits and residuals (K x np) and the activation bits
// (one Bits word per `lanes` samples per neuron).
#pragma once

#include <algorithm>
#include <cstdint>

#include "parallel.hpp"
#include "views.hpp"

namespace kdfast {

// A split of the networks into contiguous groups: forward work is one task
// per (group, panel of samples), each the sole writer of its logits.
struct NetworkGroups {
    const std::int64_t* first;  // (G+1,) group g is networks first[g]..first[g+1]
    std::int64_t count;         // G
};

template <class T>
struct ForwardArgs {
    T* F;                         // (K, np) out: logits
    void* bits;                   // (M, np / lanes) out: activation bits, or nullptr
    const T* Xt;                  // (np / panel, d, panel) inputs in panels of samples, zero-padded
    const T* W;                   // (M, d)
    const T* a;                   // (M,)
    const std::int64_t* offsets;  // (K+1,)
    std::int64_t np, d, K;
};

// A step's samples may come in chunks (train.hpp: activation_chunk), one
// backward pass each. Each pass adds its chunk's gradient sums to those of
// the chunks before it, which it finds in Wn, and only the last pass takes
// the step, from the total: W is rounded once per step however many chunks
// there are (subtracting each chunk's part from W in turn rounded W once per
// chunk, several float32 ulps in all).
template <class T>
struct BackwardArgs {
    T* Wn;             // (M, d) in/out: the gradient sums of the earlier chunks (when earlier_sums); out:
                       //   the weights after the step (when last_chunk), else the gradient sums so far
    double* sq;        // (M,) out: ||wn_j - w0_j||^2
    T* scratch;        // (n_threads, backward_scratch(...)) per-thread work space
    const T* W;        // (M, d)
    const void* bits;  // (M, np / lanes) from the forward pass
    const T* R;        // (K, np) dL/df / n_total, zero in the padding
    const T* Xt;       // (np / panel, d, panel) for the sample path
    const T* Xp;       // (dp / panel, n, panel) for the row path, else nullptr:
                       //   the inputs in panels of `panel` coordinates, zero-padded
    const BankView<T>* bank;
    const Schedule* schedule;
    std::int64_t n, np, dp;
    bool earlier_sums;  // Wn holds the gradient sums of the step's earlier chunks
    bool last_chunk;    // this chunk completes the step
};

// The backward pass has two layouts. The sample path puts samples in the
// vector lanes (like the forward pass) and sums the lanes at the end: best
// for small d. The row path puts input coordinates in the lanes and sums
// over samples in registers, the mirror image of the forward pass: best
// when d fills whole vectors. For float32 on AVX-512, table paths
// (kernels_avx512.inl) replace the row path, and the sample path when
// d <= kTableMaxD.
//
// Neurons per backward task on the sample path: whole tiles of every
// build's kBwdNR (5 and 2), and few enough that their gradient sums
// (kNeuronBlock x d) stay in cache while the task's tiles pass over the
// inputs. Each task is the sole writer of its rows.
constexpr std::int64_t kNeuronBlock = 40;
// Neurons per backward task on the row path: whole tiles of every build's
// kFwdNR (12 and 6).
constexpr std::int64_t kRowBlock = 48;
// Samples per row-path chunk: a block's coefficients for the chunk
// (kRowBlock x 64) and the chunk's panel of inputs stay in L1 while every
// tile of the block passes over them; on the table path, a neuron's bits
// for the chunk are one 64-bit word.
constexpr std::int64_t kRowChunk = 64;

// Padded width of the row path for d inputs, or 0 for the sample path: the
// row path needs d to fill at least two panels, padded by at most 1/8.
inline std::int64_t row_path_width(std::int64_t d, std::int64_t panel) {
    const std::int64_t dp = (d + panel - 1) / panel * panel;
    return d >= 2 * panel && 8 * dp <= 9 * d ? dp : 0;
}

// The table paths (AVX-512, float32) sum a neuron's gradient by groups of
// kTableGroup samples, each group's part looked up in a table of its
// 2^4 = 16 subset sums: one per float32 lane of an AVX-512 vector. That
// build's panels (of samples in Xt, of coordinates in Xp) are 2 vectors.
constexpr std::int64_t kTableGroup = 4;
constexpr std::int64_t kTableLanes = 16;
constexpr std::int64_t kTablePanel = 2 * kTableLanes;

// The sample path's tables serve d <= kTableMaxD, the small d they were
// written and measured for; a larger d goes to the row path wherever it
// fills whole panels. A task is kTableBlock neurons: a piece builds its
// network's tables once for all its neurons, so large tasks share that
// cost. A chunk's tables have kTableElements elements (32 KiB of float32,
// so that they stay in L1 while every neuron of the task reads them).
constexpr std::int64_t kTableMaxD = 64;
constexpr std::int64_t kTableBlock = 1024;
constexpr std::int64_t kTableElements = 8192;

// The row path's tables: neurons per task (their sums at one panel of
// coordinates, kRowTableBlock x 128 B = 32 KiB, stay in L1) and per tile:
// 8 neurons keep 16 accumulators in vector registers and their table
// offsets in 8 of the 16 general registers, beside the loop's pointers.
constexpr std::int64_t kRowTableBlock = 256;
constexpr int kRowTableNR = 8;
// Elements of one chunk's row-path tables: a table of 16 entries of
// kTablePanel coordinates per group of kTableGroup samples.
constexpr std::int64_t kRowTableElements = kRowChunk / kTableGroup * (1 << kTableGroup) * kTablePanel;

// Elements of scratch each thread needs: enough for the table paths too
// (sample path: tables, the sums of a task's neurons in whole vectors of
// kTableLanes neurons, one such vector's rows; row path: the sums of a
// task's neurons, one chunk's tables).
inline std::int64_t backward_scratch(std::int64_t d, std::int64_t dp) {
    if (dp > 0) return std::max(kRowBlock * (dp + kRowChunk), kRowTableBlock * dp + kRowTableElements);
    const std::int64_t tables =
        d <= kTableMaxD ? kTableElements + (kTableBlock + kTableLanes) * d + kTableLanes * d : 0;
    return std::max(kNeuronBlock * d, tables);
}

template <class T>
struct KernelTable {
    const char* name;  // instruction set: "avx512", "avx2" or "baseline"
    int lanes;         // samples per vector (and per activation word)
    int panel;         // samples per forward tile and input coordinates per row-path tile (2 vectors):
                       //   np, and dp on the row path, are multiples of it
    int bits_bytes;    // bytes per activation word
    void (*forward)(const ForwardArgs<T>&, const NetworkGroups&, int n_threads, StopFlag& stop);
    void (*backward)(const BackwardArgs<T>&, int n_threads, StopFlag& stop);
};

// The table for this machine: the widest instruction set the CPU has, or
// the one named by the environment variable KDFAST_SIMD (for testing).
template <class T>
const KernelTable<T>& kernels();

// Name of the instruction set kernels<float>() uses.
const char* simd_level();

}  // namespace kdfast
