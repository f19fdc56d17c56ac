// The barrier the emulator's worker threads meet at twice a tick (tessera_kernels.h).
#include "tessera_kernels.h"
#include <sched.h>

// Spins this many times before yielding the CPU: a tick's phases last tens of microseconds
// to milliseconds, less than a futex wake-up costs, but when there are more threads than
// CPUs (several ranks on one machine) a spinning thread must give way.
enum { spins_before_yield = 2000 };

static inline void relax(int *spins) {
    if (++*spins < spins_before_yield) {
#if defined(__x86_64__)
        __builtin_ia32_pause();
#endif
    } else {
        sched_yield();
    }
}

void tessera_barrier_init(tessera_barrier *b, int parties) {
    __atomic_store_n(&b->arrived, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&b->generation, 0, __ATOMIC_RELAXED);
    b->parties = parties;
}

void tessera_barrier_arrive_and_wait(tessera_barrier *b) {
    int64_t generation = __atomic_load_n(&b->generation, __ATOMIC_ACQUIRE);
    __atomic_add_fetch(&b->arrived, 1, __ATOMIC_ACQ_REL);
    int spins = 0;
    while (__atomic_load_n(&b->generation, __ATOMIC_ACQUIRE) == generation) relax(&spins);
}

void tessera_barrier_collect(tessera_barrier *b) {
    int spins = 0;
    while (__atomic_load_n(&b->arrived, __ATOMIC_ACQUIRE) < b->parties - 1) relax(&spins);
}

void tessera_barrier_release(tessera_barrier *b) {
    __atomic_store_n(&b->arrived, 0, __ATOMIC_RELAXED);
    __atomic_add_fetch(&b->generation, 1, __ATOMIC_ACQ_REL);
}
