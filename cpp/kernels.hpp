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
    const T* Xp;       // (dp / row_panel, n, row_panel) for the row path, else nullptr:
                       //   the inputs in panels of row_panel coordinates, zero-padded
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
// (kernels.inl) replace the sample path when d <= kTableMaxD, and the row
// path.
//
// Neurons per backward task on the sample path, and on the row path;
// samples per row-path chunk. Each task is the sole writer of its rows.
constexpr std::int64_t kNeuronBlock = 40;
constexpr std::int64_t kRowBlock = 48;
constexpr std::int64_t kRowChunk = 64;

// Padded width of the row path for d inputs, or 0 for the sample path: the
// row path needs d to fill at least two row panels, padded by at most 1/8.
inline std::int64_t row_path_width(std::int64_t d, std::int64_t row_panel) {
    const std::int64_t dp = (d + row_panel - 1) / row_panel * row_panel;
    return d >= 2 * row_panel && 8 * dp <= 9 * d ? dp : 0;
}

// The table path (AVX-512, float32, d <= kTableMaxD): neurons per task,
// and the elements of a chunk's subset-sum tables (32 KiB of float32, so
// that they stay in L1 while every neuron of the task reads them).
constexpr std::int64_t kTableMaxD = 64;
constexpr std::int64_t kTableBlock = 1024;
constexpr std::int64_t kTableElements = 8192;

// The table path of the row path (AVX-512, float32): neurons per task and
// per tile (2 accumulators each).
constexpr std::int64_t kRowTableBlock = 256;
constexpr int kRowTableNR = 8;

// Elements of scratch each thread needs: enough for the table paths too
// (sample path: tables, the sums of a task's neurons, one group's rows; row
// path: the sums of a task's neurons, one chunk's tables of 32 coordinates).
inline std::int64_t backward_scratch(std::int64_t d, std::int64_t dp) {
    if (dp > 0) return std::max(kRowBlock * (dp + kRowChunk), kRowTableBlock * dp + kRowChunk / 4 * 16 * 32);
    const std::int64_t tables = d <= kTableMaxD ? kTableElements + (kTableBlock + 16) * d + 16 * d : 0;
    return std::max(kNeuronBlock * d, tables);
}

template <class T>
struct KernelTable {
    const char* name;  // instruction set: "avx512", "avx2" or "baseline"
    int lanes;         // samples per vector (and per activation word)
    int panel;         // samples per forward tile; np is a multiple of it
    int bits_bytes;    // bytes per activation word
    int row_panel;     // input coordinates per row-path tile
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
