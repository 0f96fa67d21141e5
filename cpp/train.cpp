#include "train.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "kernels.hpp"
#include "student.hpp"

namespace kdfast {

namespace {

// (n, d) -> (d, np), zero in the padding columns i >= n, so that the kernels
// run on whole panels of samples and the padding contributes nothing.
template <class T>
std::vector<T> transpose_padded(const T* X, std::int64_t n, std::int64_t d, std::int64_t np) {
    std::vector<T> Xt(static_cast<std::size_t>(d * np), T(0));
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t c = 0; c < d; ++c) Xt[c * np + i] = X[i * d + c];
    return Xt;
}

// A buffer whose every element the kernels write before reading: no
// zero-filling of what may be hundreds of megabytes per fit.
template <class T>
std::unique_ptr<T[]> uninitialized(std::int64_t size) {
    return std::unique_ptr<T[]>(new T[static_cast<std::size_t>(size)]);
}

// (n, d) -> (dp / panel, n, panel), zero in the padding coordinates c >= d;
// empty when dp == 0.
template <class T>
std::vector<T> row_panels(const T* X, std::int64_t n, std::int64_t d, std::int64_t dp, std::int64_t panel) {
    std::vector<T> Xp(static_cast<std::size_t>(n * dp), T(0));
    for (std::int64_t i = 0; dp > 0 && i < n; ++i)
        for (std::int64_t c = 0; c < d; ++c) Xp[(c / panel) * n * panel + i * panel + c % panel] = X[i * d + c];
    return Xp;
}

std::int64_t round_up(std::int64_t n, std::int64_t multiple) { return (n + multiple - 1) / multiple * multiple; }

// Splits the networks into contiguous groups of about M / (4 threads)
// neurons, so the forward pass has enough tasks to balance. The split does
// not change any result: each logit is still summed by one task in order.
std::vector<std::int64_t> network_groups(const std::int64_t* offsets, std::int64_t K, int n_threads) {
    const std::int64_t target = std::max<std::int64_t>(1, offsets[K] / (4 * static_cast<std::int64_t>(n_threads)));
    std::vector<std::int64_t> first{0};
    for (std::int64_t k = 1; k < K; ++k)
        if (offsets[k] - offsets[first.back()] >= target) first.push_back(k);
    first.push_back(K);
    return first;
}

// Scratch for scoring one data set: padded inputs, logits, residuals and
// activation bits, per-network sums.
template <class T>
struct Scorer {
    const Samples<T>& data;
    const KernelTable<T>& kernels;
    std::int64_t np;
    std::vector<T> Xt;
    std::unique_ptr<T[]> F;  // (K, np), written whole by each forward pass
    std::vector<T> R;        // zero in the padding, which loss_and_residual leaves alone
    std::unique_ptr<unsigned char[]> bits;
    std::vector<double> negentropy, loss;
    std::vector<std::int64_t> correct;

    Scorer(const Samples<T>& samples, const BankView<T>& bank, bool for_training)
        : data(samples),
          kernels(kdfast::kernels<T>()),
          np(round_up(samples.n, kernels.panel)),
          Xt(transpose_padded(samples.X, samples.n, bank.d, np)),
          F(uninitialized<T>(bank.K * np)),
          R(for_training ? static_cast<std::size_t>(bank.K * np) : 0, T(0)),
          bits(for_training ? uninitialized<unsigned char>(bank.M * (np / kernels.lanes) * kernels.bits_bytes)
                            : nullptr),
          negentropy(static_cast<std::size_t>(samples.C)),
          loss(static_cast<std::size_t>(bank.K)),
          correct(static_cast<std::size_t>(bank.K)) {
        target_negentropy(negentropy.data(), samples.P, samples.n, samples.C);
    }

