import Tessera

/// Loads a core map validated against `--target` when given, else against the target the
/// map names, and returns both: what `emulate` and `report` start from.
func loadMap(_ path: String, target name: String?) throws(DiagnosticError) -> (map: CoreMap, target: Target) {
    let hardware = try name.map { name throws(DiagnosticError) in try Target.load(name) }
    let map = try CoreMap.load(path, target: hardware)
    if let hardware { return (map, hardware) }
    return (map, try Target.load(map.target))
}
