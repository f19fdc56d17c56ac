import Foundation
import Hardware
import TesseraSupport

/// Reads a core map file (JSON v1) and validates it against its target.
///
/// Every problem is reported with the core, neuron or axon concerned and the limit it
/// breaks; the first 50 are kept. A map that parses is then checked by
/// ``CoreMapValidator`` against the target's limits.
public enum CoreMapReader {
    /// Loads `path`; the target is `target` if given, else the bundled target the map names.
    public static func load(path: String, target: Target? = nil) throws(DiagnosticError) -> CoreMap {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DiagnosticError("cannot read core map '\(path)': no such file or not readable")
        }
        return try parse(data, file: path, target: target)
    }

    public static func parse(_ data: Data, file: String, target: Target? = nil) throws(DiagnosticError) -> CoreMap {
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw DiagnosticError("\(file): not valid JSON: \(describe(error))")
        }
        var reader = JSONReader(file: file)
        guard let map = reader.coreMap(json) else { throw DiagnosticError(reader.errors) }
        let resolved: Target
        if let target { resolved = target } else { resolved = try TargetLoader.load(map.target) }
        let problems = CoreMapValidator.validate(map, target: resolved)
        guard problems.isEmpty else {
            throw DiagnosticError(problems.map { .error("\(file): \($0)") })
        }
        return map
    }

    private static func describe(_ error: Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }
}

/// Walks the parsed JSON, converting it to the model and noting each type error with the
/// JSON path of the value.
struct JSONReader {
    let file: String
    var errors: [Diagnostic] = []
    static let limit = 50

    init(file: String) { self.file = file }

    mutating func fail(_ path: String, _ message: String) {
        if errors.count < Self.limit { errors.append(.error("\(file): \(path): \(message)")) }
    }

    mutating func object(_ value: Any?, _ path: String, allowed: Set<String>) -> [String: Any]? {
        guard let object = value as? [String: Any] else {
            fail(path, "expected an object, got \(kind(value))")
            return nil
        }
        for key in object.keys.sorted() where !allowed.contains(key) {
            fail(path, "unknown field '\(key)'\(Suggestion.hint(for: key, among: allowed)); a v1 reader cannot honour it")
        }
        return object
    }

    mutating func array(_ value: Any?, _ path: String) -> [Any]? {
        guard let array = value as? [Any] else {
            fail(path, "expected an array, got \(kind(value))")
            return nil
        }
        return array
    }

    mutating func int(_ value: Any?, _ path: String) -> Int? {
        // JSON numbers arrive as NSNumber; booleans are NSNumbers too and must not pass.
        guard let number = value as? NSNumber, !isBool(number) else {
            fail(path, "expected an integer, got \(kind(value))")
            return nil
        }
        let double = number.doubleValue
        guard double.rounded() == double, abs(double) < 9.0e15 else {
            fail(path, "expected an integer, got \(number)")
            return nil
        }
        return number.intValue
    }

    mutating func bool(_ value: Any?, _ path: String) -> Bool? {
        guard let number = value as? NSNumber, isBool(number) else {
            fail(path, "expected true or false, got \(kind(value))")
            return nil
        }
        return number.boolValue
    }

    mutating func string(_ value: Any?, _ path: String) -> String? {
        guard let string = value as? String else {
            fail(path, "expected a string, got \(kind(value))")
            return nil
        }
        return string
    }

    mutating func ints(_ value: Any?, _ path: String, count: Int? = nil) -> [Int]? {
        guard let items = array(value, path) else { return nil }
        if let count, items.count != count {
            fail(path, "expected \(count) integers, got \(items.count)")
            return nil
        }
        let values = items.enumerated().compactMap { int($0.element, "\(path)[\($0.offset)]") }
        return values.count == items.count ? values : nil
    }

    /// JSON `true`/`false` come back as Foundation's boolean NSNumber subclass.
    func isBool(_ number: NSNumber) -> Bool {
        type(of: number) == Self.booleanType
    }

    static let booleanType: NSNumber.Type = type(of: NSNumber(value: true))

    func kind(_ value: Any?) -> String {
        switch value {
        case nil: "nothing"
        case is NSNull: "null"
        case let n as NSNumber: isBool(n) ? "a boolean" : "the number \(n)"
        case let s as String: "the string \"\(s.prefix(40))\""
        case is [Any]: "an array"
        case is [String: Any]: "an object"
        default: "\(type(of: value!))"
        }
    }
}
