#include "tessera_kernels.h"
#include <string.h>

// Unsigned lanes: vector sums then wrap, with no undefined behaviour.
typedef uint32_t lane_t __attribute__((vector_size(32), aligned(4)));

// Lanes l0 ..< l0 + N kept in registers (for N = 8, a constant, fully unrolled) while every
// active axon adds to them.
#define INTEGRATE_BLOCK(N)                                                                              \
    lane_t acc[8];                                                                                      \
    for (int j = 0; j < (N); j++) acc[j] = v[l0 + j];                                                   \
    for (int i = 0; i < count; i++) {                                                                   \
        const uint8_t *rec = records + (record_base + axons[i]) * stride;                               \
        int type = rec[type_offset];                                                                    \
        if (uniform) {                                                                                  \
            lane_t weight = w[type];                                                                    \
            for (int j = 0; j < (N); j++) acc[j] += weight & table[rec[l0 + j]];                        \
        } else {                                                                                        \
            const lane_t *weight = w + (int64_t)type * lanes + l0;                                      \
            for (int j = 0; j < (N); j++) acc[j] += weight[j] & table[rec[l0 + j]];                     \
        }                                                                                               \
    }                                                                                                   \
    for (int j = 0; j < (N); j++) v[l0 + j] = acc[j];

// The body of both versions: blocks of up to 8 lanes (64 neurons) stay in registers while
// every active axon adds to them.
#define INTEGRATE_BODY                                                                                  \
    int64_t events = 0;                                                                                 \
    for (int i = 0; i < count; i++) {                                                                   \
        const uint8_t *rec = records + (record_base + axons[i]) * stride;                               \
        int32_t fan_out;                                                                                \
        memcpy(&fan_out, rec + fan_out_offset, sizeof fan_out);                                         \
        events += fan_out;                                                                              \
    }                                                                                                   \
    lane_t *v = (lane_t *)potential;                                                                    \
    const lane_t *table = (const lane_t *)mask_table;                                                   \
    const lane_t *w = (const lane_t *)weights;                                                          \
    for (int l0 = 0; l0 < lanes; l0 += 8) {                                                             \
        if (lanes - l0 >= 8) {                                                                          \
            INTEGRATE_BLOCK(8)                                                                          \
        } else {                                                                                        \
            int n = lanes - l0;                                                                         \
            INTEGRATE_BLOCK(n)                                                                          \
        }                                                                                               \
    }                                                                                                   \
    return events;

#define INTEGRATE_PARAMETERS                                                                            \
    int32_t *potential, int lanes, const uint8_t *records, int64_t record_base, int64_t stride,         \
    int64_t fan_out_offset, int64_t type_offset, const int32_t *axons, int count,                       \
    const int32_t *weights, int uniform, const int32_t *mask_table

static int64_t integrate_baseline(INTEGRATE_PARAMETERS) { INTEGRATE_BODY }

#if defined(__x86_64__)
__attribute__((target("avx2"))) static int64_t integrate_avx2(INTEGRATE_PARAMETERS) { INTEGRATE_BODY }
#endif

typedef int32_t slane_t __attribute__((vector_size(32), aligned(4)));

// Wrapping adds and subtracts (through unsigned lanes) and bitwise selects, as in Swift.
#define WADD(a, b) ((slane_t)((lane_t)(a) + (lane_t)(b)))
#define WSUB(a, b) ((slane_t)((lane_t)(a) - (lane_t)(b)))
#define SELECT(a, b, m) ((a) ^ (((a) ^ (b)) & (m)))
#define CLAMP(x) SELECT(SELECT((x), lo, (slane_t)((x) < lo)), hi, (slane_t)((x) > hi))

