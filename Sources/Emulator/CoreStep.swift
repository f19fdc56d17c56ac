import CPrefetch
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
                let a = k * 64 + bits.trailingZeroBitCount
                axons[count] = Int32(a)
                tessera_prefetch(L.record(core: c, axon: a))
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
        let uniform = L.uniformWeights[c]
        BoardLayout.maskTable.withUnsafeBufferPointer { table in
            for i in 0..<count {
                let record = L.record(core: c, axon: Int(axons[i]))
                events += Int(record.load(fromByteOffset: L.fanOutOffset, as: Int32.self))
                let type = Int(record.load(fromByteOffset: L.typeOffset, as: UInt8.self))
                let row = record.assumingMemoryBound(to: UInt8.self)
                if uniform {
                    let weight = L.typeWeight[c * L.types + type]
                    for l in 0..<lanes { v[l] &+= weight & table[Int(row[l])] }
                } else {
                    let weight = L.weights + (c * L.types + type) * lanes
                    for l in 0..<lanes { v[l] &+= weight[l] & table[Int(row[l])] }
                }
            }
        }
        synapticEvents[w] += events

        // 2-3. Leak and threshold, vector by vector; shared parameters are read once.
        let base = c * lanes
        var stillUnstable = false
        let out = fired[w]
        let everyLane = Mask(repeating: true)
        let allEnabled = L.allEnabled[c]
        // Emits the neurons of lane l that fired.
        @inline(__always) func emit(_ spike: Mask, lane l: Int) {
            guard any(spike) else { return }
            for k in 0..<8 where spike[k] {
                out[firedCount[w]] = Int32(c * L.neurons + l * 8 + k)
                firedCount[w] += 1
            }
        }
        if let shared = L.shared[c] {
            // One parameter set for the whole core, kept in registers.
            let (leak, alpha, beta, r) = (shared.leak, shared.alpha, shared.beta, shared.resetPotential)
            let (reversal, normal, linear, saturate) = (shared.leakReversal, shared.resetNormal, shared.resetLinear, shared.saturate)
            for l in 0..<lanes {
                let (x, spike, restless) = neuronUpdate(v[l], low: low, high: high, leak: leak, alpha: alpha, beta: beta, reset: r, reversal: reversal,
                                                  normal: normal, linear: linear, saturate: saturate,
                                                  enabled: allEnabled ? everyLane : L.enabled[base + l])
                v[l] = x
                stillUnstable = stillUnstable || restless
                emit(spike, lane: l)
            }
        } else {
            for l in 0..<lanes {
                let p = base + l
                let (x, spike, restless) = neuronUpdate(v[l], low: low, high: high, leak: L.leak[p], alpha: L.alpha[p], beta: L.beta[p], reset: L.resetPotential[p],
                                                  reversal: L.leakReversal[p], normal: L.resetNormal[p], linear: L.resetLinear[p],
                                                  saturate: L.saturate[p], enabled: allEnabled ? everyLane : L.enabled[p])
                v[l] = x
                stillUnstable = stillUnstable || restless
                emit(spike, lane: l)
            }
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
        var x = start
        for i in 0..<count {
            let record = L.record(core: c, axon: Int(axons[i]))
            let byte = record.load(fromByteOffset: n.index / 8, as: UInt8.self)
            guard byte >> UInt8(n.index % 8) & 1 == 1 else { continue }
            let g = Int(record.load(fromByteOffset: L.typeOffset, as: UInt8.self))
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

/// Leak, then threshold and reset, for eight deterministic neurons: the new potentials,
/// which fired, and whether any is left at or beyond a threshold (so it changes next tick
/// even without input). A free function so that it is inlined into the core step.
@inline(__always)
func neuronUpdate(_ v: SIMD8<Int32>, low: SIMD8<Int32>, high: SIMD8<Int32>, leak: SIMD8<Int32>, alpha: SIMD8<Int32>,
                  beta: SIMD8<Int32>, reset r: SIMD8<Int32>, reversal: SIMDMask<SIMD8<Int32>>, normal: SIMDMask<SIMD8<Int32>>,
                  linear: SIMDMask<SIMD8<Int32>>, saturate: SIMDMask<SIMD8<Int32>>,
                  enabled: SIMDMask<SIMD8<Int32>>) -> (SIMD8<Int32>, SIMDMask<SIMD8<Int32>>, Bool) {
    @inline(__always) func clamp(_ x: SIMD8<Int32>) -> SIMD8<Int32> {
        x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
    }
    let one = SIMD8<Int32>(repeating: 1), zero = SIMD8<Int32>(repeating: 0)
    var x = clamp(v)
    let sign = zero.replacing(with: one, where: x .> zero).replacing(with: 0 &- one, where: x .< zero)
    let omega = one.replacing(with: sign, where: reversal)
    x = clamp(x &+ omega &* leak)
    let negBeta = 0 &- beta
    let spike = (x .>= alpha) .& enabled
    let negative = (.!spike) .& (x .< negBeta) .& enabled
    let afterSpike = x.replacing(with: r, where: normal).replacing(with: x &- alpha, where: linear)
    let afterNegative = x.replacing(with: 0 &- r, where: normal).replacing(with: x &+ beta, where: linear)
        .replacing(with: negBeta, where: saturate)
    x = clamp(x.replacing(with: afterSpike, where: spike).replacing(with: afterNegative, where: negative))
    let restless = any(((x .>= alpha) .| (x .< negBeta)) .& enabled)
    return (x, spike, restless)
}
