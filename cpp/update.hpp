// The projected gradient step of one neuron, shared by every kernel build.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "views.hpp"

namespace kdfast {

// wn = w - lr_k * (a_j / sqrt(m_k)) * g, then for Projection::neuron the
// ball ||wn - w0|| <= radius_k / sqrt(m_k). Returns ||wn - w0||^2 before
// the neuron projection (what Projection::network needs).
template <class T>
inline double update_neuron(T* wn,        // (d,) out
                            const T* w,   // (d,)
                            const T* w0,  // (d,)
                            const T* g,   // (d,) sum_i R[k, i] 1[<w, x_i> > 0] x_i
                            T a, double lr, double radius, std::int64_t width, Projection projection, std::int64_t d) {
    const double width_scale = 1.0 / std::sqrt(static_cast<double>(width));
    const T step = static_cast<T>(lr * static_cast<double>(a) * width_scale);
    // The squared norm in kParts running sums, coordinate c in sum c % kParts,
    // added up in a fixed order at the end: one running sum would make every
    // addition wait for the previous one, which on short rows costs as much
    // as the neuron's share of the products.
    constexpr int kParts = 8;
    double part[kParts] = {};
    for (std::int64_t c0 = 0; c0 < d; c0 += kParts) {
        const int count = static_cast<int>(std::min<std::int64_t>(kParts, d - c0));
        for (int l = 0; l < count; ++l) {
            const std::int64_t c = c0 + l;
            wn[c] = w[c] - step * g[c];
            const double delta = static_cast<double>(wn[c]) - static_cast<double>(w0[c]);
            part[l] += delta * delta;
        }
    }
    const double norm2 = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
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
