import ArgumentParser
import Foundation
import Tessera

/// The input spikes of `emulate` and `simulate`: a spike file, or NumPy tensors with an
/// encoding (a leading batch dimension gives one sample each).
struct InputOptions: ParsableArguments {
    @Option(help: "Input spike file: {\"ticks\": N, \"spikes\": {\"port\": [[tick, index], ...]}}.")
    var spikes: String?

    @Option(name: .customLong("input"), help: "NumPy input tensor, as PATH (the only input) or PORT=PATH; repeat for several inputs.")
    var inputs: [String] = []

    @Option(help: "How --input values in [0, 1] become spikes: rate, poisson or binary; or events, for tensors that are spikes already, [T, C, H, W] or [N, T, C, H, W] (event cameras).")
    var encoding: InputEncoding?

    @Option(help: "Seed of the Poisson encoding.")
    var seed: UInt64 = 0

    func validate() throws {
        if (spikes == nil) == inputs.isEmpty { throw ValidationError("give either --spikes or --input (with --encoding)") }
        if !inputs.isEmpty && encoding == nil { throw ValidationError("--input needs --encoding rate|poisson|binary|events") }
    }

    /// The samples to run and whether they came as a batch.
    func samples(ports: [InputPort], ticks: Int) throws(DiagnosticError) -> ([SpikeInput], Bool) {
        if let spikes { return ([try SpikeFile.readInput(path: spikes, ports: ports)], false) }
        let files = try namedPaths(inputs, names: ports.map(\.name), option: "--input")
        if encoding == .events { return try Self.events(files, ports: ports, ticks: ticks) }
        let batch = try SampleSet.load(files, ports: ports)
        var samples: [SpikeInput] = []
        for (k, values) in batch.samples.enumerated() {
            do {
                samples.append(try InputEncoder.encode(values, ports: ports, encoding: encoding ?? .rate, ticks: ticks, seed: seed, sample: k))
            } catch {
                throw DiagnosticError("sample \(k): \(error.description)")
            }
        }
        return (samples, batch.isBatch)
    }
}

extension InputOptions {
    /// A network's input layers as the ports its inputs are read for, before any map exists.
    static func ports(of graph: SpikeGraph) -> [InputPort] {
        graph.inputLayers.map { InputPort(name: $0.name, shape: $0.shape.map { [$0.channels, $0.height, $0.width] } ?? [], targets: []) }
    }

    /// Event tensors read as the spikes of each tick (``EventInput``), for a run of `ticks`,
    /// or of the tensors' own T with nil.
    static func events(_ files: [String: String], ports: [InputPort], ticks: Int?) throws(DiagnosticError) -> ([SpikeInput], Bool) {
        var tensors: [String: (shape: [Int], values: [Double])] = [:]
        for (name, path) in files {
            guard ports.contains(where: { $0.name == name }) else {
                throw DiagnosticError("'\(name)' is not an input; inputs: \(ports.map(\.name).joined(separator: ", "))")
            }
            do {
                let t = try NPYFile.read(path: path)
                tensors[name] = (t.shape, t.values)
            } catch {
                throw DiagnosticError("\(path): \(error.message)")
            }
        }
        do {
            let s = try EventInput.samples(tensors, ports: ports, ticks: ticks)
            if s.clipped > 0 { FileHandle.standardError.write(Data("note: \(s.clipped) events counted more than 1 spike in a tick; an input axon takes one spike per tick, so each is one spike\n".utf8)) }
            if s.dropped > 0 { FileHandle.standardError.write(Data("note: \(s.dropped) events fall after the run's \(ticks ?? 0) ticks and are left out\n".utf8)) }
            return (s.inputs, s.isBatch)
        } catch {
            throw DiagnosticError(error.description)
        }
    }
}

extension InputEncoding: ExpressibleByArgument {}

/// Writes results as JSON to `output` (with a summary on standard output) or to standard output.
func writeResults(_ results: [EmulationResult], isBatch: Bool, ticks: Int, to output: String?, withStats: Bool = true) throws(DiagnosticError) {
    guard let output else {
        print(SpikeFile.json(results, isBatch: isBatch, ticks: ticks, withStats: withStats), terminator: "")
        return
    }
    try SpikeFile.write(results, isBatch: isBatch, ticks: ticks, withStats: withStats, to: output)
    for (k, r) in results.enumerated() {
        var summaries = r.outputs.map { "\($0.name): \($0.spikes.count) spikes, argmax \($0.argmax.map(String.init) ?? "none")" }
        summaries += signedArgmaxes(r.outputs).map { "\($0.name) signed: argmax \($0.argmax.map(String.init) ?? "none")" }
        let ports = summaries.joined(separator: "; ")
        let prefix = results.count > 1 ? "sample \(k): " : ""
        let stats = withStats ? " | spikes \(r.stats.spikes), synaptic events \(r.stats.synapticEvents), hops \(r.stats.hops), chip crossings \(r.stats.chipCrossings), active core-ticks \(r.stats.activeCoreTicks)" : ""
        print("\(prefix)\(ports)\(stats)")
    }
    print("wrote \(output)")
}

/// For each output read signed (a port beside its negative half, ``OutputPort/negativeSuffix``),
/// the element whose positive count minus negative count is largest; nil where all are equal.
func signedArgmaxes(_ ports: [EmulationResult.Port]) -> [(name: String, argmax: Int?)] {
    let byName = Dictionary(ports.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    return ports.compactMap { port in
        guard let negative = byName[OutputPort.negativeName(of: port.name)], negative.counts.count == port.counts.count else { return nil }
        let scores = zip(port.counts, negative.counts).map { $0 - $1 }
        guard let best = scores.max(), let worst = scores.min(), best > worst else { return (port.name, nil) }
        return (port.name, scores.firstIndex(of: best))
    }
}

/// `NAME=PATH` items (or one bare path when there is a single name) as a name-to-path table,
/// for `--input`, `--calibration` and `--images`.
func namedPaths(_ items: [String], names: [String], option: String) throws(DiagnosticError) -> [String: String] {
    var files: [String: String] = [:]
    for item in items {
        if let eq = item.firstIndex(of: "="), !FileManager.default.fileExists(atPath: item) {
            files[String(item[..<eq])] = String(item[item.index(after: eq)...])
        } else {
            guard names.count == 1, let only = names.first else {
                throw DiagnosticError("there are \(names.count) inputs (\(names.joined(separator: ", "))); name them: \(option) NAME=PATH")
            }
            files[only] = item
        }
    }
    return files
}
