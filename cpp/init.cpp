#include "init.hpp"

#include <algorithm>

#include "parallel.hpp"
#include "philox.hpp"

namespace kdfast {

template <class T>
void init_bank(T* W0, T* a, const std::uint64_t* seeds, const std::int64_t* offsets, std::int64_t K, std::int64_t d,
               bool symmetric, int n_threads) {
    // One parallel region over all neurons of the bank: each neuron's draws
    // depend on its seed and its index in its network alone, so however
    // the neurons fall to threads the values are the same.
    const std::int64_t M = offsets[K];
#pragma omp parallel for schedule(static) num_threads(n_threads)
    for (std::int64_t j = 0; j < M; ++j) {
        const std::int64_t k = std::upper_bound(offsets + 1, offsets + K + 1, j) - (offsets + 1);
        const std::uint64_t seed = seeds[k];
        const auto index = static_cast<std::uint64_t>(j - offsets[k]);
        const std::uint64_t neuron = symmetric ? index / 2 : index;
        T* w = W0 + j * d;  // (d,)
        for (std::int64_t c = 0; c < d; c += 4) {
            const auto z = normal_block(seed, neuron, static_cast<std::uint64_t>(c / 4));
            for (std::int64_t t = 0; t < 4 && c + t < d; ++t) w[c + t] = static_cast<T>(z[t]);
        }
        const int flip = symmetric && (index & 1) ? -1 : 1;
        a[j] = static_cast<T>(flip * sign_draw(seed, neuron));
    }
}

template void init_bank<float>(float*, float*, const std::uint64_t*, const std::int64_t*, std::int64_t, std::int64_t,
                               bool, int);
template void init_bank<double>(double*, double*, const std::uint64_t*, const std::int64_t*, std::int64_t, std::int64_t,
                                bool, int);

}  // namespace kdfast
