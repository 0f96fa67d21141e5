// Read-only views of what a fit reads: the bank's fixed parts, a data set
// with its targets, and the per-network hyperparameters. Plain pointers and
// sizes, shared by the kernels and the training API.
//
// Size legend: n samples, d inputs, K networks, M neurons in all,
// C target columns.
#pragma once

#include <cstdint>

namespace kdfast {

enum class Projection : int { none = 0, neuron = 1, network = 2 };

// Read-only view of a bank's fixed parts.
template <class T>
struct BankView {
    const T* W0;                  // (M, d) initial weights: centres of the projection balls
    const T* a;                   // (M,)   output signs
    const std::int64_t* offsets;  // (K+1,) network k owns rows offsets[k]..offsets[k+1]
    std::int64_t K, M, d;
};

// A data set with the targets each network is trained or scored against.
template <class T>
struct Samples {
    const T* X;            // (n, d)
    const double* P;       // (n, C) probabilities of class +1
    const std::int8_t* y;  // (n,)   labels in {-1, +1}, or nullptr: no accuracy
    std::int64_t n, C;
};

// Per-network hyperparameters.
struct Schedule {
    const double* lr;            // (K,)
    const double* radius;        // (K,) infinity: this network is not projected
    const double* tau;           // (K,) temperatures
    const std::int64_t* column;  // (K,) target column of each network
    Projection projection;
    std::int64_t steps, record_every;
};

}  // namespace kdfast
