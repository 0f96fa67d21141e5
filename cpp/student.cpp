#include "student.hpp"

#include <algorithm>
#include <cmath>

#include "loss.hpp"
#include "tile.hpp"

namespace kdfast {

namespace {

// Index of the network that owns neuron j.
std::int64_t network_of(const std::int64_t* offsets, std::int64_t K, std::int64_t j) {
    return std::upper_bound(offsets + 1, offsets + K + 1, j) - (offsets + 1);
}

double inv_sqrt_width(const std::int64_t* offsets, std::int64_t k) {
    return 1.0 / std::sqrt(static_cast<double>(offsets[k + 1] - offsets[k]));
}

}  // namespace

template <class T>
void forward(T* F, const T* Xt, const T* W, const T* a, const std::int64_t* offsets, std::int64_t n, std::int64_t d,
             std::int64_t K, int n_threads, StopFlag& stop) {
    const std::int64_t tiles = (n + kTile - 1) / kTile;
    // One task per (network, tile of samples): the thread that runs it owns
    // F[k, tile] and sums its neurons in index order.
#pragma omp parallel for schedule(dynamic) num_threads(n_threads)
    for (std::int64_t task = 0; task < K * tiles; ++task) {
        if (stop.requested()) continue;
        const std::int64_t k = task / tiles, i0 = (task % tiles) * kTile;
        const std::int64_t ni = std::min(kTile, n - i0);
        T z[kTile], acc[kTile];
        std::fill(acc, acc + ni, T(0));
        for (std::int64_t j = offsets[k]; j < offsets[k + 1]; ++j) {
            preactivations(z, Xt + i0, W + j * d, n, d, ni);
            const T aj = a[j];
            for (std::int64_t i = 0; i < ni; ++i) acc[i] += aj * std::max(z[i], T(0));
        }
        const T scale = static_cast<T>(inv_sqrt_width(offsets, k));
        for (std::int64_t i = 0; i < ni; ++i) F[k * n + i0 + i] = acc[i] * scale;
    }
}

template <class T>
void loss_and_residual(double* loss, std::int64_t* correct, T* R, const T* F, const double* P,
                       const std::int64_t* column, const double* tau, const std::int8_t* y, std::int64_t n,
                       std::int64_t C, std::int64_t K, int n_threads) {
    const double inv_n = 1.0 / static_cast<double>(n);
#pragma omp parallel for schedule(static) num_threads(n_threads)
    for (std::int64_t k = 0; k < K; ++k) {
        const T* f = F + k * n;  // (n,)
        const double* p = P + column[k];  // (n,) with stride C
        double total = 0.0;
        for (std::int64_t i = 0; i < n; ++i) total += tempered_kl(f[i], p[i * C], tau[k]);
        loss[k] = total * inv_n;
        if (R != nullptr) {
            for (std::int64_t i = 0; i < n; ++i)
                R[k * n + i] = static_cast<T>(tempered_kl_grad(f[i], p[i * C], tau[k]) * inv_n);
        }
        if (correct != nullptr && y != nullptr) {
            std::int64_t hits = 0;
            for (std::int64_t i = 0; i < n; ++i) hits += (static_cast<double>(f[i]) * y[i] > 0.0);
            correct[k] = hits;
        }
    }
}


template <class T>
void backward_update(T* Wn, double* sq, T* scratch, const T* W, const BankView<T>& bank, const T* R, const T* X,
                     const T* Xt, const Schedule& schedule, std::int64_t n, int n_threads, StopFlag& stop) {
    const std::int64_t M = bank.M, d = bank.d, K = bank.K;
    const std::int64_t blocks = (M + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(dynamic) num_threads(n_threads)
    for (std::int64_t block = 0; block < blocks; ++block) {
        if (stop.requested()) continue;
        const std::int64_t j0 = block * kBlock, nj = std::min(kBlock, M - j0);
        // Every network has at least one neuron, so consecutive neurons are
        // in the same network or the next one.
        std::int64_t net[kBlock];
        net[0] = network_of(bank.offsets, K, j0);
        for (std::int64_t jj = 1; jj < nj; ++jj)
            net[jj] = net[jj - 1] + (j0 + jj >= bank.offsets[net[jj - 1] + 1] ? 1 : 0);

        T* G = scratch + static_cast<std::int64_t>(thread_id()) * kBlock * d;  // (nj, d)
        std::fill(G, G + nj * d, T(0));
        T z[kTile];
        for (std::int64_t i0 = 0; i0 < n; i0 += kTile) {
            const std::int64_t ni = std::min(kTile, n - i0);
            for (std::int64_t jj = 0; jj < nj; ++jj) {
                preactivations(z, Xt + i0, W + (j0 + jj) * d, n, d, ni);
                const T* r = R + net[jj] * n + i0;  // (ni,)
                T* g = G + jj * d;                  // (d,)
                for (std::int64_t i = 0; i < ni; ++i) {
                    if (!(z[i] > T(0))) continue;  // relu'(0) = 0
                    const T ri = r[i];
                    const T* x = X + (i0 + i) * d;  // (d,)
                    for (std::int64_t c = 0; c < d; ++c) g[c] += ri * x[c];
                }
            }
        }

        for (std::int64_t jj = 0; jj < nj; ++jj) {
            const std::int64_t j = j0 + jj, k = net[jj];
            const double width_scale = inv_sqrt_width(bank.offsets, k);
            const T step = static_cast<T>(schedule.lr[k] * static_cast<double>(bank.a[j]) * width_scale);
            const T* w = W + j * d;           // (d,)
            const T* w0 = bank.W0 + j * d;    // (d,)
            const T* g = G + jj * d;          // (d,)
            T* wn = Wn + j * d;               // (d,)
            double norm2 = 0.0;
            for (std::int64_t c = 0; c < d; ++c) {
                wn[c] = w[c] - step * g[c];
                const double delta = static_cast<double>(wn[c]) - static_cast<double>(w0[c]);
                norm2 += delta * delta;
            }
            sq[j] = norm2;
            if (schedule.projection != Projection::neuron) continue;
            const double bound = schedule.radius[k] * width_scale;
            if (norm2 > bound * bound) {
                const T shrink = static_cast<T>(bound / std::sqrt(norm2));
                for (std::int64_t c = 0; c < d; ++c) wn[c] = w0[c] + shrink * (wn[c] - w0[c]);
            }
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

#define KDFAST_INSTANTIATE(T)                                                                                      \
    template void forward<T>(T*, const T*, const T*, const T*, const std::int64_t*, std::int64_t, std::int64_t,    \
                             std::int64_t, int, StopFlag&);                                                        \
    template void loss_and_residual<T>(double*, std::int64_t*, T*, const T*, const double*, const std::int64_t*,  \
                                       const double*, const std::int8_t*, std::int64_t, std::int64_t, std::int64_t, \
                                       int);                                                                       \
    template void backward_update<T>(T*, double*, T*, const T*, const BankView<T>&, const T*, const T*, const T*,  \
                                     const Schedule&, std::int64_t, int, StopFlag&);                              \
    template void project_networks<T>(T*, const double*, const BankView<T>&, const Schedule&, int);
KDFAST_INSTANTIATE(float)
KDFAST_INSTANTIATE(double)
#undef KDFAST_INSTANTIATE

}  // namespace kdfast
