// Full-batch projected gradient descent for a bank of students, all steps
// inside one call.
//
// Size legend: n samples, d inputs, K networks, M neurons in all,
// C target columns, T_rec recorded steps.
#pragma once

#include <cstdint>

#include "parallel.hpp"
#include "views.hpp"

namespace kdfast {

// Outputs; optional arrays are nullptr when not wanted. Rows are the
// steps t = 0, record_every, 2 record_every, ... below `steps`, and then
// t = steps: the weights the fit ends with.
struct Records {
    double* loss;       // (T_rec, K) L(W_t)
    double* train_acc;  // (T_rec, K) or nullptr
    double* test_loss;  // (T_rec, K) or nullptr
    double* test_acc;   // (T_rec, K) or nullptr
    double* mean_loss;  // (K,) mean of L(W_t) over every step t < steps
};

// T_rec for a schedule.
inline std::int64_t recorded_steps(std::int64_t steps, std::int64_t record_every) {
    return (steps + record_every - 1) / record_every + 1;
}

// Runs schedule.steps steps on W in place. Returns false when interrupted:
// W then holds the weights after the last completed step.
template <class T>
bool train(T* W,  // (M, d) in/out
           const BankView<T>& bank, const Samples<T>& data, const Samples<T>* test, const Schedule& schedule,
           const Records& records, int n_threads, Interrupt interrupt);

// Training samples per chunk: a fit keeps the activation bits of one chunk
// of samples at a time, at most KDFAST_ACTIVATION_BUDGET bytes (512 MiB when
// unset) but never less than one panel, so memory stays O(M d + n K) however
// large n * M grows. One chunk holds all samples whenever they fit.
template <class T>
std::int64_t activation_chunk(std::int64_t M, std::int64_t n);

// Bytes of activation bits a fit of M neurons on n samples keeps.
template <class T>
std::int64_t activation_bytes(std::int64_t M, std::int64_t n);

// The sizes that decide what a fit allocates.
struct FitSizes {
    std::int64_t K, M, d;       // networks, neurons in all, inputs
    std::int64_t n, C, n_test;  // training samples, target columns, test samples (0: no test set)
    bool labels;                // whether train accuracy is recorded
    std::int64_t steps, record_every;
    int n_threads;
};

// Bytes a fit of these sizes allocates: train()'s buffers, and the Records
// arrays its caller provides (all but the forward kernel's own per-thread
// work space, which does not grow with n, M or K).
template <class T>
std::int64_t fit_bytes(const FitSizes& sizes);

// F[k, i] = f_k(x_i). Returns false when interrupted.
template <class T>
bool logits(T* F,  // (K, n) out
            const T* W, const BankView<T>& bank, const T* X /* (n, d) */, std::int64_t n, int n_threads,
            Interrupt interrupt);

// drift[k] = sqrt(m_k) * max_{j in k} ||w_j - w0_j||.
template <class T>
void max_drift(double* drift,  // (K,) out
               const T* W, const BankView<T>& bank, int n_threads);

}  // namespace kdfast
