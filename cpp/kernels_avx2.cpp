// The fused kernels for CPUs with AVX2: 16 vector registers of 32 bytes.
// Tile sizes are set by the registers a tile's loop keeps live.
#define KDFAST_ISA avx2
namespace kdfast::avx2 {
constexpr int kVecBytes = 32;
// Forward and row-path tiles: 6 neurons x 2 vectors = 12 accumulators, 2
// input vectors and a broadcast weight, 15 of the 16 registers.
constexpr int kFwdNR = 6;
// Sample-path gradient tiles: 2 neurons x 4 coordinates = 8 accumulators, 2
// residual vectors and an input vector, which leaves registers for the lane
// masks that load_where builds without AVX-512's mask registers.
constexpr int kBwdNR = 2;
constexpr int kBwdNC = 4;
}  // namespace kdfast::avx2
#include "kernels.inl"
