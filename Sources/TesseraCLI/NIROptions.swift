import ArgumentParser
import Tessera

/// `--from` and `--dt`: how a `.nir` file's neurons step in discrete time (NIR stores no
/// time step, reset mode or comparison; docs/nir.md gives each reading's equations).
struct NIROptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("For a .nir file: whose discrete reading to follow: nir (forward Euler, reset to v_reset, fires at v > threshold; LIF needs --dt), snntorch (dt 1e-4, subtract reset), sinabs (tau in steps, subtract reset, fires at v >= threshold) or norse (dt 1e-3, reset to v_reset).", valueName: "writer"))
    var from: NIRSemantics.Writer = .nir

    @Option(name: .long, help: ArgumentHelp("For a .nir file: the time step, in the unit of the file's tau (the writer's default otherwise).", valueName: "seconds"))
    var dt: Double?

    @Option(name: .long, help: ArgumentHelp("For a .nir file: the reset, which NIR files do not record (snnTorch's exporter writes v_reset = 0 for every reset mechanism): subtract or zero (default: the writer's).", valueName: "mode"))
    var reset: NeuronModel.Reset?

    func validate() throws {
        if reset == NeuronModel.Reset.none { throw ValidationError("--reset takes subtract or zero") }
        if let dt, !(dt > 0 && dt.isFinite) { throw ValidationError("--dt must be a positive number (got \(dt))") }
    }

    var semantics: NIRSemantics { NIRSemantics(writer: from, dt: dt, reset: reset) }
}

extension NIRSemantics.Writer: ExpressibleByArgument {}
extension NeuronModel.Reset: ExpressibleByArgument {}
