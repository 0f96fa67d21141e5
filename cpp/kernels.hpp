// The fused layer kernels of a bank of students, and the table through which
// the best instruction set available at run time is chosen.
//
// Size legend: n samples (np after padding to whole panels), d inputs,
// K networks, M neurons in all. Samples are the fastest-moving index of the
// inputs (Xt is d x np), the logits and residuals (K x np) and the
// activation bits (one Bits word per `lanes` samples per neuron).
#pragma once

#include <cstdint>

#include "parallel.hpp"
#include "train.hpp"

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
    const T* Xt;                  // (d, np) inputs, transposed, zero-padded
    const T* W;                   // (M, d)
    const T* a;                   // (M,)
    const std::int64_t* offsets;  // (K+1,)
    std::int64_t np, d, K;
};

template <class T>
struct BackwardArgs {
    T* Wn;                        // (M, d) out: weights after the step
    double* sq;                   // (M,) out: ||wn_j - w0_j||^2
    T* scratch;                   // (n_threads, kNeuronBlock, d)
    const T* W;                   // (M, d)
    const void* bits;             // (M, np / lanes) from the forward pass
    const T* R;                   // (K, np) dL/df / n, zero in the padding
    const T* Xt;                  // (d, np)
    const BankView<T>* bank;
    const Schedule* schedule;
    std::int64_t np;
};

// Neurons per backward task; each task is the sole writer of its rows.
constexpr std::int64_t kNeuronBlock = 40;

template <class T>
struct KernelTable {
    const char* name;  // instruction set: "avx512", "avx2" or "baseline"
    int lanes;         // samples per vector (and per activation word)
    int panel;         // samples per forward tile; np is a multiple of it
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
