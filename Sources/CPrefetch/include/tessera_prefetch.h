#ifndef TESSERA_PREFETCH_H
#define TESSERA_PREFETCH_H

/// Asks the CPU to start loading the cache line at `address` (Swift has no intrinsic for
/// it). The emulator calls it for the crossbar rows of a core's active axons, which sit at
/// random places in a large array, so their memory latencies overlap instead of adding up.
static inline void tessera_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
