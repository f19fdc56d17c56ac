// The AVX-512 version: sixteen neurons per 512-bit vector. Two crossbar bytes are used as
// the lane mask of a masked add, so no byte-to-mask table is read, and the neurons that
// fire are packed by one compress. Vector j holds neurons 16j ..< 16j + 16; when a core's
// 8-neuron lane count is odd, its last vector holds 8 and is loaded and stored masked.

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,popcnt")))

// The lanes of vector j that exist: all 16, or the low 8 in an odd core's last vector.
#define TAIL(j) ((__mmask16)(2 * (j) + 1 < lanes ? 0xFFFF : 0x00FF))

// Vectors j0 ..< j0 + 16, all of 16 lanes, kept in registers (the loops unroll fully)
// while every active axon adds to them.
#define INTEGRATE_BLOCK_512()                                                                    \
    __m512i acc[16];                                                                                    \
    _Pragma("clang loop unroll(full)")                                                                 \
    for (int j = 0; j < 16; j++) acc[j] = _mm512_maskz_loadu_epi32(0xFFFF, potential + 16 * (j0 + j)); \
    if (uniform) {                                                                                      \
        for (int i = 0; i < count; i++) {                                                               \
            const uint8_t *rec = board->records + (record_base + axons[i]) * board->stride;             \
            __m512i weight = _mm512_set1_epi32(weights[rec[board->type_offset] * 8]);                   \
            _Pragma("clang loop unroll(full)")                                                         \
            for (int j = 0; j < 16; j++) {                                                             \
                uint16_t bits;                                                                          \
                memcpy(&bits, rec + 2 * (j0 + j), sizeof bits);                                         \
                __mmask16 m = (__mmask16)bits & 0xFFFF;                         \
                acc[j] = _mm512_mask_add_epi32(acc[j], m, acc[j], weight);                              \
            }                                                                                           \
        }                                                                                               \
    } else {                                                                                            \
        for (int i = 0; i < count; i++) {                                                               \
            const uint8_t *rec = board->records + (record_base + axons[i]) * board->stride;             \
            const int32_t *weight = weights + ((int64_t)rec[board->type_offset] * lanes) * 8;           \
            _Pragma("clang loop unroll(full)")                                                         \
            for (int j = 0; j < 16; j++) {                                                             \
                uint16_t bits;                                                                          \
                memcpy(&bits, rec + 2 * (j0 + j), sizeof bits);                                         \
                __mmask16 m = (__mmask16)bits & 0xFFFF;                         \
                acc[j] = _mm512_mask_add_epi32(acc[j], m, acc[j], _mm512_maskz_loadu_epi32(m, weight + 16 * (j0 + j))); \
            }                                                                                           \
        }                                                                                               \
    }                                                                                                   \
    _Pragma("clang loop unroll(full)")                                                                 \
    for (int j = 0; j < 16; j++) _mm512_mask_storeu_epi32(potential + 16 * (j0 + j), 0xFFFF, acc[j]);

static AVX512_TARGET int64_t integrate_avx512(const tessera_board *board, int32_t *potential, int64_t record_base,
                                              const int32_t *axons, int count, const int32_t *weights, int uniform) {
    int64_t events = synaptic_events(board, record_base, axons, count);
    int lanes = board->lanes, vectors = (lanes + 1) / 2;
    for (int j0 = 0; j0 < vectors; j0 += 16) {
        if (2 * (j0 + 16) <= lanes) {
            INTEGRATE_BLOCK_512()
        } else {
            // The last, partial block (cores of fewer than 256 neurons, or not a multiple
            // of 256): one vector at a time.
            for (int j = j0; j < vectors; j++) {
                __mmask16 tail = TAIL(j);
                __m512i acc = _mm512_maskz_loadu_epi32(tail, potential + 16 * j);
                for (int i = 0; i < count; i++) {
                    const uint8_t *rec = board->records + (record_base + axons[i]) * board->stride;
                    int type = rec[board->type_offset];
                    uint16_t bits;
                    memcpy(&bits, rec + 2 * j, sizeof bits);
                    __mmask16 m = (__mmask16)bits & tail;
                    __m512i weight = uniform ? _mm512_set1_epi32(weights[type * 8])
                                             : _mm512_maskz_loadu_epi32(m, weights + ((int64_t)type * lanes) * 8 + 16 * j);
                    acc = _mm512_mask_add_epi32(acc, m, acc, weight);
                }
                _mm512_mask_storeu_epi32(potential + 16 * j, tail, acc);
            }
        }
    }
    return events;
}

#undef INTEGRATE_BLOCK_512

static AVX512_TARGET int update_avx512(const tessera_board *board, const tessera_linear_block *block, int32_t *potential,
                                       int32_t code_base, int32_t *out, int64_t *out_count) {
    int lanes = board->lanes, vectors = (lanes + 1) / 2;
    __m512i lo = _mm512_set1_epi32(board->low), hi = _mm512_set1_epi32(board->high);
    __m512i leak = _mm512_set1_epi32(block->leak), alpha = _mm512_set1_epi32(block->alpha);
    __m512i negative_beta = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_set1_epi32(block->beta));
    __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __mmask16 restless = 0;
    int64_t n = *out_count;
    for (int j = 0; j < vectors; j++) {
        __mmask16 tail = TAIL(j), enabled = tail;
        if (block->enabled) {
            __m512i e = _mm512_maskz_loadu_epi32(tail, block->enabled + 16 * j);
            enabled = _mm512_test_epi32_mask(e, e);
        }
        __m512i x = _mm512_maskz_loadu_epi32(tail, potential + 16 * j);
        x = _mm512_min_epi32(_mm512_max_epi32(x, lo), hi);
        x = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(x, leak), lo), hi);
        __mmask16 spike = _mm512_mask_cmpge_epi32_mask(enabled, x, alpha);
        __mmask16 negative = _mm512_mask_cmplt_epi32_mask(enabled & (__mmask16)~spike, x, negative_beta);
        x = _mm512_mask_sub_epi32(x, spike, x, alpha);
        x = _mm512_mask_mov_epi32(x, negative, negative_beta);
        x = _mm512_min_epi32(_mm512_max_epi32(x, lo), hi);
        restless |= _mm512_mask_cmpge_epi32_mask(enabled, x, alpha) | _mm512_mask_cmplt_epi32_mask(enabled, x, negative_beta);
        _mm512_mask_storeu_epi32(potential + 16 * j, tail, x);
        // Packed in a register, then stored whole, whether any fired or not (the buffer
        // has room for 16 more): a branch here would be mispredicted often, and a compress
        // straight to memory is slow on some CPUs.
        __m512i codes = _mm512_add_epi32(iota, _mm512_set1_epi32(code_base + 16 * j));
        _mm512_storeu_si512((void *)(out + n), _mm512_maskz_compress_epi32(spike, codes));
        n += __builtin_popcount(spike);
    }
    *out_count = n;
    return restless != 0;
}

#undef TAIL
#endif
