// The emulator's inner loops, in three versions (tessera_kernels.h): baseline and AVX2
// from one vector source, AVX-512 with its own mask registers. The caller names the
// version on every call, so tests run each one side by side in one process.
#include "tessera_kernels.h"
#include "vectors.h"

#define KERNEL(name) name##_baseline
#define KERNEL_TARGET
#include "vector_kernels.h"
#undef KERNEL
#undef KERNEL_TARGET

#if defined(__x86_64__)
#define KERNEL(name) name##_avx2
#define KERNEL_TARGET __attribute__((target("avx2")))
#include "vector_kernels.h"
#undef KERNEL
#undef KERNEL_TARGET
#include "avx512_kernels.h"
#endif

int tessera_kernels_available(int version) {
    switch (version) {
    case TESSERA_KERNELS_BASELINE: return 1;
#if defined(__x86_64__)
    case TESSERA_KERNELS_AVX2: return __builtin_cpu_supports("avx2") ? 1 : 0;
    case TESSERA_KERNELS_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
                   ? 1 : 0;
#endif
    default: return 0;
    }
}

int tessera_kernels_best(void) {
    if (tessera_kernels_available(TESSERA_KERNELS_AVX512)) return TESSERA_KERNELS_AVX512;
    if (tessera_kernels_available(TESSERA_KERNELS_AVX2)) return TESSERA_KERNELS_AVX2;
    return TESSERA_KERNELS_BASELINE;
}

int64_t tessera_integrate(int version, const tessera_board *board, int32_t *potential, int64_t record_base,
                          const int32_t *axons, int count, const int32_t *weights, int uniform) {
    switch (version) {
#if defined(__x86_64__)
    case TESSERA_KERNELS_AVX512: return integrate_avx512(board, potential, record_base, axons, count, weights, uniform);
    case TESSERA_KERNELS_AVX2: return integrate_avx2(board, potential, record_base, axons, count, weights, uniform);
#endif
    default: return integrate_baseline(board, potential, record_base, axons, count, weights, uniform);
    }
}

// The active axons of a core in ascending order, the pending words cleared for their
// slot's next use.
static inline int gather(uint64_t *pending, int words, int32_t *axons) {
    int count = 0;
    for (int k = 0; k < words; k++) {
        uint64_t bits = pending[k];
        pending[k] = 0;
        while (bits) {
            axons[count++] = k * 64 + __builtin_ctzll(bits);
            bits &= bits - 1;
        }
    }
    return count;
}

int64_t tessera_step_linear(int version, const tessera_board *board, const tessera_linear_block *block, uint64_t *pending,
                            int must_step, int32_t *potential, int64_t record_base, int32_t code_base, int32_t *out,
                            int64_t *out_count, int32_t *axons, int32_t *restless) {
    int count = gather(pending, board->axon_words, axons);
    if (count == 0 && !must_step) return -1;
    int64_t events;
    switch (version) {
#if defined(__x86_64__)
    case TESSERA_KERNELS_AVX512:
        events = integrate_avx512(board, potential, record_base, axons, count, block->weights, block->uniform);
        *restless = update_avx512(board, block, potential, code_base, out, out_count);
        return events;
    case TESSERA_KERNELS_AVX2:
        events = integrate_avx2(board, potential, record_base, axons, count, block->weights, block->uniform);
        *restless = update_avx2(board, block, potential, code_base, out, out_count);
        return events;
#endif
    default:
        events = integrate_baseline(board, potential, record_base, axons, count, block->weights, block->uniform);
        *restless = update_baseline(board, block, potential, code_base, out, out_count);
        return events;
    }
}
