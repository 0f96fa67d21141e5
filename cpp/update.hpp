// The projected gradient step of one neuron, shared by every kernel build.
#pragma once

#include <cmath>
#include <cstdint>

#include "train.hpp"

namespace kdfast {

// wn = w - lr_k * (a_j / sqrt(m_k)) * g, then for Projection::neuron the
// ball ||wn - w0|| <= radius_k / sqrt(m_k). Returns ||wn - w0||^2 before
// the neuron projection (what Projection::network needs).
template <class T>
inline double update_neuron(T* wn,        // (d,) out
                            const T* w,   // (d,)
                            const T* w0,  // (d,)
                            const T* g,   // (d,) sum_i R[k, i] 1[<w, x_i> > 0] x_i
                            T a, double lr, double radius, std::int64_t width, Projection projection,
                            std::int64_t d) {
    const double width_scale = 1.0 / std::sqrt(static_cast<double>(width));
    const T step = static_cast<T>(lr * static_cast<double>(a) * width_scale);
    double norm2 = 0.0;
    for (std::int64_t c = 0; c < d; ++c) {
        wn[c] = w[c] - step * g[c];
        const double delta = static_cast<double>(wn[c]) - static_cast<double>(w0[c]);
        norm2 += delta * delta;
    }
    if (projection == Projection::neuron) {
        const double bound = radius * width_scale;
        if (norm2 > bound * bound) {
            const T shrink = static_cast<T>(bound / std::sqrt(norm2));
            for (std::int64_t c = 0; c < d; ++c) wn[c] = w0[c] + shrink * (wn[c] - w0[c]);
        }
    }
    return norm2;
}

}  // namespace kdfast
