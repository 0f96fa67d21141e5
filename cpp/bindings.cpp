// kdfast._core: the only file that knows Python.
//
// The public Python layer validates user input and converts it; these
// bindings check the structure again (dtype, contiguity, shape) so that no
// call into _core can read out of bounds, then release the GIL and call
// the kernels on raw pointers.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "init.hpp"
#include "kernels.hpp"
#include "parallel.hpp"
#include "train.hpp"

namespace py = pybind11;
using kdfast::Interrupt;

namespace {

std::string shape_of(const py::array& arr) {
    std::string s = "(";
    for (py::ssize_t i = 0; i < arr.ndim(); ++i) s += (i ? ", " : "") + std::to_string(arr.shape(i));
    return s + (arr.ndim() == 1 ? ",)" : ")");
}

// Checks that `arr` is a C-contiguous array of dtype T with the given shape
// (-1: any extent) and returns its data.
template <class T>
T* checked(const py::array& arr, const char* name, std::vector<py::ssize_t> shape, bool writable = false) {
    if (!arr.dtype().is(py::dtype::of<T>()))
        throw py::type_error(std::string(name) + ": expected dtype " + std::string(py::str(py::dtype::of<T>())) +
                             ", got " + std::string(py::str(arr.dtype())));
    bool ok = arr.ndim() == static_cast<py::ssize_t>(shape.size());
    for (std::size_t i = 0; ok && i < shape.size(); ++i) ok = shape[i] < 0 || arr.shape(i) == shape[i];
    if (!ok) throw py::value_error(std::string(name) + ": unexpected shape " + shape_of(arr));
    if (!(arr.flags() & py::array::c_style)) throw py::value_error(std::string(name) + ": must be C-contiguous");
    if (writable && !arr.writeable()) throw py::value_error(std::string(name) + ": must be writable");
    return static_cast<T*>(const_cast<void*>(arr.data()));
}

template <class T>
const T* optional_data(const std::optional<py::array>& arr, const char* name, std::vector<py::ssize_t> shape) {
    return arr ? checked<T>(*arr, name, std::move(shape)) : nullptr;
}

// Polled by the calling thread while the kernels run: takes the GIL and runs
// Python's signal handlers, so Ctrl-C raises KeyboardInterrupt promptly.
bool python_signal_pending(void*) noexcept {
    py::gil_scoped_acquire gil;
    return PyErr_CheckSignals() != 0;
}

constexpr Interrupt kPythonSignals{python_signal_pending, nullptr};

// Checks every entry point shares, with the same messages: the kernels
// divide work by the thread count and size per-thread buffers by it.
void check_threads(int n_threads) {
    if (n_threads < 1) throw py::value_error("n_threads: must be >= 1, got " + std::to_string(n_threads));
}

void check_steps(std::int64_t steps, std::int64_t record_every) {
    if (steps < 0) throw py::value_error("steps: must be >= 0, got " + std::to_string(steps));
    if (record_every < 1) throw py::value_error("record_every: must be >= 1, got " + std::to_string(record_every));
}

// The bank's fixed parts, checked against each other.
template <class T>
kdfast::BankView<T> bank_view(const py::array& W0, const py::array& a, const py::array& offsets) {
    const py::ssize_t M = W0.ndim() == 2 ? W0.shape(0) : -1, d = W0.ndim() == 2 ? W0.shape(1) : -1;
    const T* w0 = checked<T>(W0, "W0", {M, d});
    const T* signs = checked<T>(a, "a", {M});
    const auto* off = checked<std::int64_t>(offsets, "offsets", {-1});
    const py::ssize_t K = offsets.shape(0) - 1;
    if (K < 1 || off[0] != 0 || off[K] != M) throw py::value_error("offsets: must run from 0 to the number of neurons");
    for (py::ssize_t k = 0; k < K; ++k)
        if (off[k + 1] <= off[k]) throw py::value_error("offsets: every network needs at least one neuron");
    return {w0, signs, off, K, M, d};
}

template <class T>
void init_bank(py::array W0, py::array a, const py::array& seeds, const py::array& offsets, bool symmetric,
               int n_threads) {
    check_threads(n_threads);
    const auto bank = bank_view<T>(W0, a, offsets);
    T* w0 = checked<T>(W0, "W0", {bank.M, bank.d}, true);
    T* signs = checked<T>(a, "a", {bank.M}, true);
    const auto* s = checked<std::uint64_t>(seeds, "seeds", {bank.K});
    if (symmetric)
        for (py::ssize_t k = 0; k < bank.K; ++k)
            if ((bank.offsets[k + 1] - bank.offsets[k]) % 2)
                throw py::value_error("offsets: a symmetric initialisation needs even widths");
    py::gil_scoped_release release;
    kdfast::init_bank(w0, signs, s, bank.offsets, bank.K, bank.d, symmetric, n_threads);
}

template <class T>
py::array_t<T> logits(const py::array& W, const py::array& W0, const py::array& a, const py::array& offsets,
                      const py::array& X, int n_threads) {
    check_threads(n_threads);
    const auto bank = bank_view<T>(W0, a, offsets);
    const T* w = checked<T>(W, "W", {bank.M, bank.d});
    const T* x = checked<T>(X, "X", {-1, bank.d});
    const py::ssize_t n = X.shape(0);
    py::array_t<T> F({static_cast<py::ssize_t>(bank.K), n});
    T* f = F.mutable_data();
    bool done;
    {
        py::gil_scoped_release release;
        done = kdfast::logits(f, w, bank, x, n, n_threads, kPythonSignals);
    }
    if (!done) throw py::error_already_set();
    return F;
}

template <class T>
kdfast::Samples<T> samples(const py::array& X, const py::array& P, const std::optional<py::array>& y, py::ssize_t d,
                           const char* x_name, const char* p_name, const char* y_name) {
    const T* x = checked<T>(X, x_name, {-1, d});
    const py::ssize_t n = X.shape(0);
    const double* p = checked<double>(P, p_name, {n, -1});
    return {x, p, optional_data<std::int8_t>(y, y_name, {n}), n, P.shape(1)};
}

py::array_t<double> records_array(py::ssize_t rows, py::ssize_t K) { return py::array_t<double>({rows, K}); }

template <class T>
py::dict train(py::array W, const py::array& W0, const py::array& a, const py::array& offsets, const py::array& X,
               const py::array& P, const std::optional<py::array>& y, const std::optional<py::array>& X_test,
               const std::optional<py::array>& P_test, const std::optional<py::array>& y_test, const py::array& column,
               const py::array& lr, const py::array& radius, const py::array& tau, int projection, std::int64_t steps,
               std::int64_t record_every, int n_threads) {
    check_threads(n_threads);
    check_steps(steps, record_every);
    const auto bank = bank_view<T>(W0, a, offsets);
    const py::ssize_t K = bank.K;
    T* w = checked<T>(W, "W", {bank.M, bank.d}, true);
    const auto data = samples<T>(X, P, y, bank.d, "X", "target", "y");
    std::optional<kdfast::Samples<T>> test;
    if (X_test || P_test || y_test) {
        if (!(X_test && P_test && y_test)) throw py::value_error("X_test, target_test and y_test go together");
        test = samples<T>(*X_test, *P_test, y_test, bank.d, "X_test", "target_test", "y_test");
        if (test->C != data.C) throw py::value_error("target_test: needs as many columns as target");
    }
    if (projection < 0 || projection > 2)
        throw py::value_error("projection: must be 0 (none), 1 (neuron) or 2 (network), got " +
                              std::to_string(projection));
    const auto* col = checked<std::int64_t>(column, "target_index", {K});
    for (py::ssize_t k = 0; k < K; ++k)
        if (col[k] < 0 || col[k] >= data.C) throw py::value_error("target_index: column out of range");
    const kdfast::Schedule schedule{checked<double>(lr, "lr", {K}),
                                    checked<double>(radius, "radius", {K}),
                                    checked<double>(tau, "temperature", {K}),
                                    col,
                                    static_cast<kdfast::Projection>(projection),
                                    steps,
                                    record_every};

    const py::ssize_t rows = kdfast::recorded_steps(steps, record_every);
    auto loss = records_array(rows, K), mean_loss = records_array(1, K);
    std::optional<py::array_t<double>> train_acc, test_loss, test_acc;
    if (data.y) train_acc = records_array(rows, K);
    if (test) test_loss = records_array(rows, K), test_acc = records_array(rows, K);
    const kdfast::Records records{loss.mutable_data(), train_acc ? train_acc->mutable_data() : nullptr,
                                  test_loss ? test_loss->mutable_data() : nullptr,
                                  test_acc ? test_acc->mutable_data() : nullptr, mean_loss.mutable_data()};
    bool done;
    {
        py::gil_scoped_release release;
        done = kdfast::train(w, bank, data, test ? &*test : nullptr, schedule, records, n_threads, kPythonSignals);
    }
    if (!done) throw py::error_already_set();

    py::dict out;
    out["loss"] = loss;
    out["mean_loss"] = mean_loss.attr("reshape")(K);
    out["train_acc"] = train_acc ? py::object(*train_acc) : py::none();
    out["test_loss"] = test_loss ? py::object(*test_loss) : py::none();
    out["test_acc"] = test_acc ? py::object(*test_acc) : py::none();
    return out;
}

template <class T>
py::array_t<double> max_drift(const py::array& W, const py::array& W0, const py::array& a, const py::array& offsets,
                              int n_threads) {
    check_threads(n_threads);
    const auto bank = bank_view<T>(W0, a, offsets);
    const T* w = checked<T>(W, "W", {bank.M, bank.d});
    py::array_t<double> drift(bank.K);
    double* out = drift.mutable_data();
    py::gil_scoped_release release;
    kdfast::max_drift(out, w, bank, n_threads);
    return drift;
}

// The sizes of a fit, checked as train() checks them (K networks of M >= K
// neurons in all, at least one sample, ...).
kdfast::FitSizes fit_sizes(std::int64_t K, std::int64_t M, std::int64_t d, std::int64_t n, std::int64_t C,
                           std::int64_t n_test, bool labels, std::int64_t steps, std::int64_t record_every,
                           int n_threads) {
    check_threads(n_threads);
    check_steps(steps, record_every);
    if (K < 1 || M < K || d < 1 || n < 1 || C < 1 || n_test < 0)
        throw py::value_error(
            "sizes: need n_networks, d, n_samples, n_columns >= 1, n_neurons >= n_networks, n_test >= 0");
    return {K, M, d, n, C, n_test, labels, steps, record_every, n_threads};
}

// The bank's dtype decides which instantiation runs; the one chosen then
// rejects any other array whose dtype does not match.
bool is_float32(const py::array& W0) { return W0.dtype().is(py::dtype::of<float>()); }

}  // namespace

