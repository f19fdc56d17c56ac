import Emulator
import SpikeIR

/// The float reference: runs a network's spiking layers in double precision, every layer in
/// the same tick, as training frameworks step (snnTorch, Sinabs, Norse call each layer once
/// per time step, in order). Weights, thresholds and decays are used as the graph holds them,
/// unquantised, and ``FiringRules`` carries the framework's firing rules where they differ
/// from the chip's. So an imported network is checked against its framework apart from
/// quantisation and from the chip's one-tick-per-layer timing (``ReferenceSimulator``).
///
///     let net = try Network.load("model.nir", nir: NIRSemantics(writer: .snntorch))
///     let sim = FloatSimulator(net.graph, rules: net.rules)
///     let result = sim.run(input, ticks: 20)      // output spikes from tick 0, no latency
///
/// Every potential starts at its layer's initial potential (``NeuronModel/initialFraction``
/// times the threshold, exactly). Neuron update per tick, for every element: v = decay·v +
/// current + leak + bias (decay 1 when the layer has none; a `binary` neuron starts every
/// tick at 0); fire if v >= θ (v > θ for the rules' strict layers); then reset: zero sets
/// v = 0, subtract v -= θ (for the delayed layers θ is taken off after the next tick's decay
/// instead), none keeps v. Nothing
/// saturates and the potential has no floor. An avgpool layer averages (its sum divided by
/// the window's area; with `averagesPools` off, the sum as on the chip); every other op is
/// ``LayerKernel``'s.
public struct FloatSimulator: Sendable {
    public let graph: SpikeGraph
    public let rules: FiringRules
    let position: [String: Int]
    /// Per layer: float parameters by suffix (`weight`, `bias`).
    let parameters: [[String: [Double]]]

    /// Whether an avgpool layer divides its sum by the window (a framework's average
    /// pooling), or adds the spikes in its window with weight 1 as the chip does (conversion
    /// puts the window in its threshold).
    public let averagesPools: Bool

    public init(_ graph: SpikeGraph, rules: FiringRules = FiringRules(), averagesPools: Bool = true) {
        self.graph = graph
        self.rules = rules
        self.averagesPools = averagesPools
        position = Dictionary(graph.layers.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        parameters = graph.layers.map { layer in
            guard let key = layer.parameterKey else { return [:] }
            var found: [String: [Double]] = [:]
            for suffix in ["weight", "bias", "template"] {
                if let t = graph.parameters.tensor("\(key).\(suffix)") { found[suffix] = t.values }
            }
            return found
        }
    }

    /// Output spikes per port, in the ``EmulationResult`` form the other simulators use.
    public func run(_ input: SpikeInput, ticks: Int) -> EmulationResult {
        let record = Set(graph.outputs)
        let spikes = simulate(input, ticks: ticks, recording: record)
        var fired = 0
        let outputs = graph.outputs.compactMap { name -> EmulationResult.Port? in
            guard let perTick = spikes[name], let count = graph.layer(named: name)?.shape?.count else { return nil }
            var port = EmulationResult.Port(name: name, shape: [count], spikes: [], counts: Array(repeating: 0, count: count))
            for (t, out) in perTick.enumerated() {
                for (i, s) in out.enumerated() where s != 0 {
                    port.spikes.append(SpikeInput.Event(tick: t, index: i))
                    port.counts[i] += 1
                    fired += 1
                }
            }
            return port
        }
        var stats = EmulationStats()
        stats.spikes = fired
        return EmulationResult(ticks: ticks, outputs: outputs, stats: stats)
    }

    /// The spikes (0 or 1) of the named layers, per tick, each in C x H x W order.
    public func spikes(of layers: Set<String>, _ input: SpikeInput, ticks: Int) -> [String: [[UInt8]]] {
        simulate(input, ticks: ticks, recording: layers)
    }

    private func simulate(_ input: SpikeInput, ticks: Int, recording: Set<String>) -> [String: [[UInt8]]] {
        let layers = graph.layers
        // values[k]: what layer k emits this tick (spikes, or an input's event counts).
        var values = layers.map { [Double](repeating: 0, count: $0.shape?.count ?? 0) }
        var potential = values
        for (k, layer) in layers.enumerated() where layer.neuron != nil {
            let start = layer.initialPotentials()
            if start.count == potential[k].count { potential[k] = start }
        }
        // Delayed subtract: the threshold each element still owes from last tick's spike.
        var owed = values
        var injected: [Int: [(Int, Int)]] = [:]
        for (port, events) in input.spikes {
            guard let k = position[port] else { continue }
            for e in events where e.tick >= 0 && e.tick < ticks { injected[e.tick, default: []].append((k, e.index)) }
        }
        let thresholds = layers.map { $0.thresholds() }
        let constants = layers.enumerated().map { $1.constants(bias: parameters[$0]["bias"]) }
        var recorded: [String: [[UInt8]]] = [:]
        for t in 0..<ticks {
            for (k, layer) in layers.enumerated() {
                if case .input = layer.op { values[k] = [Double](repeating: 0, count: values[k].count) }
            }
            for (k, element) in injected[t] ?? [] where values[k].indices.contains(element) {
                values[k][element] += 1
            }
            for (k, layer) in layers.enumerated() {
                switch layer.op {
                case .input:
                    continue
                case .flatten, .concat:
                    values[k] = layer.inputs.compactMap { position[$0] }.flatMap { values[$0] }
                    continue
                default:
                    break
                }
                guard let neuron = layer.neuron else { continue }
                let sources = layer.inputs.compactMap { position[$0] }
                var current = LayerKernel.apply(layer, inputs: sources.map { values[$0] }, shapes: sources.map { layers[$0].shape ?? TensorShape(0, 0, 0) }) {
                    parameters[k][$0]
                }
                if case let .avgpool(pool) = layer.op, averagesPools {
                    let area = Double(pool.vertical.kernel * pool.horizontal.kernel)
                    current = current.map { $0 / area }
                }
                let decay = neuron.decay ?? 1
                let strict = rules.strict.contains(layer.name), delayed = rules.delayedSubtract.contains(layer.name)
                var v = potential[k], out = [Double](repeating: 0, count: current.count)
                for i in current.indices {
                    let start = neuron.kind == .binary ? 0 : decay * v[i] - owed[k][i]
                    var x = start + current[i] + constants[k][i]
                    owed[k][i] = 0
                    let theta = thresholds[k][i]
                    if strict ? x > theta : x >= theta {
                        out[i] = 1
                        switch neuron.reset {
                        case .subtract: if delayed { owed[k][i] = theta } else { x -= theta }
                        case .zero: x = 0
                        case .none: break
                        }
                    }
                    v[i] = x
                }
                potential[k] = v
                values[k] = out
            }
            for name in recording {
                guard let k = position[name] else { continue }
                recorded[name, default: []].append(values[k].map { $0 != 0 ? 1 : 0 })
            }
        }
        return recorded
    }
}
