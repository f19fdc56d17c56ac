import Tessera

/// Loads a core map of either version in packed form, validated against `--target` when
/// given, else against the target the map names, and returns it with that target as the
/// proof of validation (the emulator then does not validate again): what `emulate`,
/// `report` and `render` start from.
func loadMap(_ path: String, target name: String?) throws(DiagnosticError) -> ValidatedCoreMap {
    let hardware = try name.map { name throws(DiagnosticError) in try Target.load(name) }
    return try CoreMapFile.loadValidated(path: path, target: hardware)
}

/// Whether a path names a network file rather than a core map.
func isNetworkFile(_ path: String) -> Bool { path.hasSuffix(".yaml") || path.hasSuffix(".yml") || NetworkLoader.isNIR(path) || NetworkLoader.isONNX(path) }

/// Compiles a network with its own `compile:` settings for `--target` (default truenorth),
/// without writing its map: what `render` and `report` count when a map is too large to write.
/// Split layers get compile's own default partial sums (``CompileCommand/defaultPartialSums``),
/// so the counts are those of the map `tessera compile` starts from; compile's error
/// measurement, which this skips, may still keep another scheme, step or stagger, and a note
/// says so.
func compileNetwork(_ path: String, target name: String?, placement: PlacementStrategy = .auto, nir: NIRSemantics = NIRSemantics()) throws(DiagnosticError) -> (compiled: Compiled, target: Target, name: String) {
    let hardware = try Target.load(name ?? "truenorth")
    let net = try Network.load(path, nir: nir)
    report(net.warnings)
    let converted = try net.convert(net.conversion, calibration: nil, target: hardware).network
    let options = Compiler.Options(placement: placement, partialSums: CompileCommand.defaultPartialSums)
    let compiled = try Compiler(try IntegerNetwork.check(converted.graph, target: hardware), options: options).compile()
    if !compiled.approximations.isEmpty {
        report([Diagnostic(.note, "split layers counted with \(CompileCommand.defaultPartialSums.rawValue) partial sums, as `tessera compile` lays them out before its error measurement (which may keep another scheme, step or stagger: its output says which)")])
    }
    return (compiled, hardware, converted.graph.name)
}
