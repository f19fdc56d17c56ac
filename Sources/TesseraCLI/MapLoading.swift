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
func compileNetwork(_ path: String, target name: String?, placement: PlacementStrategy = .auto, nir: NIRSemantics = NIRSemantics()) throws(DiagnosticError) -> (compiled: Compiled, target: Target, name: String) {
    let hardware = try Target.load(name ?? "truenorth")
    let net = try Network.load(path, nir: nir)
    report(net.warnings)
    let converted = try net.convert(net.conversion, calibration: nil, target: hardware).network
    let compiled = try Compiler(try IntegerNetwork.check(converted.graph, target: hardware), options: Compiler.Options(placement: placement)).compile()
    return (compiled, hardware, converted.graph.name)
}