    // Fills F, loss and correct (and R and the activation bits when
    // training) for weights W; false when interrupted.
    bool score(const T* W, const BankView<T>& bank, const Schedule& schedule, const NetworkGroups& groups,
               int n_threads, StopFlag& stop) {
        const ForwardArgs<T> args{F.get(), bits.get(), Xt.data(), W, bank.a, bank.offsets, np, bank.d, bank.K};
        kernels.forward(args, groups, n_threads, stop);
        if (stop.requested()) return false;
        loss_and_residual(loss.data(), correct.data(), R.empty() ? nullptr : R.data(), F.get(), data.P,
                          negentropy.data(), schedule.column, schedule.tau, data.y, data.n, np, data.C, bank.K, n_threads);
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
    const std::vector<std::int64_t> first = network_groups(bank.offsets, K, n_threads);
    const NetworkGroups groups{first.data(), static_cast<std::int64_t>(first.size()) - 1};
    Scorer<T> train_scorer(data, bank, /*for_training=*/true);
    std::optional<Scorer<T>> test_scorer;
    if (test != nullptr) test_scorer.emplace(*test, bank, /*for_training=*/false);
    const std::unique_ptr<T[]> next = uninitialized<T>(M * d);  // written whole by each backward pass
    // The row path of the backward pass reads the inputs in panels of
    // row_panel coordinates, each panel's samples contiguous.
    const std::int64_t dp = row_path_width(d, train_scorer.kernels.row_panel);
    const std::vector<T> panels = row_panels(data.X, data.n, d, dp, train_scorer.kernels.row_panel);
    std::vector<T> scratch(static_cast<std::size_t>(n_threads * backward_scratch(d, dp)));
    std::vector<double> sq(static_cast<std::size_t>(M));
    std::vector<double> loss_sum(static_cast<std::size_t>(K), 0.0);

    // Records row `row` for weights `weights`; false when interrupted.
    auto record = [&](std::int64_t row, const T* weights) {
        train_scorer.record(records.loss + row * K, records.train_acc ? records.train_acc + row * K : nullptr, K);
        if (!test_scorer) return true;
        if (!test_scorer->score(weights, bank, schedule, groups, n_threads, stop)) return false;
        test_scorer->record(records.test_loss + row * K, records.test_acc + row * K, K);
        return true;
    };

    // The step reads `current` and writes `spare`; swapping the two keeps the
    // last completed step intact whenever the run is interrupted.
    T* current = W;
    T* spare = next.get();
    bool completed = true;
    for (std::int64_t t = 0; completed && t < schedule.steps; ++t) {
        completed = !stop.requested() && train_scorer.score(current, bank, schedule, groups, n_threads, stop);
        if (!completed) break;
        for (std::int64_t k = 0; k < K; ++k) loss_sum[k] += train_scorer.loss[k];
        if (t % schedule.record_every == 0 && !record(t / schedule.record_every, current)) completed = false;
        if (!completed) break;
        const BackwardArgs<T> args{spare,    sq.data(), scratch.data(), current, train_scorer.bits.get(),
                                   train_scorer.R.data(), train_scorer.Xt.data(),
                                   dp > 0 ? panels.data() : nullptr, &bank, &schedule,
                                   data.n,   train_scorer.np, dp};
        train_scorer.kernels.backward(args, n_threads, stop);
        if (stop.requested()) {
            completed = false;
            break;
        }
        if (schedule.projection == Projection::network) project_networks(spare, sq.data(), bank, schedule, n_threads);
        std::swap(current, spare);
    }
    if (completed) {
        completed = train_scorer.score(current, bank, schedule, groups, n_threads, stop) &&
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
    const KernelTable<T>& kernels = kdfast::kernels<T>();
    const std::int64_t np = round_up(n, kernels.panel);
    const std::vector<T> Xt = transpose_padded(X, n, bank.d, np);
    std::vector<T> padded(static_cast<std::size_t>(bank.K * np));
    const std::vector<std::int64_t> first = network_groups(bank.offsets, bank.K, n_threads);
    kernels.forward({padded.data(), nullptr, Xt.data(), W, bank.a, bank.offsets, np, bank.d, bank.K},
                    {first.data(), static_cast<std::int64_t>(first.size()) - 1}, n_threads, stop);
    for (std::int64_t k = 0; k < bank.K; ++k) std::copy_n(padded.data() + k * np, n, F + k * n);
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
