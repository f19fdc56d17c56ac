import CoreMap

extension RunState {
    /// One tick of one core: integrate, leak, threshold (the three phases of the spec, the
    /// membrane saturating after each), then record what fired.
    @inline(__always)
    func stepCore(_ c: Int, slot: Int, worker w: Int) {
        let words = pending + (slot * L.cores + c) * L.axonWords
        var anyInput = false
        for k in 0..<L.axonWords where words[k] != 0 { anyInput = true; break }
        if !anyInput && !L.selfDriven[c] && !unstable[c] { return }
        activeCores[w] += 1

        // Active axons in ascending order; the slot is cleared for its next use.
        let axons = scratchAxons[w]
        var count = 0
        for k in 0..<L.axonWords {
            var bits = words[k]
            words[k] = 0
            while bits != 0 {
                axons[count] = Int32(k * 64 + bits.trailingZeroBitCount)
                count += 1
                bits &= bits &- 1
            }
        }

        let lanes = L.lanes
        let v = potential + c * lanes
        let stochastic = L.stochastic[c]
        var saved: [Int] = []
        if !stochastic.isEmpty { saved = stochastic.map { Int(v[$0.index / 8][$0.index % 8]) } }

        // 1. Synaptic integration: each active axon adds its type's weight to every neuron
        //    its crossbar row connects, eight neurons per vector through a byte-to-mask table.
        var events = 0
        for i in 0..<count {
            let a = Int(axons[i])
            events += Int(L.fanOut[c * L.axons + a])
            let type = Int(L.axonType[c * L.axons + a])
            let weight = L.weights + (c * L.types + type) * lanes
            let row = L.crossbar + (c * L.axons + a) * lanes
            BoardLayout.maskTable.withUnsafeBufferPointer { table in
                for l in 0..<lanes { v[l] &+= weight[l] & table[Int(row[l])] }
            }
        }
        synapticEvents[w] += events

        // 2-3. Leak and threshold, vector by vector.
        let base = c * lanes
        let one = Lane(repeating: 1), zero = Lane(repeating: 0)
        var stillUnstable = false
        let out = fired[w]
        for l in 0..<lanes {
            let p = base + l
            var x = v[l].clamped(lowerBound: low, upperBound: high)
            let sign = zero.replacing(with: one, where: x .> zero).replacing(with: 0 &- one, where: x .< zero)
            let omega = one.replacing(with: sign, where: L.leakReversal[p])
            x = (x &+ omega &* L.leak[p]).clamped(lowerBound: low, upperBound: high)
            let alpha = L.alpha[p], beta = L.beta[p], r = L.resetPotential[p], enabled = L.enabled[p]
            let spike = (x .>= alpha) .& enabled
            let negative = (.!spike) .& (x .< 0 &- beta) .& enabled
            let afterSpike = x.replacing(with: r, where: L.resetNormal[p]).replacing(with: x &- alpha, where: L.resetLinear[p])
            let afterNegative = x.replacing(with: 0 &- r, where: L.resetNormal[p]).replacing(with: x &+ beta, where: L.resetLinear[p])
                .replacing(with: 0 &- beta, where: L.saturate[p])
            x = x.replacing(with: afterSpike, where: spike).replacing(with: afterNegative, where: negative)
                .clamped(lowerBound: low, upperBound: high)
            v[l] = x
            if any(spike) {
                for k in 0..<8 where spike[k] {
                    out[firedCount[w]] = Int32(c * L.neurons + l * 8 + k)
                    firedCount[w] += 1
                }
            }
            if any(((x .>= alpha) .| (x .< 0 &- beta)) .& enabled) { stillUnstable = true }
        }
        unstable[c] = stillUnstable

        // Stochastic neurons, one by one in ascending order, from their pre-tick potential.
        for (k, n) in stochastic.enumerated() {
            let (potential, spiked) = stepStochastic(n, core: c, potential: saved[k], axons: axons, count: count)
            v[n.index / 8][n.index % 8] = Int32(potential)
            if spiked {
                out[firedCount[w]] = Int32(c * L.neurons + n.index)
                firedCount[w] += 1
            }
        }
    }

    /// The spec's update for one neuron that draws random numbers, in the documented order:
    /// one draw per stochastic synapse event, then one for a stochastic leak, then one for a
    /// nonzero threshold mask.
    func stepStochastic(_ n: NeuronConfig, core c: Int, potential start: Int, axons: UnsafeMutablePointer<Int32>, count: Int) -> (Int, Bool) {
        func clamp(_ x: Int) -> Int { min(max(x, membrane.lowerBound), membrane.upperBound) }
        func sign(_ x: Int) -> Int { x > 0 ? 1 : (x < 0 ? -1 : 0) }
        let lanes = L.lanes
        var x = start
        for i in 0..<count {
            let a = Int(axons[i])
            let byte = L.crossbar[(c * L.axons + a) * lanes + n.index / 8]
            guard byte >> UInt8(n.index % 8) & 1 == 1 else { continue }
            let g = Int(L.axonType[c * L.axons + a])
            let s = n.weights[g]
            if n.stochasticSynapse[g] {
                let rho = Int(prng[c].draw() & randomMask)
                x += abs(s) >= rho ? sign(s) : 0
            } else {
                x += s
            }
        }
        x = clamp(x)
        let omega = n.leakReversal ? sign(x) : 1
        if n.stochasticLeak {
            let rho = Int(prng[c].draw() & randomMask)
            x += omega * (abs(n.leak) >= rho ? sign(n.leak) : 0)
        } else {
            x += omega * n.leak
        }
        x = clamp(x)
        let eta = n.thresholdMask != 0 ? Int(prng[c].draw() & UInt32(truncatingIfNeeded: n.thresholdMask)) : 0
        let saturate = n.negative == .saturate
        var spiked = false
        if x >= n.threshold + eta {
            spiked = true
            switch n.reset {
            case .normal: x = n.resetPotential
            case .linear: x -= n.threshold + eta
            case .none: break
            }
        } else if x < -(saturate ? n.negThreshold : n.negThreshold + eta) {
            if saturate {
                x = -n.negThreshold
            } else {
                switch n.reset {
                case .normal: x = -n.resetPotential
                case .linear: x += n.negThreshold + eta
                case .none: break
                }
            }
        }
        return (clamp(x), spiked)
    }
}
