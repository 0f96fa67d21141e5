// The fused kernels for any x86-64 or other CPU: the compiler's default
// vectors of 16 bytes (SSE2 on x86-64, 16 registers), with the tile sizes
// of the AVX2 build for the same reasons (kernels_avx2.cpp).
#define KDFAST_ISA baseline
namespace kdfast::baseline {
constexpr int kVecBytes = 16;
constexpr int kFwdNR = 6;
constexpr int kBwdNR = 2;
constexpr int kBwdNC = 4;
}  // namespace kdfast::baseline
#include "kernels.inl"
