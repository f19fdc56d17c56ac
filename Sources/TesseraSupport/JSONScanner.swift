/// A pull scanner over JSON text (RFC 8259) that a decoder drives value by value.
///
/// Core maps run to hundreds of megabytes; Foundation's JSON readers build a tree of
/// boxed values first and take seconds per thousand cores. This scanner reads the UTF-8
/// bytes in place and lets the core map reader turn them straight into its model, and it
/// knows the line and column of every value for error messages.
public struct JSONScanner {
    public struct Failure: Error, Sendable {
        public var message: String
        public var offset: Int
    }

    public enum Kind: Sendable { case object, array, string, number, bool, null }

    let bytes: UnsafeBufferPointer<UInt8>
    public private(set) var position = 0

    /// Scans `bytes`, which must stay alive while the scanner is used.
    public init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// 1-based line and column (in bytes) of an offset, for messages.
    public func location(of offset: Int) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for i in 0..<min(offset, bytes.count) {
            if bytes[i] == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }

    public func fail(_ message: String, at offset: Int? = nil) -> Failure {
        Failure(message: message, offset: offset ?? position)
    }

    @inline(__always) public mutating func skipSpace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    /// The kind of the next value, without consuming it.
    public mutating func peek() throws(Failure) -> Kind {
        skipSpace()
        guard position < bytes.count else { throw fail("unexpected end of file; expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw fail("unexpected character '\(Character(Unicode.Scalar(bytes[position])))'; expected a value")
        }
    }

    /// Describes the next value for "expected X, got Y" messages.
    public mutating func describeNext() -> String {
        guard let kind = try? peek() else { return position >= bytes.count ? "the end of the file" : "an invalid character" }
        switch kind {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }

    mutating func expect(_ byte: UInt8, _ what: @autoclosure () -> String) throws(Failure) {
        skipSpace()
        guard position < bytes.count, bytes[position] == byte else {
            throw fail("expected \(what()), got \(describeNext())")
        }
        position += 1
    }

    // MARK: Containers

    /// Starts an object; then call ``nextKey(first:)`` until it returns nil.
    public mutating func beginObject(_ what: @autoclosure () -> String) throws(Failure) {
        skipSpace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "{") else {
            throw fail("expected an object for \(what()), got \(describeNext())")
        }
        position += 1
    }

    /// The next key of the object, or nil at its end; `first` is true for the first call.
    public mutating func nextKey(first: Bool) throws(Failure) -> String? {
        skipSpace()
        guard position < bytes.count else { throw fail("unexpected end of file inside an object") }
        if bytes[position] == UInt8(ascii: "}") { position += 1; return nil }
        if !first { try expect(UInt8(ascii: ","), "',' or '}'") }
        let key = try string("a key")
        try expect(UInt8(ascii: ":"), "':' after a key")
        return key
    }

    /// Like ``nextKey(first:)`` but matches the key's bytes against `keys` without making a
    /// String: the index of the key in `keys`, or `keys.count` for an unknown key (then
    /// ``lastKey`` has its text). Nil at the end of the object.
    public mutating func nextKey(first: Bool, among keys: [StaticString]) throws(Failure) -> Int? {
        skipSpace()
        guard position < bytes.count else { throw fail("unexpected end of file inside an object") }
        if bytes[position] == UInt8(ascii: "}") { position += 1; return nil }
        if !first { try expect(UInt8(ascii: ","), "',' or '}'") }
        let start = position
        let raw = try rawString("a key")
        try expect(UInt8(ascii: ":"), "':' after a key")
        for (i, key) in keys.enumerated() where key.utf8CodeUnitCount == raw.count {
            if raw.elementsEqual(UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)) { return i }
        }
        let end = position
        position = start
        lastKey = try string("a key")
        position = end
        return keys.count
    }

    /// The text of the last key ``nextKey(first:among:)`` did not know.
    public private(set) var lastKey = ""

