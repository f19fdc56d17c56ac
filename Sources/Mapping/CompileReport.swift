import Foundation
import TesseraSupport

/// The compile report `tessera compile --report` writes: per-layer figures, totals,
/// placement and the measured error of any approximation, as JSON with sorted keys (the
/// same compile gives the same bytes, apart from `seconds`).
public struct CompileReport: Codable, Sendable {
    public struct Layer: Codable, Sendable {
        public var layer: String
        public var op: String
        public var neurons: Int
        public var hardwareNeurons: Int
        public var cores: Int
        public var lowerBound: Int
        public var axonsUsed: Int
        public var axonUtilisation: Double
        public var neuronUtilisation: Double
        public var encoding: String
        public var tile: String?
        public var fanIn: Int
        public var parts: Int
        public var partialCores: Int
        public var mergeCores: Int
        public var depth: Int
    }

    public var network: String
    public var target: String
    public var layers: [Layer]
    public var cores: Int
    public var chips: Int
    public var lowerBound: Int
    public var neurons: Int
    public var hardwareNeurons: Int
    public var latency: [String: Int]
    public var placement: [String: Int]
    /// Layers whose fan-in was split (approximated), and the error measured at the outputs.
    public var approximatedLayers: [String]
    public var measuredError: ApproximationError?
    public var seconds: Double

    public init(_ compiled: Compiled, network: String, target: String, error: ApproximationError?, seconds: Double) {
        self.network = network
        self.target = target
        layers = compiled.layers.map {
            Layer(layer: $0.layer, op: $0.op, neurons: $0.neurons, hardwareNeurons: $0.hardwareNeurons, cores: $0.cores,
                  lowerBound: $0.lowerBound, axonsUsed: $0.axonsUsed, axonUtilisation: $0.axonUtilisation,
                  neuronUtilisation: $0.neuronUtilisation, encoding: $0.encoding.description, tile: $0.tile, fanIn: $0.fanIn,
                  parts: $0.parts, partialCores: $0.partialCores, mergeCores: $0.mergeCores, depth: $0.depth)
        }
        cores = compiled.coreCount
        chips = compiled.chipsUsed
        lowerBound = compiled.layers.reduce(0) { $0 + $1.lowerBound }
        neurons = compiled.layers.reduce(0) { $0 + $1.neurons }
        hardwareNeurons = compiled.layers.reduce(0) { $0 + $1.hardwareNeurons }
        latency = Dictionary(compiled.latencies.map { ($0.name, $0.ticks) }, uniquingKeysWith: { a, _ in a })
        let p = compiled.placement
        placement = ["hops": p.hops, "chipCrossings": p.chipCrossings, "rowMajorHops": p.rowMajorHops,
                     "rowMajorChipCrossings": p.rowMajorChipCrossings, "crossingCost": p.crossingCost]
        approximatedLayers = compiled.approximations.map(\.layer)
        measuredError = error
        self.seconds = seconds
    }

    public func save(to path: String) throws(DiagnosticError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try encoder.encode(self).write(to: URL(fileURLWithPath: path))
        } catch {
            throw DiagnosticError("cannot write compile report '\(path)': \(error.localizedDescription)")
        }
    }
}
