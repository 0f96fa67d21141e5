// Thread teams and cooperative cancellation for the kernels.
//
// OpenMP is optional: without it every pragma is ignored and the kernels
// run serially with identical results (each output element is reduced in
// a fixed order by whichever thread owns it).
#pragma once

#include <atomic>
#include <chrono>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace kdfast {

inline bool openmp_enabled() {
#ifdef _OPENMP
    return true;
#else
    return false;
#endif
}

// Threads an unqualified parallel region would use (OMP_NUM_THREADS honoured).
inline int max_threads() {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

inline int thread_id() {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

// A poll callback supplied by the caller (e.g. "was Ctrl-C pressed?").
// It is only ever invoked by thread 0, the thread that entered the kernel,
// so a Python binding may take the GIL and check signals inside it.
struct Interrupt {
    bool (*poll)(void* context) = nullptr;
    void* context = nullptr;
};

// Shared stop flag for a team: thread 0 polls the callback at most every
// `period`, every thread reads the flag and skips the rest of its work.
class StopFlag {
  public:
    explicit StopFlag(Interrupt source) : source_(source), last_poll_(Clock::now()) {}

    bool requested() {
        if (thread_id() == 0 && source_.poll != nullptr && !stopped_.load(std::memory_order_relaxed)) {
            const auto now = Clock::now();
            if (now - last_poll_ >= period) {
                last_poll_ = now;
                if (source_.poll(source_.context)) stopped_.store(true, std::memory_order_relaxed);
            }
        }
        return stopped_.load(std::memory_order_relaxed);
    }

  private:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::milliseconds period{50};
    Interrupt source_;
    Clock::time_point last_poll_;
    std::atomic<bool> stopped_{false};
};

}  // namespace kdfast
