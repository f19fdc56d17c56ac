/// A position in a text file that a user wrote: the file path as the user gave it,
/// a 1-based line and a 1-based column (counted in Unicode scalars, as libyaml does).
///
/// Every diagnostic about a network or target file carries one, so an editor can jump
/// straight to the offending node: `nets/siam.yaml:12:7`.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}
