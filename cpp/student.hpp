// The layers of a bank of two-layer ReLU students, forward and backward:
// logits, per-network loss and its gradient with respect to the logits,
// and the projected gradient step on the first-layer weights.
//
// Size legend: n samples, d inputs, K networks, M neurons in all,
// C target columns. Logits are stored network-major, F[k * n + i], so each
// network's samples are contiguous for the per-network reductions.
#pragma once

#include <cstdint>

#include "parallel.hpp"
#include "train.hpp"

namespace kdfast {

// Samples per tile: the tile of X^T (d x kTile) is reused by every neuron.
constexpr std::int64_t kTile = 64;
// Neurons per backward task: each tile of X is reused by kBlock neurons.
constexpr std::int64_t kBlock = 16;

// F[k, i] = (1 / sqrt(m_k)) * sum_{j in k} a_j * relu(<w_j, x_i>).
template <class T>
void forward(T* F,                         // (K, n) out
             const T* Xt,                  // (d, n) inputs, transposed
             const T* W,                   // (M, d)
             const T* a,                   // (M,)
             const std::int64_t* offsets,  // (K+1,)
             std::int64_t n, std::int64_t d, std::int64_t K, int n_threads, StopFlag& stop);

// Per network k, with target column p = P[:, column[k]]:
//   loss[k]    = (1/n) sum_i l(F[k, i], p_i; tau_k)
//   correct[k] = #{i : F[k, i] * y_i > 0}          (when y and correct are given)
//   R[k, i]    = (1/n) dl/df(F[k, i], p_i; tau_k)  (when R is given)
template <class T>
void loss_and_residual(double* loss,                // (K,) out
                       std::int64_t* correct,       // (K,) out, or nullptr
                       T* R,                        // (K, n) out, or nullptr
                       const T* F,                  // (K, n)
                       const double* P,             // (n, C) target probabilities
                       const std::int64_t* column,  // (K,) target column of each network
                       const double* tau,           // (K,) temperatures
                       const std::int8_t* y,        // (n,) labels in {-1, +1}, or nullptr
                       std::int64_t n, std::int64_t C, std::int64_t K, int n_threads);

// One gradient step for every neuron, written to Wn (W is left as it was,
// so an interrupted step leaves the previous weights intact):
//   wn_j = w_j - lr_k * (a_j / sqrt(m_k)) * sum_i R[k, i] * 1[<w_j, x_i> > 0] * x_i
// then, for Projection::neuron, wn_j is pulled back into the ball of radius
// radius_k / sqrt(m_k) around w0_j. For Projection::network, sq[j] receives
// ||wn_j - w0_j||^2 for project_networks.
template <class T>
void backward_update(T* Wn,                        // (M, d) out
                     double* sq,                   // (M,) out, used by Projection::network
                     T* scratch,                   // (n_threads, kBlock, d) gradient accumulators
                     const T* W,                   // (M, d)
                     const BankView<T>& bank,
                     const T* R,                   // (K, n) from loss_and_residual
                     const T* X,                   // (n, d)
                     const T* Xt,                  // (d, n)
                     const Schedule& schedule,
                     std::int64_t n, int n_threads, StopFlag& stop);

// Scales network k back onto the Frobenius ball ||Wn_k - W0_k|| <= radius_k.
template <class T>
void project_networks(T* Wn,            // (M, d) in/out
                      const double* sq, // (M,) from backward_update
                      const BankView<T>& bank, const Schedule& schedule, int n_threads);

}  // namespace kdfast
