import Frontend
import Hardware
import SpikeIR
import TesseraSupport

/// A network loaded from its YAML description and verified: the entry point of the API.
///
/// ```swift
/// import Tessera
///
/// let net = try Network.load("examples/digits-mlp.yaml")
/// print(net.summary.total.neurons)          // 74
/// print(net.text)                           // the IR, one line per layer
/// let bound = net.coreLowerBound(on: try Target.load("truenorth"))
/// ```
public struct Network: Sendable {
    /// The verified IR graph, layers in topological order with shapes.
    public var graph: SpikeGraph
    /// Non-fatal findings (for example layers that lead to no output).
    public var warnings: [Diagnostic]
    /// The conversion passes the file's `compile:` section asks for (see ``convert(_:calibration:)``).
    public var conversion: ConversionSettings
    /// Where the neurons of the framework that wrote the file fire unlike the chip's (NIR
    /// files): the float reference (``FloatSimulator``) follows them.
    public var rules: FiringRules

    public init(graph: SpikeGraph, warnings: [Diagnostic] = [], conversion: ConversionSettings = ConversionSettings(), rules: FiringRules = FiringRules()) {
        self.graph = graph
        self.warnings = warnings
        self.conversion = conversion
        self.rules = rules
    }

    /// Loads and verifies a network file (YAML, or NIR read with `nir`'s semantics); every
    /// problem found is in the thrown error.
    public static func load(_ path: String, nir: NIRSemantics = NIRSemantics()) throws(DiagnosticError) -> Network {
        let loaded = try NetworkLoader.load(path: path, nir: nir)
        return Network(graph: loaded.graph, warnings: loaded.warnings, conversion: loaded.conversion, rules: loaded.rules)
    }

    /// Loads from YAML text; `file` names locations and anchors relative weight paths.
    public static func load(yaml: String, file: String = "<memory>") throws(DiagnosticError) -> Network {
        let loaded = try NetworkLoader.load(yaml: yaml, file: file)
        return Network(graph: loaded.graph, warnings: loaded.warnings, conversion: loaded.conversion)
    }

    public var summary: GraphSummary { GraphSummary(graph) }

    /// Multiply-accumulates of one forward pass of the float network: the synapses of its
    /// weighted layers (conv2d, transposed conv, dense, xcorr); pooling and add only add.
    public var multiplyAccumulates: Int {
        summary.rows.filter { ["conv2d", "convtranspose2d", "dense", "xcorr"].contains($0.layer.op.name) }.reduce(0) { $0 + $1.cost.synapses }
    }

    /// The IR as text, one line per layer, then totals.
    public var text: String { GraphPrinter.render(graph) }

    /// Output shape of a layer by name (nil if there is no such layer).
    public func shape(of layer: String) -> TensorShape? { graph.layer(named: layer)?.shape }

    /// The fewest cores any mapping onto `target` can use; see ``CoreLowerBound``.
    public func coreLowerBound(on target: Target) -> CoreLowerBound { CoreLowerBound(graph, target: target) }
}

extension Target {
    /// Loads a bundled target by name (`truenorth`, `truenorth-4x4`, `tiny`) or from a path.
    public static func load(_ nameOrPath: String) throws(DiagnosticError) -> Target {
        try TargetLoader.load(nameOrPath)
    }
}
