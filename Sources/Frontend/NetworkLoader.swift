import Foundation
import SpikeIR
import TesseraSupport

/// Reads a network description (YAML, see `docs/network-format.md`) and its weights into a
/// verified ``SpikeGraph``.
///
/// ```swift
/// let loaded = try NetworkLoader.load(path: "examples/digits-mlp.yaml")
/// print(GraphPrinter.render(loaded.graph))
/// ```
///
/// Every problem in the file is reported in one ``DiagnosticError``, each naming
/// file:line:column.
public enum NetworkLoader {
    public struct Loaded: Sendable {
        /// The verified graph, in topological order with shapes inferred.
        public var graph: SpikeGraph
        public var warnings: [Diagnostic]
        /// The file's `compile:` section (defaults when it has none).
        public var conversion: ConversionSettings
        /// Where the writer's neurons fire unlike the chip's (NIR files; none for YAML).
        public var rules = FiringRules()
    }

    /// Loads a YAML network, or a NIR graph (`.nir`) read with `nir`'s semantics.
    public static func load(path: String, nir: NIRSemantics = NIRSemantics()) throws(DiagnosticError) -> Loaded {
        if isNIR(path) {
            let graph = try NIRReader.read(path: path)
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            let lowered = try NIRLowering.lower(graph, file: path, semantics: nir, name: name)
            return Loaded(graph: lowered.graph, warnings: lowered.warnings,
                          conversion: ConversionSettings(baseDirectory: URL(fileURLWithPath: path).deletingLastPathComponent().path),
                          rules: lowered.rules)
        }
        if isONNX(path) {
            let model = try ONNXModel.read(path: path)
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            let lowered = try ONNXLowering.lower(model, name: name)
            return Loaded(graph: lowered.graph, warnings: lowered.warnings, conversion: onnxConversion(baseDirectory: URL(fileURLWithPath: path).deletingLastPathComponent().path))
        }
        return try load(document: YAMLDocument.load(path: path))
    }

    /// Whether `path` names a NIR file.
    public static func isNIR(_ path: String) -> Bool { path.lowercased().hasSuffix(".nir") }

    /// Whether `path` names an ONNX model.
    public static func isONNX(_ path: String) -> Bool { path.lowercased().hasSuffix(".onnx") }

    /// The conversion an imported ONNX model gets unless the command line says otherwise:
    /// batch norm folded and weights quantised to 8 bits per channel. Threshold balancing
    /// needs the user's calibration samples (`--calibration`), which a model file lacks.
    public static func onnxConversion(baseDirectory: String) -> ConversionSettings {
        ConversionSettings(quantise: ConversionSettings.Quantise(format: .bits(8), granularity: .channel, byDefault: true), baseDirectory: baseDirectory)
    }

    /// Loads from text; `file` names locations and anchors relative weight paths.
    public static func load(yaml text: String, file: String) throws(DiagnosticError) -> Loaded {
        try load(document: YAMLDocument.parse(text, file: file))
    }

    static func load(document: YAMLDocument) throws(DiagnosticError) -> Loaded {
        var reader = YAMLReader(file: document.file)
        guard let file = NetworkFile.read(document, reader: &reader) else {
            throw DiagnosticError(unique(reader.diagnostics.all))
        }
        var builder = GraphBuilder(file: file, reader: reader)
        let (layers, outputs) = builder.build()
        reader = builder.reader
        var graph = SpikeGraph(name: file.name, layers: layers, outputs: outputs)

        // Structure and shapes first: tensors can only be bound once input shapes are known.
        let structural: Verifier.Verified
        do {
            structural = try Verifier.verify(graph, checkParameters: false, checkInterface: false)
        } catch {
            throw DiagnosticError(unique(reader.diagnostics.all + error.diagnostics))
        }
        var binder = WeightBinder(reader: reader, baseDirectory: URL(fileURLWithPath: document.file).deletingLastPathComponent())
        graph.parameters = binder.bind(structural.graph, file: file, weights: builder.weights)
        reader = binder.reader
        try Diagnostics(reader.diagnostics.errors).throwIfErrors()

        do {
            let verified = try Verifier.verify(graph, checkInterface: false)
            let conversion = file.conversion ?? ConversionSettings(baseDirectory: URL(fileURLWithPath: document.file).deletingLastPathComponent().path)
            return Loaded(graph: verified.graph, warnings: unique(reader.diagnostics.warnings + verified.warnings), conversion: conversion)
        } catch {
            throw DiagnosticError(unique(reader.diagnostics.all + error.diagnostics))
        }
    }

    /// Drops repeats (a block's error is found once per instance), sorted by position.
    static func unique(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        return diagnostics.filter { seen.insert($0).inserted }.sorted { a, b in
            guard let la = a.location, let lb = b.location else { return a.location != nil && b.location == nil }
            return (la.file, la.line, la.column) < (lb.file, lb.line, lb.column)
        }
    }
}
