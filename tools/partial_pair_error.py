#!/usr/bin/env python3
"""What a split layer's merge receives from one part, against the part's true sum.

Simulates one part's positive and negative partial-sum neurons with the core's own update
rule (../shared/spec/neurosynaptic-core.md: integrate, fire at the threshold and subtract
it, and below the negative threshold either saturate or, with linear reset, add it back),
driven by random integer currents with a drift of either sign. It prints the merge's error
in steps (theta), as a bias and a mean absolute value, by run length and drift sign, for:

- floor 0:     the net scheme as mapped by default (both neurons from 0, floored at 0);
- floor half:  the same starting at half a step (--partial-rounding);
- wrap half:   both from half a step, negative threshold one step in reset mode, so a
               neuron never floors (not built; docs/mapping.md, "Rounding").

Pure Python, no packages: python3 tools/partial_pair_error.py
"""
import random


def update(v, current, alpha, beta, mode):
    """One tick of a deterministic linear-reset neuron; returns (potential, spiked)."""
    v += current
    if v >= alpha:
        return v - alpha, 1
    if v < -beta:
        return (-beta if mode == "saturate" else v + beta), 0
    return v, 0


def errors(config, theta, ticks, sign, trials=3000, seed=2):
    start_p, start_n, beta, mode = config
    rng = random.Random(seed)
    result = []
    for _ in range(trials):
        drift = sign * rng.uniform(0.05, 1.0) * theta * 0.5
        spread = rng.uniform(0, 1.0) * theta
        vp, vn, count, total = start_p, start_n, 0, 0
        for _ in range(ticks):
            current = int(round(rng.gauss(drift, spread)))
            total += current
            vp, sp = update(vp, current, theta, beta, mode)
            vn, sn = update(vn, -current, theta, beta, mode)
            count += sp - sn
        result.append(theta * count - total)
    return result


def summary(values, theta):
    n = len(values)
    return "bias %+.2f, mean |error| %.2f" % (sum(values) / n / theta, sum(abs(x) for x in values) / n / theta)


def main():
    for theta in (8, 64):
        configs = {
            "floor 0": (0, 0, 0, "saturate"),
            "floor half": (theta // 2, theta // 2, 0, "saturate"),
            "wrap half": (theta // 2, theta // 2, theta, "reset"),
        }
        print(f"theta {theta}")
        for name, config in configs.items():
            rows = []
            for ticks in (8, 32, 64):
                for label, sign in (("up", 1), ("down", -1), ("flat", 0)):
                    rows.append(f"T={ticks} {label}: " + summary(errors(config, theta, ticks, sign), theta))
            print(f"  {name}:\n    " + "\n    ".join(rows))


if __name__ == "__main__":
    main()
