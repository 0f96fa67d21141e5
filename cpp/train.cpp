#include "train.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "kernels.hpp"
#include "per_network.hpp"

namespace kdfast {

namespace {

// A (rows, cols) -> (colsp / panel, rows, panel): the columns in panels of
// `panel`, each panel's rows contiguous, zero in the padding columns
// q >= cols. Element (r, q) of A is A[r * row_stride + q * col_stride].
template <class T>
std::vector<T> panels(const T* A, std::int64_t rows, std::int64_t cols, std::int64_t row_stride,
                      std::int64_t col_stride, std::int64_t colsp, std::int64_t panel) {
    std::vector<T> out(static_cast<std::size_t>(rows * colsp), T(0));
    for (std::int64_t q = 0; q < cols; ++q)
        for (std::int64_t r = 0; r < rows; ++r)
            out[(q / panel) * rows * panel + r * panel + q % panel] = A[r * row_stride + q * col_stride];
    return out;
}

// The forward pass's inputs: X (n, d) -> (np / panel, d, panel), panels of
// samples whose coordinates are contiguous, zero in the padding samples.
template <class T>
std::vector<T> sample_panels(const T* X, std::int64_t n, std::int64_t d, std::int64_t np, std::int64_t panel) {
    return panels(X, d, n, 1, d, np, panel);
}

// A buffer whose every element the kernels write before reading: no
// zero-filling of what may be hundreds of megabytes per fit.
template <class T>
std::unique_ptr<T[]> uninitialized(std::int64_t size) {
    return std::unique_ptr<T[]>(new T[static_cast<std::size_t>(size)]);
}

// The row path's inputs: X (n, d) -> (dp / panel, n, panel), panels of
// coordinates, zero in the padding coordinates c >= d; empty when dp == 0.
template <class T>
std::vector<T> row_panels(const T* X, std::int64_t n, std::int64_t d, std::int64_t dp, std::int64_t panel) {
    return dp > 0 ? panels(X, n, d, d, 1, dp, panel) : std::vector<T>();
}

std::int64_t round_up(std::int64_t n, std::int64_t multiple) { return (n + multiple - 1) / multiple * multiple; }

// Splits the networks into contiguous groups of about M / (kGroupsPerThread
// x threads) neurons, so the forward pass has enough tasks to balance: a
// group ends only at a network's end, so groups differ in size, and several
// per thread let the dynamic schedule even them out. The split does not
// change any result: each logit is still summed by one task in order.
constexpr std::int64_t kGroupsPerThread = 4;

std::vector<std::int64_t> network_groups(const std::int64_t* offsets, std::int64_t K, int n_threads) {
    const std::int64_t target =
        std::max<std::int64_t>(1, offsets[K] / (kGroupsPerThread * static_cast<std::int64_t>(n_threads)));
    std::vector<std::int64_t> first{0};
    for (std::int64_t k = 1; k < K; ++k)
        if (offsets[k] - offsets[first.back()] >= target) first.push_back(k);
    first.push_back(K);
    return first;
}

// Bytes of `count` elements of type E.
template <class E>
std::int64_t bytes_of(std::int64_t count) {
    return count * static_cast<std::int64_t>(sizeof(E));
}

// What a training chunk's forward pass leaves for its backward pass.
template <class T>
struct BackwardInputs {
    void* bits;            // (M, np / lanes) out: activation bits
    T* R;                  // (K, np) out: dL/df / n_total
    std::int64_t n_total;  // all the training samples, of which the chunk is a part
};

// One data set scored for given weights: its inputs in panels, the logits,
// and each network's loss and correct count.
template <class T>
struct Scorer {
    Samples<T> data;
    const KernelTable<T>& kernels;
    std::int64_t np;
    std::vector<T> Xt;                  // (np / panel, d, panel)
    std::unique_ptr<T[]> F;             // (K, np), written whole by each forward pass
    std::vector<double> negentropy;     // (C,)
    std::vector<double> loss;           // (K,)
    std::vector<std::int64_t> correct;  // (K,)

