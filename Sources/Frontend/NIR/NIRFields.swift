import SpikeIR
import TesseraSupport

/// A node's fields read by name, with errors that name the file, the node and the field:
/// what lowering needs from each primitive (NIR 1.0's dataclass fields).
struct NIRFields {
    let file: String
    let node: NIRGraph.Node
    /// The node's path through nested graphs ('sub/lif1').
    let path: String

    var label: String { "\(file): node '\(path)' (\(node.type))" }

    func error(_ field: String, _ message: String) -> DiagnosticError {
        DiagnosticError("\(label) field '\(field)': \(message)")
    }

    /// An array field: its shape and values (row-major).
    func numbers(_ field: String) throws(DiagnosticError) -> (shape: [Int], values: [Double]) {
        switch node.fields[field] {
        case let .numbers(shape, values)?: return (shape, values)
        case .strings?: throw error(field, "is text, not numbers")
        case nil: throw DiagnosticError("\(label): missing field '\(field)' (NIR's \(node.type) has one)")
        }
    }

    func optionalNumbers(_ field: String) throws(DiagnosticError) -> (shape: [Int], values: [Double])? {
        node.fields[field] == nil ? nil : try numbers(field)
    }

    /// An array of shape `shape` exactly.
    func array(_ field: String, shape: [Int]) throws(DiagnosticError) -> [Double] {
        let (s, v) = try numbers(field)
        guard s == shape else { throw error(field, "has shape \(describeShape(s)), expected \(describeShape(shape))") }
        return v
    }

    /// A whole number (stored as int64 or float).
    func integer(_ field: String) throws(DiagnosticError) -> Int {
        let (s, v) = try numbers(field)
        guard v.count == 1, let x = v.first, x == x.rounded(), abs(x) < 1e9 else {
            throw error(field, "is \(describeShape(s)) \(v.prefix(4)), expected one whole number")
        }
        return Int(x)
    }

    /// A per-axis pair (height, width): one number for both, or two.
    func pair(_ field: String, default value: Int? = nil) throws(DiagnosticError) -> (Int, Int) {
        if node.fields[field] == nil, let value { return (value, value) }
        let (s, v) = try numbers(field)
        guard (v.count == 1 || v.count == 2), v.allSatisfy({ $0 == $0.rounded() && abs($0) < 1e9 }) else {
            throw error(field, "is \(describeShape(s)) \(v.prefix(4)), expected one or two whole numbers")
        }
        return v.count == 1 ? (Int(v[0]), Int(v[0])) : (Int(v[0]), Int(v[1]))
    }

    /// A text field ('same', 'valid'), or nil when the field holds numbers.
    func text(_ field: String) -> String? {
        if case let .strings(_, values)? = node.fields[field] { return values.first }
        return nil
    }

    /// One value per channel of a neuron parameter of shape `shape` (channels first): the
    /// IR keeps one value per layer or per channel, so the values must agree within each
    /// channel. A scalar or single value is broadcast.
    func perChannel(_ field: String, shape: [Int], default value: Double? = nil) throws(DiagnosticError) -> [Double] {
        let channels = shape.first ?? 1
        guard let (s, v) = try (value == nil ? numbers(field) : optionalNumbers(field)) else {
            return Array(repeating: value ?? 0, count: channels)
        }
        if v.count == 1 { return Array(repeating: v[0], count: channels) }
        guard s == shape || s.reduce(1, *) == shape.reduce(1, *) else {
            throw error(field, "has shape \(describeShape(s)), but the node's neurons are \(describeShape(shape))")
        }
        let per = max(1, v.count / max(channels, 1))
        var result: [Double] = []
        for c in 0..<channels {
            let slice = v[(c * per)..<((c + 1) * per)]
            guard let first = slice.first, slice.allSatisfy({ $0 == first }) else {
                let i = slice.firstIndex { $0 != slice.first } ?? c * per
                throw error(field, "varies within channel \(c) (element \(i) is \(v[i]), element \(c * per) is \(v[c * per])); Tessera keeps one value per channel")
            }
            result.append(first)
        }
        return result
    }
}
