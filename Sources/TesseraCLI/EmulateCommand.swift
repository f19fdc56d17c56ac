import ArgumentParser
import Foundation
import Tessera

/// `tessera emulate`: run a core map on the cycle-accurate emulator.
struct EmulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulate",
        abstract: "Run a core map tick by tick on the cycle-accurate chip emulator.",
        discussion: """
        Input spikes come from a spike file (--spikes) or from NumPy tensors with an \
        encoding (--input, --encoding). A tensor with one more leading dimension than the \
        input port is a batch: each sample runs from a reset chip and the output holds one \
        result per sample, with per-port spike counts and the argmax.

        The result (output spikes per port, counts, argmax, and the counters spikes, \
        synapticEvents, hops, chipCrossings, activeCoreTicks) is written as JSON to -o, or \
        to standard output. Formats: docs/coremap-format.md.

        Examples:
          tessera emulate digits.coremap.json --spikes in.json --ticks 64 -o out.json
          tessera emulate digits.coremap.json --input test_x.npy --encoding rate --ticks 64 -o scores.json
        """
    )

    @Argument(help: "The core map (JSON v1).")
    var map: String

    @Option(help: "Input spike file: {\"ticks\": N, \"spikes\": {\"port\": [[tick, index], ...]}}.")
    var spikes: String?

    @Option(name: .customLong("input"), help: "NumPy input tensor, as PATH (the map's only input) or PORT=PATH; repeat for several ports.")
    var inputs: [String] = []

    @Option(help: "How --input values in [0, 1] become spikes: rate, poisson or binary.")
    var encoding: InputEncoding?

    @Option(help: "Number of ticks to run.")
    var ticks: Int

    @Option(help: "Seed of the Poisson encoding.")
    var seed: UInt64 = 0

    @Option(name: .shortAndLong, help: "Write the result JSON here instead of standard output.")
    var output: String?

    @Option(name: .customLong("trace-potentials"), help: "Record the membrane potential of every used neuron of this core after each tick.")
    var traceCore: Int?

    @Option(name: .shortAndLong, help: "Target to validate against (default: the one the map names).")
    var target: String?

    func validate() throws {
        guard ticks >= 0 else { throw ValidationError("--ticks must not be negative") }
        if (spikes == nil) == inputs.isEmpty { throw ValidationError("give either --spikes or --input (with --encoding)") }
        if !inputs.isEmpty && encoding == nil { throw ValidationError("--input needs --encoding rate|poisson|binary") }
    }

    func run() throws {
        do {
            let hardware = try target.map { name throws(DiagnosticError) in try Target.load(name) }
            let coreMap = try CoreMap.load(map, target: hardware)
            let resolved: Target
            if let hardware { resolved = hardware } else { resolved = try Target.load(coreMap.target) }
            if let core = traceCore, !(0..<coreMap.cores.count).contains(core) {
                throw DiagnosticError("--trace-potentials \(core): the map has cores 0..\(coreMap.cores.count - 1)")
            }
            let emulator = try Emulator(map: coreMap, target: resolved)
            let (samples, isBatch) = try inputSamples(coreMap)
            let progress = Progress(total: ticks * samples.count)
            var results: [EmulationResult] = []
            for (k, sample) in samples.enumerated() {
                let offset = k * ticks
                results.append(emulator.run(sample, ticks: ticks, traceCore: traceCore) { progress.show(offset + $0) })
            }
            progress.finish()
            let text = samples.count == 1 && !isBatch ? SpikeFile.json(results[0]) + "\n" : SpikeFile.json(batch: results, ticks: ticks)
            if let output {
                do { try Data(text.utf8).write(to: URL(fileURLWithPath: output)) } catch {
                    throw DiagnosticError("cannot write '\(output)': \(error.localizedDescription)")
                }
                printSummary(results)
            } else {
                print(text, terminator: "")
            }
        } catch let error as DiagnosticError {
            report(error.diagnostics)
            throw ExitCode(1)
        }
    }

    /// The samples to run and whether they came as a batch.
    private func inputSamples(_ map: CoreMap) throws(DiagnosticError) -> ([SpikeInput], Bool) {
        if let spikes { return ([try SpikeFile.readInput(path: spikes, ports: map.inputs)], false) }
        var files: [String: String] = [:]
        for item in inputs {
            if let eq = item.firstIndex(of: "="), !FileManager.default.fileExists(atPath: item) {
                files[String(item[..<eq])] = String(item[item.index(after: eq)...])
            } else {
                guard map.inputs.count == 1, let only = map.inputs.first else {
                    throw DiagnosticError("the map has \(map.inputs.count) inputs (\(map.inputs.map(\.name).joined(separator: ", "))); name them: --input PORT=PATH")
                }
                files[only.name] = item
            }
        }
        let batch = try InputBatch.load(files, ports: map.inputs)
        var samples: [SpikeInput] = []
        for (k, values) in batch.samples.enumerated() {
            do {
                samples.append(try InputEncoder.encode(values, ports: map.inputs, encoding: encoding ?? .rate, ticks: ticks, seed: seed, sample: k))
            } catch {
                throw DiagnosticError("sample \(k): \(error.description)")
            }
        }
        return (samples, batch.isBatch)
    }

    private func printSummary(_ results: [EmulationResult]) {
        for (k, r) in results.enumerated() {
            let ports = r.outputs.map { "\($0.name): \($0.spikes.count) spikes, argmax \($0.argmax.map(String.init) ?? "none")" }.joined(separator: "; ")
            let prefix = results.count > 1 ? "sample \(k): " : ""
            print("\(prefix)\(ports) | spikes \(r.stats.spikes), synaptic events \(r.stats.synapticEvents), hops \(r.stats.hops), chip crossings \(r.stats.chipCrossings), active core-ticks \(r.stats.activeCoreTicks)")
        }
        if let output { print("wrote \(output)") }
    }
}

extension InputEncoding: ExpressibleByArgument {}

/// A one-line progress indicator on standard error, shown only on a terminal.
final class Progress {
    let total: Int
    let enabled: Bool
    var shown = false

    init(total: Int) {
        self.total = total
        enabled = isatty(STDERR_FILENO) == 1 && total > 0
    }

    func show(_ done: Int) {
        guard enabled else { return }
        shown = true
        let text = "\rtick \(done)/\(total) (\(done * 100 / total)%)"
        FileHandle.standardError.write(Data(text.utf8))
    }

    func finish() {
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
