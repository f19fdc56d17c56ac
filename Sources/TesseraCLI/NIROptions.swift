import ArgumentParser
import Tessera

/// `--from` and `--dt`: how a `.nir` file's neurons step in discrete time (NIR stores no
/// time step, reset mode or comparison; docs/nir.md gives each reading's equations).
struct NIROptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("For a .nir file: whose discrete reading to follow: nir (forward Euler, reset to v_reset, fires at v > threshold; LIF needs --dt), snntorch (dt 1e-4, subtract reset), sinabs (tau in steps, subtract reset, fires at v >= threshold) or norse (dt 1e-3, reset to v_reset).", valueName: "writer"))
    var from: NIRSemantics.Writer = .nir

    @Option(name: .long, help: ArgumentHelp("For a .nir file: the time step, in the unit of the file's tau (the writer's default otherwise).", valueName: "seconds"))
    var dt: Double?

    func validate() throws {
        if let dt, !(dt > 0 && dt.isFinite) { throw ValidationError("--dt must be a positive number (got \(dt))") }
    }

    var semantics: NIRSemantics { NIRSemantics(writer: from, dt: dt) }
}

extension NIRSemantics.Writer: ExpressibleByArgument {}
