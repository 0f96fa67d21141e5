// Chooses the kernel build for this CPU once, at first use.
#include <cstdlib>
#include <cstring>

#include "kernels.hpp"

namespace kdfast {

// One declaration per build of kernels.inl.
#define KDFAST_DECLARE_BUILD(isa)                        \
    namespace isa {                                      \
    template <class T>                                   \
    KernelTable<T> table();                              \
    extern template KernelTable<float> table<float>();   \
    extern template KernelTable<double> table<double>(); \
    }
KDFAST_DECLARE_BUILD(baseline)
#ifdef KDFAST_HAVE_X86_BUILDS
KDFAST_DECLARE_BUILD(avx2)
KDFAST_DECLARE_BUILD(avx512)
#endif
#undef KDFAST_DECLARE_BUILD

namespace {

enum class Level { baseline = 0, avx2 = 1, avx512 = 2 };

Level cpu_level() {
#if defined(KDFAST_HAVE_X86_BUILDS) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) return Level::avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Level::avx2;
#endif
    return Level::baseline;
}

// KDFAST_SIMD=baseline|avx2|avx512 lowers the level (never above the CPU's).
Level chosen_level() {
    Level level = cpu_level();
    if (const char* wanted = std::getenv("KDFAST_SIMD")) {
        if (std::strcmp(wanted, "baseline") == 0)
            level = Level::baseline;
        else if (std::strcmp(wanted, "avx2") == 0 && level > Level::avx2)
            level = Level::avx2;
    }
    return level;
}

template <class T>
KernelTable<T> select() {
    switch (chosen_level()) {
#ifdef KDFAST_HAVE_X86_BUILDS
        case Level::avx512:
            return avx512::table<T>();
        case Level::avx2:
            return avx2::table<T>();
#endif
        default:
            return baseline::table<T>();
    }
}

}  // namespace

template <class T>
const KernelTable<T>& kernels() {
    static const KernelTable<T> chosen = select<T>();
    return chosen;
}

template const KernelTable<float>& kernels<float>();
template const KernelTable<double>& kernels<double>();

const char* simd_level() { return kernels<float>().name; }

}  // namespace kdfast
