import Emulator
import Foundation
import SpikeIR
import TesseraSupport

/// Spikes per neuron per tick of each layer: the expected traffic the placer weighs a
/// route by (a route costs energy per spike, not per axon).
///
/// Measured by the reference simulator, either on the user's own input (`tessera simulate
/// ... --rates R.json`, read back by `tessera compile --rates R.json`) or, by default, on
/// seeded random rate-coded input (``measure(_:ticks:seed:budget:)``).
///
///     let rates = FiringRates.measure(network)          // nil when too large to simulate
///     let rates = try FiringRates.load(path: "siam.rates.json", graph: graph)
public struct FiringRates: Sendable, Equatable {
    /// By layer name; layers without neurons are absent.
    public var rates: [String: Double]
    /// Where the rates came from, for the compile report.
    public var source: String

    public init(rates: [String: Double], source: String) {
        self.rates = rates
        self.source = source
    }

    /// Rates from `ticks` ticks of seeded random rate-coded input, or nil when the run would
    /// cost more than `budget` synaptic operations (a network too large to simulate at
    /// compile time; the placer then weighs every axon alike).
    public static func measure(_ network: IntegerNetwork, ticks: Int = 64, seed: UInt64 = 1,
                               budget: Int = 1_000_000_000) -> FiringRates? {
        let synapses = GraphSummary(network.graph).total.synapses
        guard synapses * ticks <= budget else { return nil }
        let stimulus = randomStimulus(network.graph, ticks: ticks, seed: seed)
        let rates = ReferenceSimulator(network).runMeasuringRates(stimulus, ticks: ticks).rates
        return FiringRates(rates: rates, source: "reference run, \(ticks) ticks of random rate-coded input (seed \(seed))")
    }

    /// The mean rate of ``randomStimulus(_:ticks:seed:length:)``'s inputs (each element's
    /// rate is uniform in 0...1): what the measured and estimated rates assume for inputs.
    public static let randomInputRate = 0.5

    /// Every input element gets a rate drawn uniformly from 0...1 and spikes with it each
    /// tick, seeded: the stimulus of the compile-time measurements.
    public static func randomStimulus(_ graph: SpikeGraph, ticks: Int, seed: UInt64, length: Int? = nil) -> SpikeInput {
        var random = SeededRandom(seed: seed)
        var spikes: [String: [SpikeInput.Event]] = [:]
        for input in graph.inputLayers {
            let count = input.shape?.count ?? 0
            let rates = (0..<count).map { _ in random.nextUnit() }
            var events: [SpikeInput.Event] = []
            for t in 0..<ticks {
                for i in 0..<count where random.nextUnit() < rates[i] { events.append(SpikeInput.Event(tick: t, index: i)) }
            }
            spikes[input.name] = events
        }
        return SpikeInput(ticks: length ?? ticks, spikes: spikes)
    }

    /// Reads a rates file: `rates:` maps layer names to spikes per neuron per tick (0...1);
    /// `source:` is optional. Unknown layers and rates outside 0...1 are errors at their
    /// line and column; layers the file leaves out are weighed by the mean of those given.
    public static func load(path: String, graph: SpikeGraph) throws(DiagnosticError) -> FiringRates {
        try load(path: path, layers: graph.layers.filter { $0.neuron != nil }.map(\.name))
    }

    /// Reads a rates file whose layers must be among `layers` (e.g. a core map's labels).
    public static func load(path: String, layers: [String]) throws(DiagnosticError) -> FiringRates {
        let document = try YAMLDocument.load(path: path)
        var reader = YAMLReader(file: path)
        let names = Set(layers)
        var rates: [String: Double] = [:]
        var source = "rates file \(path)"
        if let top = reader.mapping(document.root, what: "rates file", allowed: ["rates", "source"]) {
            if let node = top["source"], let text = reader.string(node, what: "source") { source = "\(text) (\(path))" }
            if let node = top["rates"], let entries = reader.table(node, what: "rates") {
                for entry in entries {
                    guard names.contains(entry.key) else {
                        reader.error("no layer with neurons named '\(entry.key)'\(Suggestion.hint(for: entry.key, among: names))", at: entry.keyNode)
                        continue
                    }
                    if let rate = reader.double(entry.value, what: "rate of '\(entry.key)'", atLeast: 0, atMost: 1) { rates[entry.key] = rate }
                }
            } else if top["rates"] == nil {
                reader.error("a rates file needs 'rates:', a map from layer name to spikes per neuron per tick", at: document.root)
            }
        }
        try reader.diagnostics.throwIfErrors()
        return FiringRates(rates: rates, source: source)
    }

    /// Writes `{"rates": {...}, "source": ...}` with sorted keys (deterministic bytes).
    public func save(to path: String) throws(DiagnosticError) {
        let body: [String: Any] = ["rates": rates, "source": source]
        do {
            let data = try JSONSerialization.data(withJSONObject: body, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: path))
        } catch {
            throw DiagnosticError("cannot write rates file '\(path)': \(error.localizedDescription)")
        }
    }

    /// The rate the placer uses for a layer: its own, else the mean of the known rates
    /// (else 1: every axon weighs alike).
    public func rate(of layer: String) -> Double {
        rates[layer] ?? meanRate
    }

    /// The mean of the rates given (1 when none), summed in name order so the same file
    /// gives the same bits whatever the dictionary's order.
    public var meanRate: Double {
        rates.isEmpty ? 1 : rates.sorted { $0.key < $1.key }.reduce(0) { $0 + $1.value } / Double(rates.count)
    }
}
