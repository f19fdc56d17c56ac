#ifndef TESSERA_VECTORS_H
#define TESSERA_VECTORS_H

// Shared by the kernels' baseline and AVX2 versions: eight neurons per vector, written
// with clang's vector extensions so that one source compiles to SSE2 pairs or to AVX2.

#include <stdint.h>
#include <string.h>

#include "tessera_kernels.h"

// Unsigned lanes: vector sums then wrap, with no undefined behaviour.
typedef uint32_t lane_t __attribute__((vector_size(32), aligned(4)));
typedef int32_t slane_t __attribute__((vector_size(32), aligned(4)));

// Wrapping adds and subtracts (through unsigned lanes) and bitwise selects, as in Swift.
#define WADD(a, b) ((slane_t)((lane_t)(a) + (lane_t)(b)))
#define WSUB(a, b) ((slane_t)((lane_t)(a) - (lane_t)(b)))
#define SELECT(a, b, m) ((a) ^ (((a) ^ (b)) & (m)))
#define CLAMP(x) SELECT(SELECT((x), lo, (slane_t)((x) < lo)), hi, (slane_t)((x) > hi))

// Whether any lane of an all-ones-or-zero mask vector (a variable) is set. A macro, not a
// function: a 256-bit vector argument would change the calling convention between the
// baseline and the AVX2 versions.
// The synaptic events of a tick's active axons: their crossbar rows' ones, added up.
static inline int64_t synaptic_events(const tessera_board *board, int64_t record_base, const int32_t *axons, int count) {
    int64_t events = 0;
    for (int i = 0; i < count; i++) {
        const uint8_t *rec = board->records + (record_base + axons[i]) * board->stride;
        int32_t fan_out;
        memcpy(&fan_out, rec + board->fan_out_offset, sizeof fan_out);
        events += fan_out;
    }
    return events;
}

#define ANY_SET(m) ({ uint64_t w_[4]; memcpy(w_, &(m), sizeof w_); (w_[0] | w_[1] | w_[2] | w_[3]) != 0; })

#endif
