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

    @Argument(help: "The core map (v2 .npz or JSON v1).")
    var map: String

    @OptionGroup var input: InputOptions

    @Option(help: "Number of ticks to run.")
    var ticks: Int

    @Option(help: ArgumentHelp("Ticks the --input tensors are presented (default: all of --ticks).",
                               discussion: "A frame of 64 ticks read out after the map's latency: --present 64 --ticks 77."))
    var present: Int?

    @Option(name: .shortAndLong, help: "Write the result JSON here instead of standard output.")
    var output: String?

    @Option(name: .customLong("trace-potentials"), help: "Record the membrane potential of every used neuron of this core after each tick.")
    var traceCore: Int?

    @Option(name: .shortAndLong, help: "Target to validate against (default: the one the map names).")
    var target: String?

    @Option(help: ArgumentHelp("Worker threads (default: every CPU, shared among the ranks of one machine under mpirun).",
                               discussion: "The result does not depend on it."))
    var threads: Int?

    @Flag(help: "Print the run's speed to standard error: ticks per second, and under mpirun the time each rank spent exchanging spikes.")
    var timing = false

    func validate() throws {
        guard ticks >= 0 else { throw ValidationError("--ticks must not be negative") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let present, !(0...ticks).contains(present) { throw ValidationError("--present must be in 0...--ticks (\(ticks))") }
    }

    /// The emulator of the map; the loaded map itself is dropped on return, so that only
    /// the emulator's layout (tables, destinations, state) stays in memory while it runs.
    private func prepare() throws(DiagnosticError) -> Emulator {
        let checked = try loadMap(map, target: target)
        if let core = traceCore, !(0..<checked.map.coreCount).contains(core) {
            throw DiagnosticError("--trace-potentials \(core): the map has cores 0..\(checked.map.coreCount - 1)")
        }
        return try Emulator(validated: checked)
    }

    func run() throws {
        // Under `mpirun -np N`, this process is one rank: it steps the cores of its chips and
        // trades spikes with the others every tick; rank 0 writes what a one-process run
        // would (docs/emulator.md, "Over several processes").
        var world: MPIWorld?
        do throws(DiagnosticError) {
            if MPIWorld.launchedByMPI { world = try MPIWorld.start() }
        } catch {
            report(error.diagnostics)
            throw ExitCode(1)
        }
        defer { world?.finish() }
        let speaks = (world?.rank ?? 0) == 0
        do throws(DiagnosticError) {
            let emulator: Emulator
            let samples: [SpikeInput], isBatch: Bool
            do throws(DiagnosticError) {
                emulator = try prepare()
                Emulator.releaseFreedMemory()
                (samples, isBatch) = try input.samples(ports: emulator.header.inputs, ticks: present ?? ticks)
            } catch {
                // Every rank must know before the first exchange, or the others would wait
                // for this one; a failing rank other than 0 says why itself.
                if let world {
                    if world.rank != 0 { report(error.diagnostics) }
                    try world.agree(error.diagnostics.map(\.message).joined(separator: "; "))
                }
                throw error
            }
            try world?.agree(nil)
            // Ranks that share a machine share its CPUs.
            if world != nil, let local = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init), local > 1 {
                emulator.workers = max(1, min(emulator.workers, ProcessInfo.processInfo.activeProcessorCount / local))
            }
            if let threads { emulator.workers = threads }
            let progress = Progress(total: speaks ? ticks * samples.count : 0)
            var results: [EmulationResult] = []
            let clock = ContinuousClock(), start = clock.now
            for (k, sample) in samples.enumerated() {
                let offset = k * ticks
                results.append(emulator.run(sample, ticks: ticks, traceCore: traceCore, exchange: world) { progress.show(offset + $0) })
            }
            progress.finish()
            if timing { reportTiming(clock.now - start, ticks: ticks * samples.count, workers: emulator.workers, world: world) }
            if speaks { try writeResults(results, isBatch: isBatch, ticks: ticks, to: output) }
        } catch {
            if speaks { report(error.diagnostics) }
            throw ExitCode(1)
        }
    }

}

/// `--timing`: the emulation's wall time and ticks per second (on rank 0), and under mpirun
/// every rank's time in the exchanges and bytes sent.
private func reportTiming(_ duration: Duration, ticks: Int, workers: Int, world: MPIWorld?) {
    let seconds = duration.seconds
    let perRank = world.map { w in w.gather([Int32(truncatingIfNeeded: Int(w.exchangeSeconds * 1e6)), Int32(truncatingIfNeeded: w.bytesSent / 1024)]) }
    guard (world?.rank ?? 0) == 0 else { return }
    var line = "timing: \(ticks) ticks in \(String(format: "%.3f", seconds)) s = \(String(format: "%.1f", Double(ticks) / max(seconds, 1e-9))) ticks/s, "
        + "\(workers) worker thread\(workers == 1 ? "" : "s")"
    if let world, let perRank {
        line += " per rank, \(world.ranks) ranks; exchanging spikes: "
            + perRank.enumerated().map { r, v in "rank \(r) \(String(format: "%.3f", Double(v[0]) / 1e6)) s, \(v[1]) KiB sent" }.joined(separator: "; ")
    }
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// A one-line progress indicator on standard error, shown only on a terminal: ticks of an
/// emulation, or the stage of a long compile.
final class Progress: @unchecked Sendable {
    let total: Int
    let enabled: Bool
    var shown = false

    init(total: Int = 0) {
        self.total = total
        enabled = isatty(STDERR_FILENO) == 1
    }

    /// Tick `done` of `total`.
    func show(_ done: Int) {
        guard total > 0 else { return }
        show(text: "tick \(done)/\(total) (\(done * 100 / total)%)")
    }

    func show(text: String) {
        guard enabled else { return }
        shown = true
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
    }

    func finish() {
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        shown = false
    }
}
