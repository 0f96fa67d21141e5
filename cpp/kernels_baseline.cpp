// The fused kernels for any x86-64 or other CPU (the compiler's default vectors).
#define KDFAST_ISA baseline
#define KDFAST_VEC_BYTES 16
#define KDFAST_FWD_NR 6
#define KDFAST_BWD_NR 2
#define KDFAST_BWD_NC 4
#include "kernels.inl"
