/// One message for the user: an error, a warning or a note, where it is, and what was expected.
///
/// Rendered in the form compilers and editors understand:
/// `net.yaml:7:5: error: unknown op 'conv3d'; did you mean 'conv2d'?`
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable {
        /// `note`: what the user should know about a result that is not wrong, such as the
        /// layout a count assumed.
        case error, warning, note
    }

    public var severity: Severity
    public var message: String
    public var location: SourceLocation?

    public init(_ severity: Severity, _ message: String, at location: SourceLocation? = nil) {
        self.severity = severity
        self.message = message
        self.location = location
    }

    public static func error(_ message: String, at location: SourceLocation? = nil) -> Diagnostic {
        Diagnostic(.error, message, at: location)
    }

    public static func warning(_ message: String, at location: SourceLocation? = nil) -> Diagnostic {
        Diagnostic(.warning, message, at: location)
    }

    public var description: String {
        let prefix = location.map { "\($0): " } ?? ""
        return "\(prefix)\(severity.rawValue): \(message)"
    }
}

/// An ordered collection of diagnostics gathered while reading or checking one input,
/// so that every problem in a file is reported in one run rather than one per run.
public struct Diagnostics: Sendable, Sequence {
    public private(set) var all: [Diagnostic] = []

    public init() {}

    public mutating func error(_ message: String, at location: SourceLocation?) {
        all.append(.error(message, at: location))
    }

    public mutating func warning(_ message: String, at location: SourceLocation?) {
        all.append(.warning(message, at: location))
    }

    public mutating func append(_ diagnostic: Diagnostic) { all.append(diagnostic) }

    public mutating func append(contentsOf other: Diagnostics) { all.append(contentsOf: other.all) }

    public var hasErrors: Bool { all.contains { $0.severity == .error } }
    public var errors: [Diagnostic] { all.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { all.filter { $0.severity == .warning } }

    public func makeIterator() -> IndexingIterator<[Diagnostic]> { all.makeIterator() }

    /// Throws the collected diagnostics as a ``DiagnosticError`` if any of them is an error.
    public func throwIfErrors() throws(DiagnosticError) {
        if hasErrors { throw DiagnosticError(all) }
    }
}

/// The error thrown when an input is rejected: all its diagnostics, errors and warnings,
/// in the order they were found. Its description is one diagnostic per line.
public struct DiagnosticError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public init(_ message: String, at location: SourceLocation? = nil) {
        self.diagnostics = [.error(message, at: location)]
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

extension Diagnostics {
    public init(_ diagnostics: [Diagnostic]) {
        self.init()
        for d in diagnostics { append(d) }
    }
}
