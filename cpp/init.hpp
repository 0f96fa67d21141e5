// Initial weights and output signs of a bank of students.
//
// Size legend: K networks, M neurons in all, d inputs.
#pragma once

#include <cstdint>

namespace kdfast {

// Neuron j of network k is neuron (j - offsets[k]) of stream seeds[k].
//
// symmetric: neurons 2p and 2p+1 of a network are (w, a) and (w, -a) with
// (w, a) draw p of the stream, so every network's initial output is exactly
// zero (the pair's terms cancel: same products, opposite signs). Widths must
// be even (the caller checks); width m is still a prefix of width 2m.
template <class T>
void init_bank(T* W0,                        // (M, d) out: w ~ N(0, I_d)
               T* a,                         // (M,)   out: uniform on {-1, +1}
               const std::uint64_t* seeds,   // (K,)
               const std::int64_t* offsets,  // (K+1,) network k owns rows offsets[k]..offsets[k+1]
               std::int64_t K, std::int64_t d, bool symmetric, int n_threads);

}  // namespace kdfast