// Every argument is keyword-only: the calls name what they pass, and the
// names are those the error messages use.
PYBIND11_MODULE(_core, m) {
    m.doc() = "kdfast's compiled engine. Private: use the kdfast package.";

    m.def("openmp_enabled", &kdfast::openmp_enabled, "Whether the engine was built with OpenMP.");
    m.def("max_threads", &kdfast::max_threads, "Threads a parallel region uses by default (OMP_NUM_THREADS).");
    m.def("simd_level", &kdfast::simd_level, "Instruction set of the fused kernels chosen for this CPU.");
    m.def(
        "activation_bytes",
        [](std::int64_t n_neurons, std::int64_t n_samples, bool float32) {
            if (n_neurons < 1 || n_samples < 1) throw py::value_error("sizes: need n_neurons, n_samples >= 1");
            return float32 ? kdfast::activation_bytes<float>(n_neurons, n_samples)
                           : kdfast::activation_bytes<double>(n_neurons, n_samples);
        },
        py::kw_only(), py::arg("n_neurons"), py::arg("n_samples"), py::arg("float32"),
        "Bytes of activation bits a fit keeps between its forward and backward pass.");
    m.def(
        "fit_bytes",
        [](std::int64_t n_networks, std::int64_t n_neurons, std::int64_t d, std::int64_t n_samples,
           std::int64_t n_columns, std::int64_t n_test, bool labels, std::int64_t steps, std::int64_t record_every,
           int n_threads, bool float32) {
            const auto sizes = fit_sizes(n_networks, n_neurons, d, n_samples, n_columns, n_test, labels, steps,
                                         record_every, n_threads);
            return float32 ? kdfast::fit_bytes<float>(sizes) : kdfast::fit_bytes<double>(sizes);
        },
        py::kw_only(), py::arg("n_networks"), py::arg("n_neurons"), py::arg("d"), py::arg("n_samples"),
        py::arg("n_columns"), py::arg("n_test"), py::arg("labels"), py::arg("steps"), py::arg("record_every"),
        py::arg("n_threads"), py::arg("float32"),
        "Bytes a fit of these sizes allocates: its work space and the records it returns (n_test 0: no test set; "
        "labels: train accuracy recorded).");

    m.def(
        "init_bank",
        [](py::array W0, py::array a, const py::array& seeds, const py::array& offsets, bool symmetric, int n_threads) {
            if (is_float32(W0)) return init_bank<float>(W0, a, seeds, offsets, symmetric, n_threads);
            return init_bank<double>(W0, a, seeds, offsets, symmetric, n_threads);
        },
        py::kw_only(), py::arg("W0"), py::arg("a"), py::arg("seeds"), py::arg("offsets"), py::arg("symmetric"),
        py::arg("n_threads"), "Fills W0 and a in place with the initial weights and signs of every network.");

    m.def(
        "logits",
        [](const py::array& W, const py::array& W0, const py::array& a, const py::array& offsets, const py::array& X,
           int n_threads) -> py::array {
            if (is_float32(W0)) return logits<float>(W, W0, a, offsets, X, n_threads);
            return logits<double>(W, W0, a, offsets, X, n_threads);
        },
        py::kw_only(), py::arg("W"), py::arg("W0"), py::arg("a"), py::arg("offsets"), py::arg("X"),
        py::arg("n_threads"), "(K, n) outputs of every network for weights W.");

    m.def(
        "train",
        [](py::array W, const py::array& W0, const py::array& a, const py::array& offsets, const py::array& X,
           const py::array& P, const std::optional<py::array>& y, const std::optional<py::array>& X_test,
           const std::optional<py::array>& P_test, const std::optional<py::array>& y_test, const py::array& column,
           const py::array& lr, const py::array& radius, const py::array& tau, int projection, std::int64_t steps,
           std::int64_t record_every, int n_threads) {
            auto run = is_float32(W0) ? &train<float> : &train<double>;
            return run(W, W0, a, offsets, X, P, y, X_test, P_test, y_test, column, lr, radius, tau, projection, steps,
                       record_every, n_threads);
        },
        py::kw_only(), py::arg("W"), py::arg("W0"), py::arg("a"), py::arg("offsets"), py::arg("X"), py::arg("target"),
        py::arg("y"), py::arg("X_test"), py::arg("target_test"), py::arg("y_test"), py::arg("target_index"),
        py::arg("lr"), py::arg("radius"), py::arg("temperature"), py::arg("projection"), py::arg("steps"),
        py::arg("record_every"), py::arg("n_threads"),
        "Runs `steps` steps of projected gradient descent on W in place; returns the records.");

    m.def(
        "max_drift",
        [](const py::array& W, const py::array& W0, const py::array& a, const py::array& offsets,
           int n_threads) -> py::array {
            if (is_float32(W0)) return max_drift<float>(W, W0, a, offsets, n_threads);
            return max_drift<double>(W, W0, a, offsets, n_threads);
        },
        py::kw_only(), py::arg("W"), py::arg("W0"), py::arg("a"), py::arg("offsets"), py::arg("n_threads"),
        "(K,) sqrt(m) times the largest distance of a neuron of each network from its start.");
}