    public mutating func beginArray(_ what: @autoclosure () -> String) throws(Failure) {
        skipSpace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "[") else {
            throw fail("expected an array for \(what()), got \(describeNext())")
        }
        position += 1
    }

    /// Whether another element follows; consumes the ',' or the closing ']'.
    public mutating func nextElement(first: Bool) throws(Failure) -> Bool {
        skipSpace()
        guard position < bytes.count else { throw fail("unexpected end of file inside an array") }
        if bytes[position] == UInt8(ascii: "]") { position += 1; return false }
        if !first { try expect(UInt8(ascii: ","), "',' or ']'") }
        return true
    }

    // MARK: Scalars

    public mutating func string(_ what: @autoclosure () -> String) throws(Failure) -> String {
        skipSpace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
            throw fail("expected a string for \(what()), got \(describeNext())")
        }
        position += 1
        let start = position
        var plain = true
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                if plain {
                    let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                    position += 1
                    return s
                }
                break
            }
            if b == UInt8(ascii: "\\") { plain = false; position += 2; continue }
            if b < 0x20 { throw fail("control character in a string") }
            position += 1
        }
        guard position < bytes.count else { throw fail("unterminated string", at: start - 1) }
        position = start
        return try escapedString()
    }

    private mutating func escapedString() throws(Failure) -> String {
        var out: [UInt8] = []
        while position < bytes.count {
            let b = bytes[position]
            position += 1
            if b == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            guard b == UInt8(ascii: "\\") else { out.append(b); continue }
            guard position < bytes.count else { break }
            let e = bytes[position]
            position += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var code = try hexQuad()
                // RFC 8259 writes a character beyond U+FFFF as a UTF-16 surrogate pair,
                // "\ud83d\ude00" (Python's json.dumps does by default): joined into one
                // scalar. A lone half is no Unicode scalar and becomes U+FFFD.
                if (0xD800..<0xDC00).contains(code), position + 6 <= bytes.count,
                   bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                    let resume = position
                    position += 2
                    let low = try hexQuad()
                    if (0xDC00..<0xE000).contains(low) { code = 0x10000 + (code - 0xD800) << 10 + (low - 0xDC00) } else { position = resume }
                }
                out.append(contentsOf: Array(String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8))
            default: throw fail("bad escape '\\\(Character(Unicode.Scalar(e)))'")
            }
        }
        throw fail("unterminated string")
    }

    /// The four hex digits of a `\\u` escape.
    private mutating func hexQuad() throws(Failure) -> UInt32 {
        guard position + 4 <= bytes.count,
              let code = UInt32(String(decoding: UnsafeBufferPointer(rebasing: bytes[position..<(position + 4)]), as: UTF8.self), radix: 16) else {
            throw fail("bad \\u escape")
        }
        position += 4
        return code
    }

    /// An integer; fractions, exponents and values beyond +-2^53 are rejected.
    public mutating func int(_ what: @autoclosure () -> String) throws(Failure) -> Int {
        skipSpace()
        let start = position
        var negative = false
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { negative = true; position += 1 }
        var value = 0
        var digits = 0
        while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
            value = value &* 10 &+ Int(bytes[position] - UInt8(ascii: "0"))
            digits += 1
            position += 1
        }
        if digits == 0 {
            position = start
            throw fail("expected an integer for \(what()), got \(describeNext())")
        }
        if position < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[position]) {
            throw fail("expected an integer for \(what()), got a fraction or exponent", at: start)
        }
        guard digits <= 16, value <= 1 << 53 else { throw fail("integer for \(what()) is beyond +-2^53", at: start) }
        return negative ? -value : value
    }

    /// A number (JSON's grammar: sign, digits, fraction, exponent), finite.
    public mutating func number(_ what: @autoclosure () -> String) throws(Failure) -> Double {
        skipSpace()
        let start = position
        let allowed = Set("+-.0123456789eE".utf8)
        while position < bytes.count, allowed.contains(bytes[position]), position - start < 64 { position += 1 }
        guard position > start, let value = Double(String(decoding: bytes[start..<position], as: UTF8.self)), value.isFinite else {
            position = start
            throw fail("expected a number for \(what()), got \(describeNext())")
        }
        return value
    }

    public mutating func bool(_ what: @autoclosure () -> String) throws(Failure) -> Bool {
        skipSpace()
        if match("true") { return true }
        if match("false") { return false }
        throw fail("expected true or false for \(what()), got \(describeNext())")
    }

    /// Consumes `null` if it is next.
    public mutating func null() -> Bool {
        skipSpace()
        return match("null")
    }

    private mutating func match(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard position + n <= bytes.count else { return false }
        for i in 0..<n where bytes[position + i] != word.utf8Start[i] { return false }
        position += n
        return true
    }

    /// Skips one value of any kind (numbers are checked only loosely).
    public mutating func skipValue() throws(Failure) {
        switch try peek() {
        case .object:
            try beginObject("a value")
            var first = true
            while try nextKey(first: first) != nil { first = false; try skipValue() }
        case .array:
            try beginArray("a value")
            var first = true
            while try nextElement(first: first) { first = false; try skipValue() }
        case .string: _ = try string("a value")
        case .bool: _ = try bool("a value")
        case .null: _ = null()
        case .number:
            while position < bytes.count, "+-.eE0123456789".utf8.contains(bytes[position]) { position += 1 }
        }
    }

    /// Moves to a position returned earlier by ``position`` (to read a skipped value).
    public mutating func seek(to offset: Int) { position = offset }

    /// Whether only whitespace is left.
    public mutating func atEnd() -> Bool {
        skipSpace()
        return position == bytes.count
    }

    /// The bytes of the next string without decoding it, for hex data read in bulk.
    public mutating func rawString(_ what: @autoclosure () -> String) throws(Failure) -> UnsafeBufferPointer<UInt8> {
        skipSpace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
            throw fail("expected a string for \(what()), got \(describeNext())")
        }
        let start = position + 1
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
            if bytes[end] == UInt8(ascii: "\\") { throw fail("unexpected escape in \(what())", at: end) }
            end += 1
        }
        guard end < bytes.count else { throw fail("unterminated string", at: position) }
        position = end + 1
        return UnsafeBufferPointer(rebasing: bytes[start..<end])
    }
}
