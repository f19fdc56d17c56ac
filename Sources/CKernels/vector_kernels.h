// The integrate and update kernels in eight-neuron vectors, included once per version:
// KERNEL(name) names a function of that version and KERNEL_TARGET is its target
// attribute, so one source gives the baseline and the AVX2 machine code.

// Lanes l0 ..< l0 + N kept in registers (for N = 8, a constant, fully unrolled) while every
// active axon adds to them.
#define INTEGRATE_BLOCK(N)                                                                              \
    lane_t acc[8];                                                                                      \
    for (int j = 0; j < (N); j++) acc[j] = v[l0 + j];                                                   \
    for (int i = 0; i < count; i++) {                                                                   \
        const uint8_t *rec = board->records + (record_base + axons[i]) * board->stride;                 \
        int type = rec[board->type_offset];                                                             \
        if (uniform) {                                                                                  \
            lane_t weight = w[type];                                                                    \
            for (int j = 0; j < (N); j++) acc[j] += weight & table[rec[l0 + j]];                        \
        } else {                                                                                        \
            const lane_t *weight = w + (int64_t)type * lanes + l0;                                      \
            for (int j = 0; j < (N); j++) acc[j] += weight[j] & table[rec[l0 + j]];                     \
        }                                                                                               \
    }                                                                                                   \
    for (int j = 0; j < (N); j++) v[l0 + j] = acc[j];

static KERNEL_TARGET int64_t KERNEL(integrate)(const tessera_board *board, int32_t *potential, int64_t record_base,
                                                const int32_t *axons, int count, const int32_t *weights, int uniform) {
    int64_t events = synaptic_events(board, record_base, axons, count);
    int lanes = board->lanes;
    lane_t *v = (lane_t *)potential;
    const lane_t *table = (const lane_t *)board->mask_table;
    const lane_t *w = (const lane_t *)weights;
    for (int l0 = 0; l0 < lanes; l0 += 8) {
        if (lanes - l0 >= 8) {
            INTEGRATE_BLOCK(8)
        } else {
            int n = lanes - l0;
            INTEGRATE_BLOCK(n)
        }
    }
    return events;
}

#undef INTEGRATE_BLOCK

static KERNEL_TARGET int KERNEL(update)(const tessera_board *board, const tessera_linear_block *block, int32_t *potential,
                                         int32_t code_base, int32_t *out, int64_t *out_count) {
    slane_t *v = (slane_t *)potential;
    const slane_t *en = (const slane_t *)block->enabled;
    int32_t low = board->low, high = board->high, leak = block->leak, alpha = block->alpha, beta = block->beta;
    slane_t lo = {low, low, low, low, low, low, low, low}, hi = {high, high, high, high, high, high, high, high};
    slane_t lk = {leak, leak, leak, leak, leak, leak, leak, leak};
    slane_t al = {alpha, alpha, alpha, alpha, alpha, alpha, alpha, alpha};
    slane_t zero = {0, 0, 0, 0, 0, 0, 0, 0};
    slane_t be = {beta, beta, beta, beta, beta, beta, beta, beta};
    slane_t one = {1, 1, 1, 1, 1, 1, 1, 1};
    slane_t nb = WSUB(zero, be), all = WSUB(zero, one);
    slane_t restless = zero;
    int64_t n = *out_count;
    for (int l = 0; l < board->lanes; l++) {
        slane_t e = en ? en[l] : all;
        slane_t c0 = CLAMP(v[l]);
        slane_t s0 = WADD(c0, lk);
        slane_t x = CLAMP(s0);
        slane_t spike = (slane_t)(x >= al) & e;
        slane_t negative = ~spike & (slane_t)(x < nb) & e;
        slane_t y = SELECT(SELECT(x, WSUB(x, al), spike), nb, negative);
        x = CLAMP(y);
        restless |= ((slane_t)(x >= al) | (slane_t)(x < nb)) & e;
        v[l] = x;
        if (ANY_SET(spike)) {
            for (int k = 0; k < 8; k++)
                if (spike[k]) out[n++] = code_base + l * 8 + k;
        }
    }
    *out_count = n;
    return ANY_SET(restless);
}