    Scorer(const Samples<T>& samples, const BankView<T>& bank)
        : data(samples),
          kernels(kdfast::kernels<T>()),
          np(round_up(samples.n, kernels.panel)),
          Xt(sample_panels(samples.X, samples.n, bank.d, np, kernels.panel)),
          F(uninitialized<T>(bank.K * np)),
          negentropy(static_cast<std::size_t>(samples.C)),
          loss(static_cast<std::size_t>(bank.K)),
          correct(static_cast<std::size_t>(bank.K)) {
        column_negentropy(negentropy.data(), samples.P, samples.n, samples.C);
    }

    // Bytes the constructor allocates.
    static std::int64_t bytes(std::int64_t n, std::int64_t C, std::int64_t K, std::int64_t d) {
        const std::int64_t np = round_up(n, kdfast::kernels<T>().panel);
        return bytes_of<T>(np * d + K * np) + bytes_of<double>(C + K) + bytes_of<std::int64_t>(K);
    }

    // Fills F, loss and correct for weights W, and `keep` when given; false
    // when interrupted.
    bool score(const T* W, const BankView<T>& bank, const Schedule& schedule, const NetworkGroups& groups,
               int n_threads, StopFlag& stop, const BackwardInputs<T>* keep = nullptr) {
        const ForwardArgs<T> args{
            F.get(), keep != nullptr ? keep->bits : nullptr, Xt.data(), W, bank.a, bank.offsets, np, bank.d, bank.K};
        kernels.forward(args, groups, n_threads, stop);
        if (stop.requested()) return false;
        loss_and_residual(loss.data(), correct.data(), keep != nullptr ? keep->R : nullptr, F.get(), negentropy.data(),
                          data, schedule, bank.K, np, keep != nullptr ? keep->n_total : data.n, n_threads);
        return true;
    }
};

// One chunk of the training samples: scored like any data set, then
// back-propagated from its residuals and from the activation bits its
// forward pass writes into a buffer that every chunk shares.
template <class T>
struct TrainingChunk {
    Scorer<T> scorer;
    std::vector<T> Xp;     // (dp / panel, n, panel) for the row path, else empty
    std::vector<T> R;      // (K, np) zero in the padding, which loss_and_residual leaves alone
    unsigned char* bits;   // (M, np / lanes) words of bits_bytes, shared
    std::int64_t n_total;  // all the training samples

    TrainingChunk(const Samples<T>& samples, const BankView<T>& bank, unsigned char* shared_bits, std::int64_t total,
                  std::int64_t dp)
        : scorer(samples, bank),
          Xp(row_panels(samples.X, samples.n, bank.d, dp, scorer.kernels.panel)),
          R(static_cast<std::size_t>(bank.K * scorer.np), T(0)),
          bits(shared_bits),
          n_total(total) {}

    // Bytes the constructor allocates (the shared bits are the training set's).
    static std::int64_t bytes(std::int64_t n, std::int64_t C, std::int64_t K, std::int64_t d, std::int64_t dp) {
        const std::int64_t np = round_up(n, kdfast::kernels<T>().panel);
        return Scorer<T>::bytes(n, C, K, d) + bytes_of<T>(n * dp + K * np);
    }

    // Scores weights W and keeps what the backward pass needs; false when
    // interrupted.
    bool score(const T* W, const BankView<T>& bank, const Schedule& schedule, const NetworkGroups& groups,
               int n_threads, StopFlag& stop) {
        const BackwardInputs<T> keep{bits, R.data(), n_total};
        return scorer.score(W, bank, schedule, groups, n_threads, stop, &keep);
    }

