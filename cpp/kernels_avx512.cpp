// The fused kernels for CPUs with AVX512.
#define KDFAST_ISA avx512
#define KDFAST_VEC_BYTES 64
#define KDFAST_FWD_NR 12
#define KDFAST_BWD_NR 5
#define KDFAST_BWD_NC 4
#include "kernels.inl"
