import Yams

/// Typed, located access to the nodes of one YAML document.
///
/// Each accessor either returns the value or records a diagnostic at the node and returns
/// nil, so a reader can walk a whole file and report every problem in it at once.
public struct YAMLReader {
    public let file: String
    public var diagnostics = Diagnostics()

    public init(file: String) { self.file = file }

    public func location(of node: Node) -> SourceLocation {
        YAMLDocument.location(of: node, in: file)
    }

    public mutating func error(_ message: String, at node: Node) {
        diagnostics.error(message, at: location(of: node))
    }

    public mutating func warning(_ message: String, at node: Node) {
        diagnostics.warning(message, at: location(of: node))
    }

    // MARK: Mappings

    /// The node as a mapping whose keys are all in `allowed`. Unknown keys are errors with a
    /// suggestion when one is close. (Repeated keys are rejected by Yams while parsing.)
    public mutating func mapping(_ node: Node, what: String, allowed: [String]) -> YAMLMapping? {
        guard case let .mapping(mapping) = node else {
            error("expected a mapping for \(what), got \(describe(node))", at: node)
            return nil
        }
        var entries: [YAMLMapping.Entry] = []
        for (keyNode, value) in mapping {
            guard case let .scalar(scalar) = keyNode else {
                error("expected a plain key in \(what), got \(describe(keyNode))", at: keyNode)
                continue
            }
            let key = scalar.string
            if !allowed.contains(key) {
                error("unknown key '\(key)' in \(what)\(Suggestion.hint(for: key, among: allowed)); expected one of: \(allowed.joined(separator: ", "))", at: keyNode)
                continue
            }
            entries.append(.init(key: key, keyNode: keyNode, value: value))
        }
        return YAMLMapping(node: node, entries: entries)
    }

    /// The node as a mapping with arbitrary string keys (for example the `inputs:` or
    /// `blocks:` tables, whose keys are user-chosen names), in file order.
    public mutating func table(_ node: Node, what: String) -> [YAMLMapping.Entry]? {
        guard case let .mapping(mapping) = node else {
            error("expected a mapping for \(what), got \(describe(node))", at: node)
            return nil
        }
        var entries: [YAMLMapping.Entry] = []
        for (keyNode, value) in mapping {
            guard case let .scalar(scalar) = keyNode, !scalar.string.isEmpty else {
                error("expected a name as key in \(what), got \(describe(keyNode))", at: keyNode)
                continue
            }
            entries.append(.init(key: scalar.string, keyNode: keyNode, value: value))
        }
        return entries
    }

    public mutating func sequence(_ node: Node, what: String) -> [Node]? {
        guard case let .sequence(sequence) = node else {
            error("expected a list for \(what), got \(describe(node))", at: node)
            return nil
        }
        return Array(sequence)
    }

    // MARK: Scalars

    public mutating func string(_ node: Node, what: String) -> String? {
        guard case let .scalar(scalar) = node, scalar.string != "", node.null == nil || scalar.style != .plain else {
            error("expected a name or text for \(what), got \(describe(node))", at: node)
            return nil
        }
        return scalar.string
    }

    /// A string that must be one of `choices`.
    public mutating func choice(_ node: Node, what: String, among choices: [String]) -> String? {
        guard let value = string(node, what: what) else { return nil }
        guard choices.contains(value) else {
            error("unknown \(what) '\(value)'\(Suggestion.hint(for: value, among: choices)); expected one of: \(choices.joined(separator: ", "))", at: node)
            return nil
        }
        return value
    }

    public mutating func int(_ node: Node, what: String, atLeast minimum: Int? = nil, atMost maximum: Int? = nil) -> Int? {
        guard case .scalar = node, let value = node.int, node.bool == nil else {
            error("expected an integer for \(what), got \(describe(node))", at: node)
            return nil
        }
        if let minimum, value < minimum {
            error("\(what) must be at least \(minimum), got \(value)", at: node)
            return nil
        }
        if let maximum, value > maximum {
            error("\(what) must be at most \(maximum), got \(value)", at: node)
            return nil
        }
        return value
    }

    public mutating func double(_ node: Node, what: String, atLeast minimum: Double? = nil, atMost maximum: Double? = nil) -> Double? {
        guard case .scalar = node, let value = node.float, node.bool == nil, value.isFinite else {
            error("expected a finite number for \(what), got \(describe(node))", at: node)
            return nil
        }
        if let minimum, value < minimum {
            error("\(what) must be at least \(minimum), got \(value)", at: node)
            return nil
        }
        if let maximum, value > maximum {
            error("\(what) must be at most \(maximum), got \(value)", at: node)
            return nil
        }
        return value
    }

    public mutating func bool(_ node: Node, what: String) -> Bool? {
        guard case .scalar = node, let value = node.bool else {
            error("expected true or false for \(what), got \(describe(node))", at: node)
            return nil
        }
        return value
    }

    /// An integer or a list of exactly `count` integers (a kernel size `3` or `[3, 5]`).
    public mutating func ints(_ node: Node, what: String, count: Int, atLeast minimum: Int? = nil, atMost maximum: Int? = nil) -> [Int]? {
        if case .scalar = node {
            return int(node, what: what, atLeast: minimum, atMost: maximum).map { Array(repeating: $0, count: count) }
        }
        guard let items = sequence(node, what: what) else { return nil }
        guard items.count == count else {
            error("expected an integer or a list of \(count) integers for \(what), got \(items.count) items", at: node)
            return nil
        }
        let values = items.compactMap { int($0, what: what, atLeast: minimum, atMost: maximum) }
        return values.count == count ? values : nil
    }

    /// A list of integers of any length, each at least `minimum`.
    public mutating func intList(_ node: Node, what: String, atLeast minimum: Int? = nil) -> [Int]? {
        guard let items = sequence(node, what: what) else { return nil }
        let values = items.compactMap { int($0, what: what, atLeast: minimum) }
        return values.count == items.count ? values : nil
    }

    /// A name or a list of names.
    public mutating func names(_ node: Node, what: String) -> [String]? {
        if case .scalar = node { return string(node, what: what).map { [$0] } }
        guard let items = sequence(node, what: what) else { return nil }
        let values = items.compactMap { string($0, what: what) }
        return values.count == items.count ? values : nil
    }

    /// A short description of a node for "expected X, got Y" messages.
    public func describe(_ node: Node) -> String {
        switch node {
        case let .scalar(scalar):
            if node.null != nil && scalar.style == .plain { return "nothing (null)" }
            return "'\(scalar.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }
}

/// A checked YAML mapping: keys known to be allowed and unique, in file order.
public struct YAMLMapping {
    public struct Entry {
        public let key: String
        public let keyNode: Node
        public let value: Node
    }

    public let node: Node
    public let entries: [Entry]

    public subscript(key: String) -> Node? {
        entries.first { $0.key == key }?.value
    }

    public func has(_ key: String) -> Bool { self[key] != nil }
}
