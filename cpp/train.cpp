#include "train.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "student.hpp"

namespace kdfast {

namespace {

// (n, d) -> (d, n), so that the sample loops of the kernels are contiguous.
template <class T>
std::vector<T> transpose(const T* X, std::int64_t n, std::int64_t d) {
    std::vector<T> Xt(static_cast<std::size_t>(n * d));
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t c = 0; c < d; ++c) Xt[c * n + i] = X[i * d + c];
    return Xt;
}

// Scratch for scoring one data set: logits, residuals, per-network sums.
template <class T>
struct Scorer {
    const Samples<T>& data;
    std::vector<T> Xt, F, R;
    std::vector<double> loss;
    std::vector<std::int64_t> correct;

    Scorer(const Samples<T>& samples, std::int64_t d, std::int64_t K, bool residuals)
        : data(samples), Xt(transpose(samples.X, samples.n, d)), F(static_cast<std::size_t>(K * samples.n)),
          R(residuals ? F.size() : 0), loss(static_cast<std::size_t>(K)), correct(static_cast<std::size_t>(K)) {}

    // Fills F, loss and correct (and R when allocated) for weights W.
    bool score(const T* W, const BankView<T>& bank, const Schedule& schedule, int n_threads, StopFlag& stop) {
        forward(F.data(), Xt.data(), W, bank.a, bank.offsets, data.n, bank.d, bank.K, n_threads, stop);
        if (stop.requested()) return false;
        loss_and_residual(loss.data(), correct.data(), R.empty() ? nullptr : R.data(), F.data(), data.P,
                          schedule.column, schedule.tau, data.y, data.n, data.C, bank.K, n_threads);
        return true;
    }

    void record(double* loss_row, double* acc_row, std::int64_t K) const {
        std::copy(loss.begin(), loss.end(), loss_row);
        if (acc_row == nullptr) return;
        for (std::int64_t k = 0; k < K; ++k) acc_row[k] = static_cast<double>(correct[k]) / static_cast<double>(data.n);
    }
};

}  // namespace

template <class T>
bool train(T* W, const BankView<T>& bank, const Samples<T>& data, const Samples<T>* test, const Schedule& schedule,
           const Records& records, int n_threads, Interrupt interrupt) {
    const std::int64_t K = bank.K, M = bank.M, d = bank.d;
    StopFlag stop(interrupt);
    Scorer<T> train_scorer(data, d, K, /*residuals=*/true);
    std::optional<Scorer<T>> test_scorer;
    if (test != nullptr) test_scorer.emplace(*test, d, K, /*residuals=*/false);
    std::vector<T> next(static_cast<std::size_t>(M * d));
    std::vector<T> scratch(static_cast<std::size_t>(n_threads) * kBlock * d);
    std::vector<double> sq(static_cast<std::size_t>(M));
    std::vector<double> loss_sum(static_cast<std::size_t>(K), 0.0);

    // The step reads `current` and writes `next`; swapping the two keeps the
    // last completed step intact whenever the run is interrupted.
    T* current = W;
    T* spare = next.data();
    // Records row `row` for weights `weights`; false when interrupted.
    auto record = [&](std::int64_t row, const T* weights) {
        train_scorer.record(records.loss + row * K, records.train_acc ? records.train_acc + row * K : nullptr, K);
        if (!test_scorer) return true;
        if (!test_scorer->score(weights, bank, schedule, n_threads, stop)) return false;
        test_scorer->record(records.test_loss + row * K, records.test_acc + row * K, K);
        return true;
    };
    bool completed = true;
    for (std::int64_t t = 0; completed && t < schedule.steps; ++t) {
        completed = !stop.requested() && train_scorer.score(current, bank, schedule, n_threads, stop);
        if (!completed) break;
        for (std::int64_t k = 0; k < K; ++k) loss_sum[k] += train_scorer.loss[k];
        if (t % schedule.record_every == 0 && !record(t / schedule.record_every, current)) completed = false;
        if (!completed) break;
        backward_update(spare, sq.data(), scratch.data(), current, bank, train_scorer.R.data(), data.X,
                        train_scorer.Xt.data(), schedule, data.n, n_threads, stop);
        if (stop.requested()) {
            completed = false;
            break;
        }
        if (schedule.projection == Projection::network) project_networks(spare, sq.data(), bank, schedule, n_threads);
        std::swap(current, spare);
    }
    if (completed) {
        completed = train_scorer.score(current, bank, schedule, n_threads, stop) &&
                    record(recorded_steps(schedule.steps, schedule.record_every) - 1, current);
        for (std::int64_t k = 0; k < K; ++k) records.mean_loss[k] = loss_sum[k] / static_cast<double>(schedule.steps);
    }
    if (current != W) std::copy(current, current + M * d, W);
    return completed;
}

template <class T>
bool logits(T* F, const T* W, const BankView<T>& bank, const T* X, std::int64_t n, int n_threads,
            Interrupt interrupt) {
    StopFlag stop(interrupt);
    const std::vector<T> Xt = transpose(X, n, bank.d);
    forward(F, Xt.data(), W, bank.a, bank.offsets, n, bank.d, bank.K, n_threads, stop);
    return !stop.requested();
}

template <class T>
void max_drift(double* drift, const T* W, const BankView<T>& bank, int n_threads) {
    const std::int64_t d = bank.d;
#pragma omp parallel for schedule(dynamic) num_threads(n_threads)
    for (std::int64_t k = 0; k < bank.K; ++k) {
        const std::int64_t begin = bank.offsets[k], end = bank.offsets[k + 1];
        double largest = 0.0;
        for (std::int64_t j = begin; j < end; ++j) {
            double norm2 = 0.0;
            for (std::int64_t c = 0; c < d; ++c) {
                const double delta = static_cast<double>(W[j * d + c]) - static_cast<double>(bank.W0[j * d + c]);
                norm2 += delta * delta;
            }
            largest = std::max(largest, norm2);
        }
        drift[k] = std::sqrt(largest * static_cast<double>(end - begin));
    }
}

#define KDFAST_INSTANTIATE(T)                                                                                    \
    template bool train<T>(T*, const BankView<T>&, const Samples<T>&, const Samples<T>*, const Schedule&,        \
                           const Records&, int, Interrupt);                                                      \
    template bool logits<T>(T*, const T*, const BankView<T>&, const T*, std::int64_t, int, Interrupt);           \
    template void max_drift<T>(double*, const T*, const BankView<T>&, int);
KDFAST_INSTANTIATE(float)
KDFAST_INSTANTIATE(double)
#undef KDFAST_INSTANTIATE

}  // namespace kdfast
