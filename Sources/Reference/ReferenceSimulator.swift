import Emulator
import Hardware
import SpikeIR
import TesseraSupport

/// The IR-level reference: runs an ``IntegerNetwork`` with the integer semantics of the
/// hardware neuron (deterministic modes), one tick per layer hop, so that a compiled core map
/// must produce the same output spikes after the latency it declares.
///
/// Timing: a layer's depth is 1 + the largest depth among the layers it reads through any
/// `flatten`/`concat` (network inputs have depth 0). A layer of depth d integrates in tick
/// t the input spikes injected in tick t - (d - 1), and the spikes a layer of depth e fired
/// in tick t - (d - e): branches of different lengths arrive aligned, as the compiler's
/// delays make them. An output of depth d therefore has latency d - 1.
///
/// A neuron starts at its initial potential less the leak + bias of the d - 1 ticks before
/// its input arrives (``NeuronModel/startingPotential(threshold:leak:late:beta:)``), so that
/// its bias begins with its input, as in a framework whose layers all start in one tick.
///
/// Neuron update per tick, as on the chip: add the synaptic current, saturate to the
/// membrane width; add leak + bias, saturate; if V >= threshold fire and reset (subtract:
/// V - threshold; zero: 0; none: unchanged), else if V < -beta clamp at -beta, with beta the
/// largest negative threshold of the target. A `binary` neuron starts every tick at 0.
public struct ReferenceSimulator: Sendable {
    public let network: IntegerNetwork
    /// Per layer (graph order): its depth; nil for wiring layers (flatten, concat). A layer of
    /// depth d fires, for a spike injected at tick 0, at the earliest in tick d - 1.
    public let depth: [Int?]
    /// Per layer: where each element of its output comes from, as (layer, element).
    let origins: [[(layer: Int, element: Int)]]
    let position: [String: Int]

    public init(_ network: IntegerNetwork) {
        self.network = network
        let layers = network.graph.layers
        let position = Dictionary(uniqueKeysWithValues: layers.enumerated().map { ($1.name, $0) })
        var depth = [Int?](repeating: nil, count: layers.count)
        var origins = [[(layer: Int, element: Int)]](repeating: [], count: layers.count)
        for (k, layer) in layers.enumerated() {
            let count = layer.shape?.count ?? 0
            let inputs = layer.inputs.compactMap { position[$0] }
            switch layer.op {
            case .input:
                depth[k] = 0
                origins[k] = (0..<count).map { (k, $0) }
            case .flatten, .concat:
                // Pure wiring: C x H x W order makes both a concatenation of flat arrays.
                origins[k] = inputs.flatMap { origins[$0] }
            default:
                let sources = Set(inputs.flatMap { origins[$0] }.map(\.layer))
                depth[k] = 1 + (sources.compactMap { depth[$0] }.max() ?? 0)
                origins[k] = (0..<count).map { (k, $0) }
            }
        }
        self.depth = depth
        self.origins = origins
        self.position = position
    }

    /// Ticks from injection to the earliest output spike a layer can produce.
    public func latency(of layer: String) -> Int {
        max((position[layer].flatMap { depth[$0] } ?? 1) - 1, 0)
    }

    public func run(_ input: SpikeInput, ticks: Int) -> EmulationResult {
        simulate(input, ticks: ticks).result
    }

    /// A run and the spikes per neuron per tick of every layer with neurons, by layer name:
    /// the expected traffic the placer weighs routes by (``FiringRates``).
    public func runMeasuringRates(_ input: SpikeInput, ticks: Int) -> (result: EmulationResult, rates: [String: Double]) {
        let (result, counts) = simulate(input, ticks: ticks)
        var rates: [String: Double] = [:]
        for (k, layer) in network.graph.layers.enumerated() where layer.neuron != nil && depth[k] != nil {
            let neurons = layer.shape?.count ?? 0
            rates[layer.name] = neurons == 0 || ticks == 0 ? 0 : Double(counts[k]) / Double(neurons * ticks)
        }
        return (result, rates)
    }

