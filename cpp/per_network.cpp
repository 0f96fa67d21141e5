#include "per_network.hpp"

#include <algorithm>
#include <cmath>

#include "loss.hpp"

namespace kdfast {

void column_negentropy(double* negentropy, const double* P, std::int64_t n, std::int64_t C) {
    for (std::int64_t c = 0; c < C; ++c) {
        double total = 0.0;
        for (std::int64_t i = 0; i < n; ++i) total += bernoulli_negentropy(P[i * C + c]);
        negentropy[c] = total / static_cast<double>(n);
    }
}

template <class T>
void loss_and_residual(double* loss, std::int64_t* correct, T* R, const T* F, const double* negentropy,
                       const Samples<T>& data, const Schedule& schedule, std::int64_t K, std::int64_t ld,
                       std::int64_t n_total, int n_threads) {
    // Local copies, which the stores to loss, correct and R cannot alias.
    const double* P = data.P;
    const std::int8_t* y = data.y;
    const std::int64_t* column = schedule.column;
    const double* tau = schedule.tau;
    const std::int64_t n = data.n, C = data.C;
    const double inv_n = 1.0 / static_cast<double>(n), inv_total = 1.0 / static_cast<double>(n_total);
#pragma omp parallel for schedule(static) num_threads(n_threads)
    for (std::int64_t k = 0; k < K; ++k) {
        const T* f = F + k * ld;          // (n,)
        const double* p = P + column[k];  // (n,) with stride C
        T* r = R != nullptr ? R + k * ld : nullptr;
        double total = 0.0, grad = 0.0;
        for (std::int64_t i = 0; i < n; ++i) {
            total += cross_entropy_part(f[i], p[i * C], tau[k], r != nullptr ? &grad : nullptr);
            if (r != nullptr) r[i] = static_cast<T>(grad * inv_total);
        }
        loss[k] = tau[k] * tau[k] * (negentropy[column[k]] + total * inv_n);
        if (correct != nullptr && y != nullptr) {
            std::int64_t hits = 0;
            for (std::int64_t i = 0; i < n; ++i) hits += (static_cast<double>(f[i]) * y[i] > 0.0);
            correct[k] = hits;
        }
    }
}

template <class T>
void project_networks(T* Wn, const double* sq, const BankView<T>& bank, const Schedule& schedule, int n_threads) {
    const std::int64_t d = bank.d;
#pragma omp parallel for schedule(dynamic) num_threads(n_threads)
    for (std::int64_t k = 0; k < bank.K; ++k) {
        const std::int64_t begin = bank.offsets[k], end = bank.offsets[k + 1];
        double norm2 = 0.0;
        for (std::int64_t j = begin; j < end; ++j) norm2 += sq[j];
        const double radius = schedule.radius[k];
        if (!(norm2 > radius * radius)) continue;
        const T shrink = static_cast<T>(radius / std::sqrt(norm2));
        for (std::int64_t e = begin * d; e < end * d; ++e) Wn[e] = bank.W0[e] + shrink * (Wn[e] - bank.W0[e]);
    }
}

#define KDFAST_INSTANTIATE(T)                                                                                  \
    template void loss_and_residual<T>(double*, std::int64_t*, T*, const T*, const double*, const Samples<T>&, \
                                       const Schedule&, std::int64_t, std::int64_t, std::int64_t, int);        \
    template void project_networks<T>(T*, const double*, const BankView<T>&, const Schedule&, int);
KDFAST_INSTANTIATE(float)
KDFAST_INSTANTIATE(double)
#undef KDFAST_INSTANTIATE

}  // namespace kdfast
