import Foundation
import Placement
import TesseraSupport

/// The compile report `tessera compile --report` writes: per-layer figures, totals,
/// placement and the measured error of any approximation, as JSON with sorted keys (the
/// same compile gives the same bytes, apart from `seconds`).
public struct CompileReport: Encodable, Sendable {
    public var network: String
    public var target: String
    public var layers: [LayerReport]
    public var cores: Int
    public var chips: Int
    public var lowerBound: Int
    /// The sum of the layers' tight bounds (``LayerReport/tightBound``).
    public var tightBound: Int
    public var neurons: Int
    public var hardwareNeurons: Int
    public var latency: [String: Int]
    public var placement: PlacementReport
    /// Relay cores and the routes they carry (delays the hardware cannot give directly).
    public var relays: [String: Int]
    /// Layers whose fan-in was split (approximated), and the error measured at the outputs.
    public var approximatedLayers: [String]
    public var measuredError: ApproximationError?
    public var seconds: Double

    public init(_ compiled: Compiled, network: String, target: String, error: ApproximationError?, seconds: Double) {
        self.network = network
        self.target = target
        layers = compiled.layers
        cores = compiled.coreCount
        chips = compiled.chipsUsed
        lowerBound = compiled.layers.reduce(0) { $0 + $1.lowerBound }
        tightBound = compiled.layers.reduce(0) { $0 + $1.tightBound }
        neurons = compiled.layers.reduce(0) { $0 + $1.neurons }
        hardwareNeurons = compiled.layers.reduce(0) { $0 + $1.hardwareNeurons }
        latency = Dictionary(compiled.latencies.map { ($0.name, $0.ticks) }, uniquingKeysWith: { a, _ in a })
        placement = compiled.placement
        relays = ["cores": compiled.relayCores, "routes": compiled.relayedRoutes]
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