    // The backward pass of this chunk's samples after score(W), as the
    // chunk's place in the step says (BackwardArgs): the last chunk's writes
    // Wn = W - lr * grad, projected as `schedule` says.
    void backward(T* Wn, const T* W, double* sq, T* scratch, const BankView<T>& bank, const Schedule& schedule,
                  std::int64_t dp, bool first, bool last, int n_threads, StopFlag& stop) const {
        const T* rows = dp > 0 ? Xp.data() : nullptr;
        const BackwardArgs<T> args{
            Wn,        sq, scratch, W,   bits, R.data(), scorer.Xt.data(), rows, &bank, &schedule, scorer.data.n,
            scorer.np, dp, !first,  last};
        scorer.kernels.backward(args, n_threads, stop);
    }
};

// The training samples in chunks (see activation_chunk): each step scores
// and back-propagates one chunk after the other. The chunks' backward passes
// add up their gradient sums in the spare weights (the activation bits and
// residuals carry everything a chunk's gradient needs from W), and the last
// one writes the step there from the total, so a step is
// W <- Proj(W - lr * sum of the chunks' gradients) with one rounding of W.
template <class T>
struct TrainingSet {
    std::unique_ptr<unsigned char[]> bits;  // activation_bytes(M, n), shared by the chunks
    std::vector<TrainingChunk<T>> chunks;
    std::vector<double> loss;           // (K,) over all samples
    std::vector<std::int64_t> correct;  // (K,)
    std::int64_t n;

    TrainingSet(const Samples<T>& data, const BankView<T>& bank, std::int64_t dp)
        : bits(uninitialized<unsigned char>(activation_bytes<T>(bank.M, data.n))),
          loss(static_cast<std::size_t>(bank.K)),
          correct(static_cast<std::size_t>(bank.K)),
          n(data.n) {
        const std::int64_t chunk = activation_chunk<T>(bank.M, data.n);
        chunks.reserve(static_cast<std::size_t>(chunk_count(data.n, chunk)));
        for (std::int64_t begin = 0; begin < data.n; begin += chunk) {
            const std::int64_t size = std::min(chunk, data.n - begin);
            const Samples<T> part{data.X + begin * bank.d, data.P + begin * data.C,
                                  data.y != nullptr ? data.y + begin : nullptr, size, data.C};
            chunks.emplace_back(part, bank, bits.get(), data.n, dp);
        }
    }

    // Bytes the constructor allocates: the chunks of whole `chunk` samples,
    // then one of the rest.
    static std::int64_t bytes(std::int64_t n, std::int64_t C, std::int64_t K, std::int64_t M, std::int64_t d,
                              std::int64_t dp) {
        const std::int64_t chunk = activation_chunk<T>(M, n);
        const std::int64_t whole = chunk > 0 ? n / chunk : 0, rest = n - whole * chunk;
        return activation_bytes<T>(M, n) + bytes_of<TrainingChunk<T>>(chunk_count(n, chunk)) +
               whole * TrainingChunk<T>::bytes(chunk, C, K, d, dp) +
               (rest > 0 ? TrainingChunk<T>::bytes(rest, C, K, d, dp) : 0) + bytes_of<double>(K) +
               bytes_of<std::int64_t>(K);
    }

    // One step from `current` into `spare`, after `on_scored` has seen the
    // scores of `current`; false when interrupted.
    template <class OnScored>
    bool step(T* spare, const T* current, double* sq, T* scratch, const BankView<T>& bank, const Schedule& schedule,
              const NetworkGroups& groups, std::int64_t dp, int n_threads, StopFlag& stop, OnScored on_scored) {
        clear();
        for (std::size_t c = 0; c < chunks.size(); ++c) {
            TrainingChunk<T>& chunk = chunks[c];
            if (!chunk.score(current, bank, schedule, groups, n_threads, stop)) return false;
            add(chunk.scorer);
            const bool last = c + 1 == chunks.size();
            if (last && !on_scored()) return false;
            chunk.backward(spare, current, sq, scratch, bank, schedule, dp, c == 0, last, n_threads, stop);
            if (stop.requested()) return false;
        }
        if (schedule.projection == Projection::network) project_networks(spare, sq, bank, schedule, n_threads);
        return true;
    }

    // Scores `W` without a backward pass (the weights a fit ends with).
    bool score(const T* W, const BankView<T>& bank, const Schedule& schedule, const NetworkGroups& groups,
               int n_threads, StopFlag& stop) {
        clear();
        for (TrainingChunk<T>& chunk : chunks) {
            if (!chunk.scorer.score(W, bank, schedule, groups, n_threads, stop)) return false;
            add(chunk.scorer);
        }
        return true;
    }

  private:
    static std::int64_t chunk_count(std::int64_t n, std::int64_t chunk) {
        return chunk > 0 ? (n + chunk - 1) / chunk : 0;
    }

