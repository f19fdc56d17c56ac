import Emulator
import Hardware
import Mapping
import Reference
import SpikeIR
import TesseraSupport

/// How far each neuron layer of a map fires from the integer reference on the user's own
/// samples: where a split layer's error starts, and how the layers above carry it. Every
/// neuron layer is made an output and the network compiled again with the same options
/// (its cores may differ by output copies; its partial sums are the same). Each sample is
/// shown for `ticks` ticks and the run lasts that plus the map's latency, so that what a
/// split layer holds back by the end is in the error and its extra tick of latency is not.
///
/// ```swift
/// let rows = try LayerRateError.measure(integer, options: options, samples: images, ticks: 32)
/// for row in rows { print(row.layer, row.meanError) }   // spikes per tick, per neuron
/// ```
public struct LayerRateError: Sendable, Equatable {
    public var layer: String
    /// Parts of the layer's fan-in (1: not split).
    public var parts: Int
    /// The reference's spikes per neuron per tick shown.
    public var referenceRate: Double
    /// Mean over neurons and samples of |count(map) - count(reference)| / ticks.
    public var meanError: Double
    /// The same without the absolute value: positive where the map fires more.
    public var bias: Double

    public static func measure(_ network: IntegerNetwork, options: Compiler.Options, samples: [[String: [Double]]], ticks: Int,
                               encoding: InputEncoding = .rate, seed: UInt64 = 1) throws(DiagnosticError) -> [LayerRateError] {
        var graph = network.graph
        let layers = graph.layers.filter { layer in
            if case .input = layer.op { return false }
            return layer.neuron != nil
        }.map(\.name)
        graph.outputs = layers
        let readable = try IntegerNetwork.check(graph, target: network.target)
        let compiled = try Compiler(readable, options: options).compile()
        let parts = Dictionary(compiled.layers.map { ($0.layer, $0.parts) }, uniquingKeysWith: max)
        let run = ticks + (compiled.latencies.map(\.ticks).max() ?? 0)
        let map = compiled.map
        let emulator = try Emulator(map: map, target: network.target)
        let reference = ReferenceSimulator(readable)
        var sums = [String: (error: Double, bias: Double, rate: Double)]()
        for (i, sample) in samples.enumerated() {
            let input: SpikeInput
            do { input = try InputEncoder.encode(sample, ports: map.inputs, encoding: encoding, ticks: ticks, seed: seed, sample: i) } catch {
                throw DiagnosticError("sample \(i): \(error.description)")
            }
            let mapped = emulator.run(input, ticks: run).outputs
            for port in reference.run(input, ticks: run).outputs {
                guard let emulated = mapped.first(where: { $0.name == port.name }), emulated.counts.count == port.counts.count, !port.counts.isEmpty else { continue }
                let scale = Double(port.counts.count * ticks)
                let differences = zip(emulated.counts, port.counts).map { Double($0 - $1) }
                var sum = sums[port.name] ?? (0, 0, 0)
                sum.error += differences.map(abs).reduce(0, +) / scale
                sum.bias += differences.reduce(0, +) / scale
                sum.rate += Double(port.counts.reduce(0, +)) / scale
                sums[port.name] = sum
            }
        }
        let n = Double(max(samples.count, 1))
        return layers.compactMap { name in
            sums[name].map { LayerRateError(layer: name, parts: parts[name] ?? 1, referenceRate: $0.rate / n, meanError: $0.error / n, bias: $0.bias / n) }
        }
    }
}
