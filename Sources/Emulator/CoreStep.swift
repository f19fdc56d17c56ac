import CKernels
import CPrefetch
import CoreMap

extension RunState {
    /// One tick of one core: integrate, leak, threshold (the three phases of the spec, the
    /// membrane saturating after each), then record what fired.
    @inline(__always)
    func stepCore(_ c: Int, slot: Int, worker w: Int) {
        let words = pending + (slot * L.cores + c) * L.axonWords
        // Parameters are the core's shared neuron block's; potentials are the core's own.
        let b = Int(L.blockOf[c])
        let v = potential + c * L.lanes
        if L.isLinear[b] {
            // The common block of compiled layers: the whole tick in one C call, with the
            // potentials in registers (`tessera_step_linear`).
            var restless: Int32 = 0
            let events = tessera_step_linear(kernels, board, L.linear + b, words, L.selfDriven[b] || unstable[c] ? 1 : 0,
                                             UnsafeMutableRawPointer(v).assumingMemoryBound(to: Int32.self),
                                             Int64(L.recordOf[c]) * Int64(L.axons), Int32(c * L.neurons), fired[w].base,
                                             UnsafeMutableRawPointer(tally + w).assumingMemoryBound(to: Int64.self),
                                             scratchAxons[w], &restless)
            guard events >= 0 else { return }
            tally[w].activeCores += 1
            tally[w].synapticEvents += Int(events)
            unstable[c] = restless != 0
            return
        }
        var anyInput = false
        for k in 0..<L.axonWords where words[k] != 0 { anyInput = true; break }
        if !anyInput && !L.selfDriven[b] && !unstable[c] { return }
        tally[w].activeCores += 1

        // Active axons in ascending order; the slot is cleared for its next use.
        let axons = scratchAxons[w]
        var count = 0
        for k in 0..<L.axonWords {
            var bits = words[k]
            words[k] = 0
            while bits != 0 {
                let a = k * 64 + bits.trailingZeroBitCount
                axons[count] = Int32(a)
                count += 1
                bits &= bits &- 1
            }
        }

        let lanes = L.lanes
        let stochastic = L.stochastic[b]
        var saved: [Int] = []
        if !stochastic.isEmpty { saved = stochastic.map { Int(v[$0.index / 8][$0.index % 8]) } }

        // 1. Synaptic integration: each active axon adds its type's weight to every neuron
        //    its crossbar row connects (in C: `tessera_integrate`).
        let uniform = L.uniformWeights[b]
        let weights = uniform ? UnsafeRawPointer(L.typeWeight + b * L.types) : UnsafeRawPointer(L.weights + b * L.types * lanes)
        let events = Int(tessera_integrate(kernels, board, UnsafeMutableRawPointer(v).assumingMemoryBound(to: Int32.self),
                                           Int64(L.recordOf[c]) * Int64(L.axons), axons, Int32(count),
                                           weights.assumingMemoryBound(to: Int32.self), uniform ? 1 : 0))
        tally[w].synapticEvents += events

        // 2-3. Leak and threshold, vector by vector; shared parameters are read once.
        let base = b * lanes
        var stillUnstable = false
        let out = fired[w].base
        let everyLane = Mask(repeating: -1)
        let allEnabled = L.allEnabled[b]
        // Emits the neurons of lane l that fired.
        @inline(__always) func emit(_ spike: Mask, lane l: Int) {
            guard isAnySet(spike) else { return }
            for k in 0..<8 where spike[k] != 0 {
                out[tally[w].fired] = Int32(c * L.neurons + l * 8 + k)
                tally[w].fired += 1
            }
        }
        if let shared = L.shared[b] {
            // One parameter set for the whole core, kept in registers (the common mode
            // without stochastic neurons took the fused C step above).
            let (leak, alpha, beta, r) = (shared.leak, shared.alpha, shared.beta, shared.resetPotential)
            let (reversal, normal, linear, saturate) = (shared.leakReversal, shared.resetNormal, shared.resetLinear, shared.saturate)
            for l in 0..<lanes {
                let enabled = allEnabled ? everyLane : L.enabled[base + l]
                let (x, spike, restless) = neuronUpdate(v[l], low: low, high: high, leak: leak, alpha: alpha, beta: beta, reset: r,
                                                        reversal: reversal, normal: normal, linear: linear, saturate: saturate, enabled: enabled)
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
        stepStochastic(c, worker: w, saved: saved, axons: axons, count: count)
    }

    /// The core's stochastic neurons, one by one in ascending order, from their pre-tick
    /// potentials `saved`.
    @inline(__always)
    func stepStochastic(_ c: Int, worker w: Int, saved: [Int], axons: UnsafeMutablePointer<Int32>, count: Int) {
        let stochastic = L.stochastic[Int(L.blockOf[c])]
        guard !stochastic.isEmpty else { return }
        let v = potential + c * L.lanes
        let out = fired[w].base
        for (k, n) in stochastic.enumerated() {
            let (potential, spiked) = stepStochastic(n, core: c, potential: saved[k], axons: axons, count: count)
            v[n.index / 8][n.index % 8] = Int32(potential)
            if spiked {
                out[tally[w].fired] = Int32(c * L.neurons + n.index)
                tally[w].fired += 1
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

/// Whether any lane of an all-ones-or-zero mask is set.
@inline(__always)
func isAnySet(_ mask: SIMD8<Int32>) -> Bool {
    let words = unsafeBitCast(mask, to: (UInt64, UInt64, UInt64, UInt64).self)
    return words.0 | words.1 | words.2 | words.3 != 0
}

/// `mask ? b : a`, lane by lane, for masks of all ones or zero.
@inline(__always)
func select(_ a: SIMD8<Int32>, _ b: SIMD8<Int32>, _ mask: SIMD8<Int32>) -> SIMD8<Int32> {
    a ^ ((a ^ b) & mask)
}

/// A comparison result as an all-ones-or-zero integer mask.
@inline(__always)
func lanes(_ mask: SIMDMask<SIMD8<Int32>>) -> SIMD8<Int32> {
    unsafeBitCast(mask, to: SIMD8<Int32>.self)
}

/// Leak, then threshold and reset, for eight deterministic neurons: the new potentials,
/// which fired, and whether any is left at or beyond a threshold (so it changes next tick
/// even without input). Written with bitwise selects so that it compiles to plain vector
/// instructions. With `settledOnly` it only answers the last question for `v` as it is.
@inline(__always)
func neuronUpdate(_ v: SIMD8<Int32>, low: SIMD8<Int32>, high: SIMD8<Int32>, leak: SIMD8<Int32>, alpha: SIMD8<Int32>,
                  beta: SIMD8<Int32>, reset r: SIMD8<Int32>, reversal: SIMD8<Int32>, normal: SIMD8<Int32>,
                  linear: SIMD8<Int32>, saturate: SIMD8<Int32>, enabled: SIMD8<Int32>,
                  settledOnly: Bool = false) -> (SIMD8<Int32>, SIMD8<Int32>, Bool) {
    let negBeta = 0 &- beta
    if settledOnly {
        return (v, .zero, isAnySet((lanes(v .>= alpha) | lanes(v .< negBeta)) & enabled))
    }
    @inline(__always) func clamp(_ x: SIMD8<Int32>) -> SIMD8<Int32> {
        select(select(x, low, lanes(x .< low)), high, lanes(x .> high))
    }
    var x = clamp(v)
    // sign(x) is -1, 0 or +1; a true mask lane is -1, so sign = (x < 0) - (x > 0).
    let sign = lanes(x .< .zero) &- lanes(x .> .zero)
    let omega = select(SIMD8<Int32>(repeating: 1), sign, reversal)
    x = clamp(x &+ omega &* leak)
    let spike = lanes(x .>= alpha) & enabled
    let negative = ~spike & lanes(x .< negBeta) & enabled
    let afterSpike = select(select(x, r, normal), x &- alpha, linear)
    let afterNegative = select(select(select(x, 0 &- r, normal), x &+ beta, linear), negBeta, saturate)
    x = clamp(select(select(x, afterSpike, spike), afterNegative, negative))
    let restless = isAnySet((lanes(x .>= alpha) | lanes(x .< negBeta)) & enabled)
    return (x, spike, restless)
}