    void clear() {
        std::fill(loss.begin(), loss.end(), 0.0);
        std::fill(correct.begin(), correct.end(), 0);
    }

    // Adds a scored chunk's share: its mean loss weighted by its samples.
    void add(const Scorer<T>& chunk) {
        const double share = static_cast<double>(chunk.data.n) / static_cast<double>(n);
        for (std::size_t k = 0; k < loss.size(); ++k) {
            loss[k] += share * chunk.loss[k];
            correct[k] += chunk.correct[k];
        }
    }
};

// The work space of the backward passes: the weights a step writes, the
// threads' scratch and the neurons' squared distances from W0.
template <class T>
struct StepBuffers {
    std::unique_ptr<T[]> spare;  // (M, d), written whole by each backward pass
    std::vector<T> scratch;      // (n_threads, backward_scratch(d, dp))
    std::vector<double> sq;      // (M,)

    StepBuffers(std::int64_t M, std::int64_t d, std::int64_t dp, int n_threads)
        : spare(uninitialized<T>(M * d)),
          scratch(static_cast<std::size_t>(n_threads * backward_scratch(d, dp))),
          sq(static_cast<std::size_t>(M)) {}

    // Bytes the constructor allocates.
    static std::int64_t bytes(std::int64_t M, std::int64_t d, std::int64_t dp, int n_threads) {
        return bytes_of<T>(M * d + n_threads * backward_scratch(d, dp)) + bytes_of<double>(M);
    }
};

// Writes one record row from per-network losses and correct counts.
void record_row(double* loss_row, double* acc_row, const std::vector<double>& loss,
                const std::vector<std::int64_t>& correct, std::int64_t n) {
    std::copy(loss.begin(), loss.end(), loss_row);
    if (acc_row == nullptr) return;
    for (std::size_t k = 0; k < correct.size(); ++k)
        acc_row[k] = static_cast<double>(correct[k]) / static_cast<double>(n);
}

// Bytes of activation bits a fit may keep: KDFAST_ACTIVATION_BUDGET, if set.
std::int64_t activation_budget() {
    if (const char* text = std::getenv("KDFAST_ACTIVATION_BUDGET")) {
        char* end = nullptr;
        const long long value = std::strtoll(text, &end, 10);
        if (end != text && *end == '\0' && value > 0) return value;
    }
    return std::int64_t(512) << 20;
}

}  // namespace

template <class T>
std::int64_t activation_chunk(std::int64_t M, std::int64_t n) {
    const KernelTable<T>& k = kernels<T>();
    const std::int64_t per_panel = M * (k.panel / k.lanes) * k.bits_bytes;
    const std::int64_t panels = std::max<std::int64_t>(1, activation_budget() / std::max<std::int64_t>(per_panel, 1));
    return std::min(round_up(n, k.panel), panels * k.panel);
}

template <class T>
std::int64_t activation_bytes(std::int64_t M, std::int64_t n) {
    const KernelTable<T>& k = kernels<T>();
    return M * (activation_chunk<T>(M, n) / k.lanes) * k.bits_bytes;
}

template <class T>
bool train(T* W, const BankView<T>& bank, const Samples<T>& data, const Samples<T>* test, const Schedule& schedule,
           const Records& records, int n_threads, Interrupt interrupt) {
    const std::int64_t K = bank.K, M = bank.M, d = bank.d;
    StopFlag stop(interrupt);
    const std::vector<std::int64_t> first = network_groups(bank.offsets, K, n_threads);
    const NetworkGroups groups{first.data(), static_cast<std::int64_t>(first.size()) - 1};
    // The row path of the backward pass reads the inputs in panels of
    // `panel` coordinates, each panel's samples contiguous.
    const std::int64_t dp = row_path_width(d, kernels<T>().panel);
    TrainingSet<T> training(data, bank, dp);
    std::optional<Scorer<T>> test_scorer;
    if (test != nullptr) test_scorer.emplace(*test, bank);
    StepBuffers<T> buffers(M, d, dp, n_threads);
    std::vector<double> loss_sum(static_cast<std::size_t>(K), 0.0);

    // Records row `row` for weights `weights`; false when interrupted.
    auto record = [&](std::int64_t row, const T* weights) {
        record_row(records.loss + row * K, records.train_acc ? records.train_acc + row * K : nullptr, training.loss,
                   training.correct, data.n);
        if (!test_scorer) return true;
        if (!test_scorer->score(weights, bank, schedule, groups, n_threads, stop)) return false;
        record_row(records.test_loss + row * K, records.test_acc + row * K, test_scorer->loss, test_scorer->correct,
                   test->n);
        return true;
    };

    // The step reads `current` and writes `spare`; swapping the two keeps the
    // last completed step intact whenever the run is interrupted.
    T* current = W;
    T* spare = buffers.spare.get();
    bool completed = true;
    for (std::int64_t t = 0; completed && t < schedule.steps; ++t) {
        const auto on_scored = [&] {
            for (std::int64_t k = 0; k < K; ++k) loss_sum[k] += training.loss[k];
            return t % schedule.record_every != 0 || record(t / schedule.record_every, current);
        };
        completed = !stop.requested() && training.step(spare, current, buffers.sq.data(), buffers.scratch.data(), bank,
                                                       schedule, groups, dp, n_threads, stop, on_scored);
        if (completed) std::swap(current, spare);
    }
    if (completed) {
        completed = training.score(current, bank, schedule, groups, n_threads, stop) &&
                    record(recorded_steps(schedule.steps, schedule.record_every) - 1, current);
        for (std::int64_t k = 0; k < K; ++k) records.mean_loss[k] = loss_sum[k] / static_cast<double>(schedule.steps);
    }
    if (current != W) std::copy(current, current + M * d, W);
    return completed;
}

template <class T>
std::int64_t fit_bytes(const FitSizes& s) {
    const std::int64_t dp = row_path_width(s.d, kernels<T>().panel);
    const std::int64_t rows = recorded_steps(s.steps, s.record_every);
    const std::int64_t arrays = 1 + (s.labels ? 1 : 0) + (s.n_test > 0 ? 2 : 0);  // of Records, (T_rec, K) each
    // Records too many for their bytes to fit in 64 bits cannot be allocated either.
    if (rows > std::numeric_limits<std::int64_t>::max() / 16 / arrays / s.K)
        return std::numeric_limits<std::int64_t>::max();
    return TrainingSet<T>::bytes(s.n, s.C, s.K, s.M, s.d, dp) +
           (s.n_test > 0 ? Scorer<T>::bytes(s.n_test, s.C, s.K, s.d) : 0) +
           StepBuffers<T>::bytes(s.M, s.d, dp, s.n_threads) +
           bytes_of<double>(arrays * rows * s.K + s.K)  // the Records, mean_loss included
           + bytes_of<double>(s.K)                      // loss_sum
           + bytes_of<std::int64_t>(s.K + 1);           // network_groups: at most K + 1 starts
}

template <class T>
bool logits(T* F, const T* W, const BankView<T>& bank, const T* X, std::int64_t n, int n_threads, Interrupt interrupt) {
    StopFlag stop(interrupt);
    const KernelTable<T>& kernels = kdfast::kernels<T>();
    const std::int64_t np = round_up(n, kernels.panel);
    const std::vector<T> Xt = sample_panels(X, n, bank.d, np, kernels.panel);
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

#define KDFAST_INSTANTIATE(T)                                                                             \
    template bool train<T>(T*, const BankView<T>&, const Samples<T>&, const Samples<T>*, const Schedule&, \
                           const Records&, int, Interrupt);                                               \
    template bool logits<T>(T*, const T*, const BankView<T>&, const T*, std::int64_t, int, Interrupt);    \
    template std::int64_t activation_chunk<T>(std::int64_t, std::int64_t);                                \
    template std::int64_t activation_bytes<T>(std::int64_t, std::int64_t);                                \
    template std::int64_t fit_bytes<T>(const FitSizes&);                                                  \
    template void max_drift<T>(double*, const T*, const BankView<T>&, int);
KDFAST_INSTANTIATE(float)
KDFAST_INSTANTIATE(double)
#undef KDFAST_INSTANTIATE

}  // namespace kdfast
