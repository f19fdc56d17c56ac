#ifndef TESSERA_KERNELS_H
#define TESSERA_KERNELS_H

#include <stdint.h>

/// Synaptic integration of one core for one tick, the emulator's inner loop: for each
/// active axon (in the given order), every neuron its crossbar row connects gains the
/// weight of the axon's type. Neurons are held as `lanes` vectors of 8 int32; a record's
/// first `lanes` bytes are its crossbar row (bit k of byte l: neuron 8l + k), an int32 at
/// `fan_out_offset` counts its synapses and a byte at `type_offset` is its axon type.
/// `weights` holds per type `lanes` vectors (or one vector per type when `uniform`), and
/// `mask_table[b]` is byte b spread to 8 lanes of -1 or 0. Sums wrap, as the Swift code's
/// `&+=` does. Returns the synaptic events (the fan-outs added up).
///
/// Chosen once at load time: an AVX2 version where the CPU has it (one 256-bit operation
/// per 8 neurons instead of two 128-bit ones, the accumulators kept in registers), else
/// the same code for baseline x86-64 or any other architecture.
int64_t tessera_integrate(int32_t *potential, int lanes, const uint8_t *records, int64_t record_base, int64_t stride,
                          int64_t fan_out_offset, int64_t type_offset, const int32_t *axons, int count,
                          const int32_t *weights, int uniform, const int32_t *mask_table);

/// Leak and threshold of one core whose neurons share one parameter set in the common mode
/// of converted networks (no leak reversal, linear reset, negative side saturating at
/// -beta), the emulator's second phase: per neuron x = clamp(clamp(v) + leak); it fires
/// when x >= alpha (and loses alpha), saturates at -beta below it; clamp is to low..high.
/// `enabled` is one mask vector per lane (NULL: every neuron). The codes
/// `code_base + neuron` of those that fired go to `out` from `*out_count` on, in ascending
/// order. Returns 1 when a neuron is left at or beyond a threshold (it changes next tick
/// without input), else 0. Same results as the Swift `neuronUpdate` in these modes, lane for
/// lane.
int tessera_linear_update(int32_t *potential, int lanes, int32_t low, int32_t high, int32_t leak, int32_t alpha, int32_t beta,
                          const int32_t *enabled, int32_t code_base, int32_t *out, int64_t *out_count);

/// Which version ``tessera_integrate`` and ``tessera_linear_update`` run: "avx2" or
/// "baseline".
const char *tessera_integrate_version(void);

/// Selects a version by name ("avx2" or "baseline"); returns 1 if it is available and now
/// in use, else 0. Both give the same results, so tests switch to compare them.
int tessera_kernels_select(const char *name);

#endif
