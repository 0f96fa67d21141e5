// The per-network parts of a step: loss, accuracy and the loss gradient with
// respect to the logits, and the network projection. (The layers themselves
// are the fused kernels of kernels.hpp.)
//
// Size legend: n samples, K networks, M neurons in all, C target columns.
// Logits are stored network-major, F[k * ld + i], so each network's samples
// are contiguous.
#pragma once

#include <cstdint>

#include "views.hpp"

namespace kdfast {

// negentropy[c] = (1/n) sum_i [p ln p + (1-p) ln(1-p)], p = P[i, c]: the
// constant part of the loss for target column c.
void column_negentropy(double* negentropy,  // (C,) out
                       const double* P,     // (n, C)
                       std::int64_t n, std::int64_t C);

// Per network k, with target column p = data.P[:, schedule.column[k]] and
// tau_k = schedule.tau[k], over the first data.n of the ld columns of F and R:
//   loss[k]    = (1/n) sum_i l(F[k, i], p_i; tau_k)
//   correct[k] = #{i : F[k, i] * y_i > 0}              (when data.y and correct are given)
//   R[k, i]    = dl/df(F[k, i], p_i; tau_k) / n_total  (when R is given)
// (n_total > n when these n samples are one chunk of a larger set).
template <class T>
void loss_and_residual(double* loss,              // (K,) out
                       std::int64_t* correct,     // (K,) out, or nullptr
                       T* R,                      // (K, ld) out, or nullptr
                       const T* F,                // (K, ld)
                       const double* negentropy,  // (C,) column_negentropy of data.P
                       const Samples<T>& data, const Schedule& schedule, std::int64_t K, std::int64_t ld,
                       std::int64_t n_total, int n_threads);

// Scales network k back onto the Frobenius ball ||Wn_k - W0_k|| <= radius_k.
template <class T>
void project_networks(T* Wn,             // (M, d) in/out
                      const double* sq,  // (M,) ||wn_j - w0_j||^2 from the backward kernel
                      const BankView<T>& bank, const Schedule& schedule, int n_threads);

}  // namespace kdfast
