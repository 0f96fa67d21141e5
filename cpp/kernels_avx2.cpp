// The fused kernels for CPUs with AVX2.
#define KDFAST_ISA avx2
#define KDFAST_VEC_BYTES 32
#define KDFAST_FWD_NR 6
#define KDFAST_BWD_NR 2
#define KDFAST_BWD_NC 4
#include "kernels.inl"
