// The fused kernels for CPUs with AVX-512: 32 vector registers of 64 bytes.
// Tile sizes are set by the registers a tile's loop keeps live.
#define KDFAST_ISA avx512
namespace kdfast::avx512 {
constexpr int kVecBytes = 64;
// Forward and row-path tiles: 12 neurons x 2 vectors = 24 accumulators, 2
// input vectors and a broadcast weight, 27 of the 32 registers.
constexpr int kFwdNR = 12;
// Sample-path gradient tiles: 5 neurons x 4 coordinates = 20 accumulators,
// 5 residual vectors and an input vector, 26 of the 32 registers.
constexpr int kBwdNR = 5;
constexpr int kBwdNC = 4;
}  // namespace kdfast::avx512
// The float32 table paths of the backward pass, which only this build has.
#define KDFAST_TABLE_PATHS
#include "kernels.inl"
#include "kernels_avx512.inl"
