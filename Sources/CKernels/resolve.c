// Spike routing, the emulator's step after the neuron update (tessera_kernels.h): each
// fired code to its destination, with the counters of the packets it makes.
#include "tessera_kernels.h"
#include <stdlib.h>

static inline int64_t destination(const tessera_routes *r, int64_t code) {
    int64_t core, neuron;
    if (r->neuron_shift >= 0) {
        core = code >> r->neuron_shift;
        neuron = code & (r->neurons - 1);
    } else {
        core = code / r->neurons;
        neuron = code % r->neurons;
    }
    int32_t block = r->block_of[core];
    return r->dest_start[core] + (r->rank_is_index[block] ? neuron : r->rank[(int64_t)block * r->neurons + neuron]);
}

// Asks for the destination entry of fired neuron `code` in all four arrays.
static inline void prefetch_destination(const tessera_routes *r, int64_t code) {
    int64_t e = destination(r, code);
    __builtin_prefetch(r->dest_kind + e);
    __builtin_prefetch(r->dest_target + e);
    __builtin_prefetch(r->dest_index + e);
    if (r->dest_delay) __builtin_prefetch(r->dest_delay + e);
}

int64_t tessera_resolve(const tessera_routes *r, const int32_t *codes, int64_t from, int64_t n, int64_t now,
                        tessera_spike_list *lists, int32_t *outputs, int64_t *bucket_counts, tessera_route_tally *tally) {
    // The destination entries of successive spikes sit at random places in large arrays:
    // they are asked for `ahead` spikes before they are read.
    enum { ahead = 8 };
    for (int64_t k = from; k < n && k < from + ahead; k++) prefetch_destination(r, codes[k]);
    int64_t hops = 0, crossings = 0, out = tally->outputs;
    int64_t last_core = -1, *bucket = NULL;
    int32_t mx = 0, my = 0, cx = 0, cy = 0;
    int64_t k = from;
    for (; k < n; k++) {
        if (k + ahead < n) prefetch_destination(r, codes[k + ahead]);
        int64_t code = codes[k];
        int64_t core = r->neuron_shift >= 0 ? code >> r->neuron_shift : code / r->neurons;
        if (core != last_core) {
            // Fired codes come in core order, so a core's place and bucket are read once.
            last_core = core;
            bucket = bucket_counts + r->bucket_of[core];
            mx = r->mesh[2 * core]; my = r->mesh[2 * core + 1];
            cx = r->chip[2 * core]; cy = r->chip[2 * core + 1];
        }
        int64_t e = destination(r, code);
        uint8_t kind = r->dest_kind[e];
        if (kind == 1) {
            int32_t target = r->dest_target[e];
            int32_t delay = r->dest_delay ? r->dest_delay[e] : r->uniform_delay;
            if (r->owner && r->owner[target] >= r->workers) {
                tessera_spike_list *list = lists + (r->owner[target] - r->workers);
                if (list->count == list->capacity) break;
                list->core[list->count] = target;
                list->axon[list->count] = (int32_t)((uint32_t)r->dest_index[e] << 8 | (uint32_t)delay);
                list->count++;
            } else {
                // Delays are at least 1 and below the ring (the loader checks them), so
                // the slot wraps at most once, and is never the one being stepped.
                int64_t slot = now + delay;
                if (slot >= r->ring) slot -= r->ring;
                uint32_t axon = (uint32_t)r->dest_index[e];
                r->pending[(slot * r->cores + target) * r->axon_words + (axon >> 6)] |= (uint64_t)1 << (axon & 63);
            }
            hops += labs((long)(mx - r->mesh[2 * target])) + labs((long)(my - r->mesh[2 * target + 1]));
            crossings += labs((long)(cx - r->chip[2 * target])) + labs((long)(cy - r->chip[2 * target + 1]));
        } else if (kind == 2) {
            outputs[out++] = (int32_t)e;
        }
        (*bucket)++;
    }
    tally->hops += hops;
    tally->crossings += crossings;
    tally->outputs = out;
    return k;
}