#define UPDATE_BODY                                                                                     \
    slane_t *v = (slane_t *)potential;                                                                  \
    const slane_t *en = (const slane_t *)enabled;                                                       \
    slane_t lo = {low, low, low, low, low, low, low, low}, hi = {high, high, high, high, high, high, high, high}; \
    slane_t lk = {leak, leak, leak, leak, leak, leak, leak, leak};                                      \
    slane_t al = {alpha, alpha, alpha, alpha, alpha, alpha, alpha, alpha};                              \
    slane_t zero = {0, 0, 0, 0, 0, 0, 0, 0};                                                            \
    slane_t be = {beta, beta, beta, beta, beta, beta, beta, beta};                                      \
    slane_t one = {1, 1, 1, 1, 1, 1, 1, 1};                                                             \
    slane_t nb = WSUB(zero, be), all = WSUB(zero, one);                                                 \
    slane_t restless = zero;                                                                            \
    int64_t n = *out_count;                                                                             \
    for (int l = 0; l < lanes; l++) {                                                                   \
        slane_t e = en ? en[l] : all;                                                                   \
        slane_t c0 = CLAMP(v[l]);                                                                       \
        slane_t s0 = WADD(c0, lk);                                                                      \
        slane_t x = CLAMP(s0);                                                                          \
        slane_t spike = (slane_t)(x >= al) & e;                                                         \
        slane_t negative = ~spike & (slane_t)(x < nb) & e;                                              \
        slane_t y = SELECT(SELECT(x, WSUB(x, al), spike), nb, negative);                               \
        x = CLAMP(y);                                                                                   \
        restless |= ((slane_t)(x >= al) | (slane_t)(x < nb)) & e;                                       \
        v[l] = x;                                                                                       \
        uint64_t any[4];                                                                                \
        memcpy(any, &spike, sizeof any);                                                                \
        if (any[0] | any[1] | any[2] | any[3]) {                                                        \
            for (int k = 0; k < 8; k++)                                                                 \
                if (spike[k]) out[n++] = code_base + l * 8 + k;                                         \
        }                                                                                               \
    }                                                                                                   \
    *out_count = n;                                                                                     \
    uint64_t r[4];                                                                                      \
    memcpy(r, &restless, sizeof r);                                                                     \
    return (r[0] | r[1] | r[2] | r[3]) != 0;

#define UPDATE_PARAMETERS                                                                               \
    int32_t *potential, int lanes, int32_t low, int32_t high, int32_t leak, int32_t alpha, int32_t beta, \
    const int32_t *enabled, int32_t code_base, int32_t *out, int64_t *out_count

static int update_baseline(UPDATE_PARAMETERS) { UPDATE_BODY }

#if defined(__x86_64__)
__attribute__((target("avx2"))) static int update_avx2(UPDATE_PARAMETERS) { UPDATE_BODY }
#endif

static int (*update_impl)(UPDATE_PARAMETERS) = update_baseline;
static int64_t (*integrate_impl)(INTEGRATE_PARAMETERS) = integrate_baseline;
static const char *integrate_name = "baseline";

// Picked before main runs, so threads only ever read the pointer.
__attribute__((constructor)) static void choose_integrate(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) {
        integrate_impl = integrate_avx2;
        update_impl = update_avx2;
        integrate_name = "avx2";
    }
#endif
}

int64_t tessera_integrate(INTEGRATE_PARAMETERS) {
    return integrate_impl(potential, lanes, records, record_base, stride, fan_out_offset, type_offset, axons, count, weights, uniform,
                          mask_table);
}

const char *tessera_integrate_version(void) { return integrate_name; }

int tessera_linear_update(UPDATE_PARAMETERS) {
    return update_impl(potential, lanes, low, high, leak, alpha, beta, enabled, code_base, out, out_count);
}

int tessera_kernels_select(const char *name) {
    if (strcmp(name, "baseline") == 0) {
        update_impl = update_baseline;
        integrate_impl = integrate_baseline;
        integrate_name = "baseline";
        return 1;
    }
#if defined(__x86_64__)
    if (strcmp(name, "avx2") == 0 && __builtin_cpu_supports("avx2")) {
        update_impl = update_avx2;
        integrate_impl = integrate_avx2;
        integrate_name = "avx2";
        return 1;
    }
#endif
    return 0;
}
