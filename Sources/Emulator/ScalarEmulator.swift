import CoreMap
import Hardware

/// The plain reference: the neuron update of `shared/spec/neurosynaptic-core.md` written
/// out loop by loop in 64-bit integers, with no vectors, bit tricks or threads. The fast
/// ``Emulator`` must equal it tick for tick and potential for potential; it is also the
/// baseline `make bench` measures against. Do not optimise it.
public struct ScalarEmulator {
    public let map: CoreMap
    public let target: Target

    public init(map: CoreMap, target: Target) {
        self.map = map
        self.target = target
    }

    public func run(_ input: SpikeInput, ticks: Int, traceCore: Int? = nil) -> EmulationResult {
        let spec = target.core
        let membrane = spec.membraneRange
        let randomMask = UInt32(truncatingIfNeeded: (UInt64(1) << UInt64(spec.randomBits)) - 1)
        let ring = target.timing.delays.upperBound + 1
        let cores = map.cores
        // State: potentials of used neurons, one PRNG per core, pending axon spikes by tick.
        var potential = cores.map { $0.neurons.map(\.initialPotential) }
        var prng = cores.map { CorePRNG(seed: $0.seed) }
        var pending = Array(repeating: Array(repeating: Set<Int>(), count: cores.count), count: ring)
        var stats = EmulationStats()
        var outputs = map.outputs.map { EmulationResult.Port(name: $0.name, shape: $0.shape, spikes: [], counts: Array(repeating: 0, count: $0.count)) }
        let outputIndex = Dictionary(uniqueKeysWithValues: map.outputs.enumerated().map { ($1.name, $0) })
        let buckets = LayerSpikes.buckets(map)
        var layerSpikes = LayerSpikes(names: buckets.names, perTick: [])
        var trace = traceCore.map { PotentialTrace(core: $0, neurons: cores[$0].neurons.map(\.index), potentials: []) }
        var injected: [Int: [(port: String, index: Int)]] = [:]
        for (port, events) in input.spikes { for e in events { injected[e.tick, default: []].append((port, e.index)) } }
        let ports = Dictionary(uniqueKeysWithValues: map.inputs.map { ($0.name, $0) })

        func clamp(_ v: Int) -> Int { min(max(v, membrane.lowerBound), membrane.upperBound) }
        func sign(_ v: Int) -> Int { v > 0 ? 1 : (v < 0 ? -1 : 0) }

        for t in 0..<ticks {
            let slot = t % ring
            for (port, index) in injected[t] ?? [] {
                for address in ports[port]?.targets[index] ?? [] { pending[slot][address.core].insert(address.axon) }
            }
            var fired: [(core: Int, neuron: NeuronConfig)] = []
            for (c, core) in cores.enumerated() {
                let axons = pending[slot][c].sorted()
                pending[slot][c] = []
                for axon in axons { stats.synapticEvents += core.crossbar.fanOut(of: axon) }
                // A core with no input whose neurons can change on their own is still active.
                let selfDriven = core.neurons.enumerated().contains { k, n in
                    n.leak != 0 || n.isStochastic || potential[c][k] >= n.threshold || potential[c][k] < -n.negThreshold
                }
                if axons.isEmpty && !selfDriven { continue }
                stats.activeCoreTicks += 1
                for (k, n) in core.neurons.enumerated() {
                    var v = potential[c][k]
                    // 1. Synaptic integration.
                    for axon in axons where core.crossbar[axon, n.index] {
                        let g = Int(core.axonTypes[axon])
                        let s = n.weights[g]
                        if !n.stochasticSynapse[g] {
                            v += s
                        } else {
                            let rho = Int(prng[c].draw() & randomMask)
                            v += abs(s) >= rho ? sign(s) : 0
                        }
                    }
                    v = clamp(v)
                    // 2. Leak; with leak reversal it pulls toward zero.
                    let omega = n.leakReversal ? sign(v) : 1
                    if !n.stochasticLeak {
                        v += omega * n.leak
                    } else {
                        let rho = Int(prng[c].draw() & randomMask)
                        v += omega * (abs(n.leak) >= rho ? sign(n.leak) : 0)
                    }
                    v = clamp(v)
                    // 3. Threshold, fire, reset; or the negative threshold.
                    let eta = n.thresholdMask != 0 ? Int(prng[c].draw() & UInt32(truncatingIfNeeded: n.thresholdMask)) : 0
                    let saturate = n.negative == .saturate
                    if v >= n.threshold + eta {
                        fired.append((c, n))
                        switch n.reset {
                        case .normal: v = n.resetPotential
                        case .linear: v -= n.threshold + eta
                        case .none: break
                        }
                    } else if v < -(saturate ? n.negThreshold : n.negThreshold + eta) {
                        if saturate {
                            v = -n.negThreshold
                        } else {
                            switch n.reset {
                            case .normal: v = -n.resetPotential
                            case .linear: v += n.negThreshold + eta
                            case .none: break
                            }
                        }
                    }
                    potential[c][k] = clamp(v)
                }
            }
            // Deliver: a spike fired in tick t with delay d is integrated in tick t + d.
            var perLayer = [Int](repeating: 0, count: buckets.names.count)
            for (c, n) in fired {
                stats.spikes += 1
                perLayer[buckets.ofCore[c]] += 1
                switch n.destination {
                case let .axon(core, axon, delay)?:
                    pending[(t + delay) % ring][core].insert(axon)
                    let a = map.meshPosition(of: c), b = map.meshPosition(of: core)
                    stats.hops += abs(a.x - b.x) + abs(a.y - b.y)
                    stats.chipCrossings += abs(cores[c].chip[0] - cores[core].chip[0]) + abs(cores[c].chip[1] - cores[core].chip[1])
                case let .output(port, index)?:
                    if let p = outputIndex[port] {
                        outputs[p].spikes.append(SpikeInput.Event(tick: t, index: index))
                        outputs[p].counts[index] += 1
                    }
                case nil:
                    break
                }
            }
            layerSpikes.perTick.append(perLayer)
            if let core = traceCore { trace?.potentials.append(potential[core]) }
        }
        for p in outputs.indices { outputs[p].spikes.sort() }
        return EmulationResult(ticks: ticks, outputs: outputs, stats: stats, trace: trace, layerSpikes: layerSpikes)
    }
}
