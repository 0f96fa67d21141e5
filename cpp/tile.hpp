// The inner product shared by the forward and backward passes.
#pragma once

#include <cstdint>

namespace kdfast {

// z[i] = <w, x_{i0+i}> for the ni <= kTile samples of one tile. Xt points at
// column i0 of the transposed inputs, so the loop over samples is contiguous
// and vectorises without reassociating any sum: each z[i] adds its d terms
// in the order c = 0, 1, ..., d-1 on every thread and every machine.
template <class T>
inline void preactivations(T* z,         // (ni,) out
                           const T* Xt,  // (d, n) from column i0
                           const T* w,   // (d,)
                           std::int64_t n, std::int64_t d, std::int64_t ni) {
    for (std::int64_t i = 0; i < ni; ++i) z[i] = T(0);
    for (std::int64_t c = 0; c < d; ++c) {
        const T wc = w[c];
        const T* xc = Xt + c * n;
        for (std::int64_t i = 0; i < ni; ++i) z[i] += xc[i] * wc;
    }
}

}  // namespace kdfast
