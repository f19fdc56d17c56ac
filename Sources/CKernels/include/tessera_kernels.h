#ifndef TESSERA_KERNELS_H
#define TESSERA_KERNELS_H

#include <stdint.h>

/// The versions of the emulator's kernels. Each gives the same results bit for bit; the
/// wider ones run where the CPU has the instructions (checked by cpuid at run time), so
/// one binary, built for baseline x86-64, runs on any x86-64 and uses what it finds.
enum {
    /// Eight neurons per vector in SSE2 pairs (or whatever the architecture has).
    TESSERA_KERNELS_BASELINE = 0,
    /// Eight neurons per 256-bit vector; a crossbar byte becomes a lane mask by a table.
    TESSERA_KERNELS_AVX2 = 1,
    /// Sixteen neurons per 512-bit vector; two crossbar bytes are the lane mask itself,
    /// and the neurons that fire are written out by one compress-store.
    TESSERA_KERNELS_AVX512 = 2,
};

/// 1 when this CPU runs `version`, else 0.
int tessera_kernels_available(int version);

/// The widest version this CPU runs.
int tessera_kernels_best(void);

/// What every core of a board shares: its record tables and geometry. A record is one
/// axon of one distinct (crossbar, axon types) pair, `stride` bytes: the crossbar row
/// (bit k of byte l: neuron 8l + k), then an int32 at `fan_out_offset` counting the row's
/// ones and a byte at `type_offset`, the axon's type. `mask_table[b]` is byte b spread to
/// 8 lanes of -1 or 0 (the baseline and AVX2 versions' byte-to-mask step).
typedef struct {
    const uint8_t *records;
    int64_t stride;
    int64_t fan_out_offset;
    int64_t type_offset;
    const int32_t *mask_table;
    /// Vectors of 8 neurons per core, and 64-bit words of pending axon bits per core.
    int32_t lanes;
    int32_t axon_words;
    /// The membrane range: potentials saturate to it after each phase.
    int32_t low;
    int32_t high;
} tessera_board;

/// A neuron block whose deterministic neurons share one parameter set in the common mode
/// of converted networks: no leak reversal, linear reset (a neuron that fires loses
/// alpha), the negative side saturating at -beta. `weights` holds per axon type `lanes`
/// vectors of 8 (or one vector per type when `uniform`); `enabled` one mask vector per
/// lane, all ones for a used deterministic neuron (NULL: every neuron).
typedef struct {
    const int32_t *weights;
    const int32_t *enabled;
    int32_t uniform;
    int32_t leak;
    int32_t alpha;
    int32_t beta;
} tessera_linear_block;

/// Synaptic integration of one core for one tick: for each active axon (in the given
/// order), every neuron its crossbar row connects gains the weight of the axon's type.
/// Sums wrap, as the Swift code's `&+=` does. Returns the synaptic events (the fan-outs
/// added up). Used for the blocks that the fused step below does not cover.
int64_t tessera_integrate(int version, const tessera_board *board, int32_t *potential, int64_t record_base,
                          const int32_t *axons, int count, const int32_t *weights, int uniform);

/// One whole tick of one core of a `tessera_linear_block`, in one pass with the
/// potentials held in registers: take the active axons from `pending` (clearing it),
/// integrate, then per neuron x = clamp(clamp(v) + leak); it fires when x >= alpha (and
/// loses alpha), saturates at -beta below it. The codes `code_base + neuron` of those that
/// fired go to `out` from `*out_count` on, in ascending order; `*restless` is set to 1
/// when a neuron is left at or beyond a threshold (it changes next tick without input),
/// else 0. A core with no pending axon and `must_step` 0 is skipped: returns -1 and
/// changes nothing. Else returns the synaptic events. `axons` is scratch for the active
/// axons (room for every axon). Same results as the Swift `neuronUpdate` in this mode.
int64_t tessera_step_linear(int version, const tessera_board *board, const tessera_linear_block *block, uint64_t *pending,
                            int must_step, int32_t *potential, int64_t record_base, int32_t code_base, int32_t *out,
                            int64_t *out_count, int32_t *axons, int32_t *restless);

