import Hardware
import TesseraSupport

/// A packed core map that passed ``PackedCoreMapValidator`` for `target`. Only validation
/// makes one, and its map cannot be changed afterwards, so what consumes it (the emulator)
/// need not validate again: for the full-size DeepLab that second pass over 764 million
/// destinations took seconds of every run.
///
///     let checked = try ValidatedCoreMap(map, target: target)   // throws with every problem
///     let emulator = try Emulator(validated: checked)
public struct ValidatedCoreMap: Sendable {
    public let map: PackedCoreMap
    public let target: Target

    /// Validates `map` against `target`; the error lists every problem found (up to the
    /// validator's limit), each prefixed with `context` when given (the file's name).
    public init(_ map: PackedCoreMap, target: Target, context: String? = nil) throws(DiagnosticError) {
        let problems = PackedCoreMapValidator.validate(map, target: target)
        guard problems.isEmpty else {
            throw DiagnosticError(problems.map { problem in .error(context.map { "\($0): \(problem)" } ?? problem) })
        }
        self.map = map
        self.target = target
    }

    /// A map validated as a v1 ``CoreMap`` (by ``CoreMapValidator``, whose rules are the
    /// same) and packed afterwards.
    init(packedFromValidated map: CoreMap, target: Target) {
        self.map = PackedCoreMap(map)
        self.target = target
    }
}