    private func simulate(_ input: SpikeInput, ticks: Int) -> (result: EmulationResult, layerSpikes: [Int]) {
        let layers = network.graph.layers
        let spec = network.target.core
        let (low, high) = (spec.membraneRange.lowerBound, spec.membraneRange.upperBound)
        let beta = CoreSpec.unsignedRange(bits: spec.negThresholdBits).upperBound
        let history = (depth.compactMap { $0 }.max() ?? 0) + 1
        // spikes[layer][t % history][element], potentials[layer][element]
        var spikes = layers.map { Array(repeating: Array(repeating: 0, count: $0.shape?.count ?? 0), count: history) }
        let leaks = layers.map { network.leak(of: $0) }
        let thresholds = layers.map { network.threshold(of: $0) }
        // Each neuron starts at its initial potential, as the chip's reset state holds it, led
        // by the leak it integrates before its input arrives (NeuronModel.startingPotential).
        var potential = layers.enumerated().map { k, layer in
            guard let neuron = layer.neuron, thresholds[k].count == layer.shape?.count, leaks[k].count == thresholds[k].count else {
                return Array(repeating: 0, count: layer.shape?.count ?? 0)
            }
            let late = max((depth[k] ?? 1) - 1, 0)
            return zip(thresholds[k], leaks[k]).map { neuron.startingPotential(threshold: $0, leak: $1, late: late, beta: beta) }
        }
        var injected: [Int: [(Int, Int)]] = [:]
        for (port, events) in input.spikes {
            guard let k = position[port] else { continue }
            for e in events { injected[e.tick, default: []].append((k, e.index)) }
        }
        var outputs = network.graph.outputs.compactMap { name -> (Int, EmulationResult.Port)? in
            guard let k = position[name], let shape = layers[k].shape else { return nil }
            return (k, EmulationResult.Port(name: name, shape: [shape.count], spikes: [], counts: Array(repeating: 0, count: shape.count)))
        }
        var fired = 0
        var layerSpikes = [Int](repeating: 0, count: layers.count)

        for t in 0..<ticks {
            let slot = t % history
            for (k, layer) in layers.enumerated() where layer.op.name == "input" {
                spikes[k][slot] = Array(repeating: 0, count: spikes[k][slot].count)
            }
            for (k, element) in injected[t] ?? [] where spikes[k][slot].indices.contains(element) {
                spikes[k][slot][element] = 1
            }
            for (k, layer) in layers.enumerated() {
                guard let neuron = layer.neuron, let d = depth[k] else { continue }
                // Gather each input's spikes at the aligned tick of its source.
                var inputs: [[Int]] = []
                var shapes: [TensorShape] = []
                for name in layer.inputs {
                    guard let j = position[name] else { continue }
                    inputs.append(origins[j].map { source in
                        let e = depth[source.layer] ?? 0
                        let lag = e == 0 ? d - 1 : d - e
                        return t - lag >= 0 ? spikes[source.layer][(t - lag) % history][source.element] : 0
                    })
                    shapes.append(layers[j].shape ?? TensorShape(0, 0, 0))
                }
                let current = network.current(of: layer, inputs: inputs, shapes: shapes)
                var v = neuron.kind == .binary ? Array(repeating: 0, count: current.count) : potential[k]
                var out = Array(repeating: 0, count: current.count)
                let threshold = thresholds[k]
                for i in v.indices {
                    var x = min(max(v[i] + current[i], low), high)
                    x = min(max(x + leaks[k][i], low), high)
                    if x >= threshold[i] {
                        out[i] = 1
                        switch neuron.reset {
                        case .subtract: x -= threshold[i]
                        case .zero: x = 0
                        case .none: break
                        }
                    } else if x < -beta {
                        x = -beta
                    }
                    v[i] = min(max(x, low), high)
                }
                potential[k] = v
                spikes[k][slot] = out
                let count = out.reduce(0, +)
                fired += count
                layerSpikes[k] += count
            }
            for p in outputs.indices {
                for (i, s) in spikes[outputs[p].0][slot].enumerated() where s != 0 {
                    outputs[p].1.spikes.append(SpikeInput.Event(tick: t, index: i))
                    outputs[p].1.counts[i] += 1
                }
            }
        }
        var stats = EmulationStats()
        stats.spikes = fired
        return (EmulationResult(ticks: ticks, outputs: outputs.map(\.1), stats: stats), layerSpikes)
    }
}