/// Where fired neurons send their spikes: the packed map's destination arrays and what
/// the counters need. A fired code is `core * neurons + neuron`; its destination entry is
/// `dest_start[core]` plus the neuron's rank in its block (the neuron itself where
/// `rank_is_index[block]`, else `rank[block * neurons + neuron]`). Kind 1 is an axon
/// (`dest_target` the core, `dest_index` the axon), kind 2 an output element. `mesh` and
/// `chip` hold (x, y) per core. A spike to an axon sets its bit in `pending`
/// ([slot][core][axon word], `ring` slots; each thread has pending words of its own);
/// when `owner` is set (a board split over processes), `owner[core]` is `workers + q` for
/// a core of process q, and the spike goes to list q instead.
typedef struct {
    const int64_t *dest_start;
    const int32_t *block_of;
    const uint8_t *rank_is_index;
    const int32_t *rank;
    int32_t neurons;
    /// log2(neurons) when it is a power of two, else -1.
    int32_t neuron_shift;
    const uint8_t *dest_kind;
    const int32_t *dest_target;
    const int32_t *dest_index;
    /// NULL when every axon destination's delay is `uniform_delay`.
    const uint8_t *dest_delay;
    int32_t uniform_delay;
    const int32_t *mesh;
    const int32_t *chip;
    const int64_t *bucket_of;
    uint64_t *pending;
    int64_t cores;
    int32_t axon_words;
    int32_t ring;
    const int32_t *owner;
    int32_t workers;
} tessera_routes;

/// Spikes bound for the axons of another process's cores: the target core, and the axon
/// shifted left by 8 with the delay in the low byte.
typedef struct {
    int32_t *core;
    int32_t *axon;
    int64_t count;
    int64_t capacity;
} tessera_spike_list;

/// What resolving counts: packet hops on the mesh, chip crossings, spikes to outputs.
typedef struct {
    int64_t hops;
    int64_t crossings;
    int64_t outputs;
} tessera_route_tally;

/// Resolves fired codes `codes[from ..< n]` (in core order) in the tick whose slot is
/// `now`: each spike to an axon sets the axon's bit in the slot its delay reaches (or goes
/// to `lists[q]` for a core of process q), each spike to an output has its
/// destination entry appended to `outputs` (room for every output neuron), and
/// `bucket_counts[bucket_of[core]]` counts every spike. Stops when a list is full and
/// returns the index of the first spike not resolved (n when all are), so the caller can
/// grow the list and go on from there.
int64_t tessera_resolve(const tessera_routes *routes, const int32_t *codes, int64_t from, int64_t n, int64_t now,
                        tessera_spike_list *lists, int32_t *outputs, int64_t *bucket_counts, tessera_route_tally *tally);

/// Where the emulator's threads meet in a tick: the workers arrive and wait, and the
/// leading thread (worker 0) collects them, may do work of its own while they wait, and
/// releases them. Threads spin (then yield) instead of sleeping, as a tick's phases are
/// shorter than a sleeping thread takes to wake.
typedef struct {
    int64_t arrived;
    int64_t generation;
    int32_t parties;
} tessera_barrier;

void tessera_barrier_init(tessera_barrier *barrier, int parties);
/// A worker other than the leader: arrive, and wait to be released.
void tessera_barrier_arrive_and_wait(tessera_barrier *barrier);
/// The leader: wait until every other worker has arrived.
void tessera_barrier_collect(tessera_barrier *barrier);
/// The leader: let them go on.
void tessera_barrier_release(tessera_barrier *barrier);

/// Returns the heap memory freed so far to the system (glibc's `malloc_trim`; nothing
/// elsewhere). glibc keeps freed small allocations in its arenas, so after a large map's
/// millions of small tables are freed the process would go on holding their pages.
void tessera_release_freed_memory(void);

#endif
