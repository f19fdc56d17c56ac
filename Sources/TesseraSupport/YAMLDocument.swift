import Foundation
import Yams

/// A parsed YAML file: its root node and the path used to name locations in it.
///
/// Parsing goes through Yams (libyaml) with node marks kept, so every later diagnostic can
/// point at the line and column of the node it is about.
public struct YAMLDocument {
    public let file: String
    public let root: Node

    /// Reads and parses `path`. A missing file, unreadable bytes or a YAML syntax error is
    /// thrown as a diagnostic with the position libyaml reports.
    public static func load(path: String) throws(DiagnosticError) -> YAMLDocument {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DiagnosticError("cannot read file '\(path)': no such file or not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DiagnosticError("file is not valid UTF-8 text", at: SourceLocation(file: path, line: 1, column: 1))
        }
        return try parse(text, file: path)
    }

    /// Parses YAML text; `file` only names locations in diagnostics.
    public static func parse(_ text: String, file: String) throws(DiagnosticError) -> YAMLDocument {
        do {
            guard let root = try Yams.compose(yaml: text) else {
                throw DiagnosticError("the file is empty; expected a YAML mapping", at: SourceLocation(file: file, line: 1, column: 1))
            }
            return YAMLDocument(file: file, root: root)
        } catch let error as DiagnosticError {
            throw error
        } catch let error as YamlError {
            throw DiagnosticError(describe(error, file: file))
        } catch {
            throw DiagnosticError("YAML error: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
        }
    }

    public func location(of node: Node) -> SourceLocation {
        YAMLDocument.location(of: node, in: file)
    }

    static func location(of node: Node, in file: String) -> SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    private static func describe(_ error: YamlError, file: String) -> [Diagnostic] {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        func text(_ problem: String, _ context: YamlError.Context?) -> String {
            guard let context else { return "YAML syntax error: \(problem)" }
            return "YAML syntax error: \(problem) (\(context.text) at \(context.mark.line):\(context.mark.column))"
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            return [.error(text(problem, context), at: at(mark))]
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return [.error("duplicate key \(keys) in a mapping (each key may appear once)", at: at(context.mark))]
        case let .reader(problem, offset, _, yaml):
            return [.error("cannot read YAML: \(problem)", at: lineColumn(ofUTF8Offset: offset ?? 0, in: yaml, file: file))]
        default:
            return [.error("YAML error: \(error)", at: SourceLocation(file: file, line: 1, column: 1))]
        }
    }

    private static func lineColumn(ofUTF8Offset offset: Int, in text: String, file: String) -> SourceLocation {
        var line = 1, column = 1
        for (i, scalar) in text.unicodeScalars.enumerated() where i < offset {
            if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return SourceLocation(file: file, line: line, column: column)
    }
}
