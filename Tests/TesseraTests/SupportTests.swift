import Foundation
import Testing
@testable import Tessera

/// TesseraSupport's readers and helpers used directly: `YAMLReader` and `YAMLDocument`
/// (typed access, every message with its line:column), `JSONScanner` (the core map
/// reader's pull scanner), `Suggestion` and `inParallel`. Lines and columns below are
/// counted by hand in the texts, 1-based.
@Suite struct SupportTests {
    // MARK: YAMLReader

    /// The document the YAML tests read; columns are those of the value (or key) in it.
    static let yaml = """
    name: net
    layer: { nane: fc, op: conv3d, out: -3 }
    kernel: [3, 5, 7]
    size: 3
    flag: maybe
    rate: 1.5
    huge: .inf
    label: ~
    quoted: 'null'
    steps: 3.5
    names: [a, b]
    one: a
    list: [1, x, 3]
    """

    static func document() throws -> (YAMLReader, YAMLMapping) {
        let doc = try YAMLDocument.parse(yaml, file: "t.yaml")
        var reader = YAMLReader(file: "t.yaml")
        let keys = ["name", "layer", "kernel", "size", "flag", "rate", "huge", "label", "quoted", "steps", "names", "one", "list"]
        let mapping = reader.mapping(doc.root, what: "the file", allowed: keys)
        let top = try #require(mapping)
        #expect(reader.diagnostics.all.isEmpty)
        return (reader, top)
    }

    /// Each accessor returns the value or records one error at the node and returns nil;
    /// the reader keeps them all, in order.
    @Test func scalarsAndTheirMessages() throws {
        let document = try Self.document()
        var reader = document.0
        let top = document.1
        do { let value = reader.string(top["name"]!, what: "network name"); #expect(value == "net") }
        do { let value = reader.int(top["size"]!, what: "size", atLeast: 1, atMost: 3); #expect(value == 3) }
        do { let value = reader.ints(top["size"]!, what: "kernel", count: 2); #expect(value == [3, 3]) }
        do { let value = reader.intList(top["kernel"]!, what: "kernel"); #expect(value == [3, 5, 7]) }
        do { let value = reader.names(top["one"]!, what: "inputs"); #expect(value == ["a"]) }
        do { let value = reader.names(top["names"]!, what: "inputs"); #expect(value == ["a", "b"]) }
        do { let value = reader.double(top["rate"]!, what: "rate"); #expect(value == 1.5) }
        // A quoted 'null' is text; a plain ~ is nothing.
        do { let value = reader.string(top["quoted"]!, what: "label"); #expect(value == "null") }
        #expect(reader.diagnostics.all.isEmpty)

        do { let value = reader.ints(top["kernel"]!, what: "kernel", count: 2); #expect(value == nil) }       // line 3, the list at column 9
        do { let value = reader.bool(top["flag"]!, what: "flag"); #expect(value == nil) }                      // line 5 column 7
        do { let value = reader.double(top["rate"]!, what: "rate", atMost: 1); #expect(value == nil) }        // line 6 column 7
        do { let value = reader.double(top["huge"]!, what: "rate"); #expect(value == nil) }                   // line 7 column 7
        do { let value = reader.string(top["label"]!, what: "label"); #expect(value == nil) }                 // line 8 column 8
        do { let value = reader.int(top["steps"]!, what: "steps"); #expect(value == nil) }                    // line 10 column 8
        do { let value = reader.int(top["size"]!, what: "size", atLeast: 4); #expect(value == nil) }          // line 4 column 7
        do { let value = reader.intList(top["list"]!, what: "list"); #expect(value == nil) }                  // x: line 13 column 11
        do { let value = reader.sequence(top["name"]!, what: "layers"); #expect(value == nil) }               // line 1 column 7
        #expect(reader.diagnostics.all.map(\.description) == [
            "t.yaml:3:9: error: expected an integer or a list of 2 integers for kernel, got 3 items",
            "t.yaml:5:7: error: expected true or false for flag, got 'maybe'",
            "t.yaml:6:7: error: rate must be at most 1.0, got 1.5",
            "t.yaml:7:7: error: expected a finite number for rate, got '.inf'",
            "t.yaml:8:8: error: expected a name or text for label, got nothing (null)",
            "t.yaml:10:8: error: expected an integer for steps, got '3.5'",
            "t.yaml:4:7: error: size must be at least 4, got 3",
            "t.yaml:13:11: error: expected an integer for list, got 'x'",
            "t.yaml:1:7: error: expected a list for layers, got 'net'",
        ])
        #expect(throws: DiagnosticError.self) { try reader.diagnostics.throwIfErrors() }
    }

    /// Unknown keys name the mapping, suggest the closest allowed key and list them all;
    /// an unknown choice does the same. `layer:` is on line 2: `nane` (1 edit from `name`) at column 10, `conv3d`
    /// at column 24, `-3` at column 37.
    @Test func unknownKeysAndChoicesSuggestTheClosest() throws {
        let document = try Self.document()
        var reader = document.0
        let top = document.1
        let checked = reader.mapping(top["layer"]!, what: "layer 'fc'", allowed: ["name", "op", "out"])
        let layer = try #require(checked)
        #expect(layer.entries.map(\.key) == ["op", "out"])  // the unknown key is left out
        #expect(layer.has("op") && !layer.has("name"))
        do { let value = reader.choice(layer["op"]!, what: "op", among: ["conv2d", "dense", "flatten"]); #expect(value == nil) }
        do { let value = reader.int(layer["out"]!, what: "out", atLeast: 1); #expect(value == nil) }
        do { let value = reader.mapping(top["kernel"]!, what: "a layer", allowed: []); #expect(value == nil) }
        #expect(reader.diagnostics.all.map(\.description) == [
            "t.yaml:2:10: error: unknown key 'nane' in layer 'fc'; did you mean 'name'?; expected one of: name, op, out",
            "t.yaml:2:24: error: unknown op 'conv3d'; did you mean 'conv2d'?; expected one of: conv2d, dense, flatten",
            "t.yaml:2:37: error: out must be at least 1, got -3",
            "t.yaml:3:9: error: expected a mapping for a layer, got a list",
        ])
        // A name far from every key gets no suggestion.
        var other = YAMLReader(file: "u.yaml")
        let doc = try YAMLDocument.parse("zzzzzz: 1\n", file: "u.yaml")
        _ = other.mapping(doc.root, what: "the file", allowed: ["name", "layers"])
        #expect(other.diagnostics.all.map(\.description) == ["u.yaml:1:1: error: unknown key 'zzzzzz' in the file; expected one of: name, layers"])
        // Warnings are kept apart from errors.
        other.warning("unused", at: doc.root)
        #expect(other.diagnostics.warnings.map(\.description) == ["u.yaml:1:1: warning: unused"] && other.diagnostics.errors.count == 1)
    }

    /// Whole-document failures: a syntax error at libyaml's position, a repeated key, an
    /// empty file, a missing file.
    @Test func documentErrorsAreLocated() throws {
        func failure(_ text: String) -> DiagnosticError? {
            do {
                _ = try YAMLDocument.parse(text, file: "bad.yaml")
                return nil
            } catch {
                return error
            }
        }
        // The flow list opened on line 2 is never closed: libyaml notices at the end (line 3).
        let unclosed = try #require(failure("a: 1\nb: [1, 2\n"))
        #expect(unclosed.diagnostics.count == 1)
        let syntax = try #require(unclosed.diagnostics.first)
        #expect(syntax.message.hasPrefix("YAML syntax error: ") && syntax.message.contains("2:4"), "\(syntax)")
        #expect(syntax.location?.file == "bad.yaml" && syntax.location?.line == 3)
        // `a` repeated: the mapping that holds it is named.
        let repeated = try #require(failure("a: 1\na: 2\n"))
        #expect(repeated.diagnostics.first?.message == "duplicate key 'a' in a mapping (each key may appear once)")
        #expect(repeated.diagnostics.first?.location?.file == "bad.yaml")
        #expect(try #require(failure("")).description == "bad.yaml:1:1: error: the file is empty; expected a YAML mapping")
        // A control character libyaml's reader refuses, located in characters (not bytes):
        // after "b: " on line 2 it is the 4th, whether or not line 1 has 2-byte characters.
        for first in ["a", "\u{e9}\u{e9}\u{e9}"] {
            #expect(try #require(failure("\(first): 1\nb: \u{1}")).description == "bad.yaml:2:4: error: cannot read YAML: control characters are not allowed")
        }
        let missing = "/nonexistent-\(UUID().uuidString).yaml"
        do {
            _ = try YAMLDocument.load(path: missing)
            Issue.record("a missing file was read")
        } catch {
            #expect(error.description == "error: cannot read file '\(missing)': no such file or not readable")
        }
    }

    // MARK: JSONScanner

    static func scan<T>(_ text: String, _ body: (inout JSONScanner) throws -> T) rethrows -> T {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            return try body(&scanner)
        }
    }

    /// The scanner's failure for `text` read by `body`, as "line:column: message".
    static func failure(_ text: String, _ body: (inout JSONScanner) throws -> Void) -> String? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer -> String? in
            var scanner = JSONScanner(buffer)
            do {
                try body(&scanner)
                return nil
            } catch let error as JSONScanner.Failure {
                let (line, column) = scanner.location(of: error.offset)
                return "\(line):\(column): \(error.message)"
            } catch {
                return "not a scanner failure: \(error)"
            }
        }
    }

    /// A document read value by value: keys, arrays, strings with escapes, integers,
    /// numbers, booleans, null, and a skipped value.
    @Test func scansADocument() throws {
        let text = #"{"n": [1, -2, 9007199254740992], "s": "a\"b\\c\n\u00e9/", "x": 1.5e2, "t": true, "f": false, "z": null, "skip": {"k": [1, {"m": "]"}]}, "last": 0}"#
        try Self.scan(text) { s in
            try s.beginObject("the map")
            var seen: [String] = []
            var first = true
            while let key = try s.nextKey(first: first) {
                first = false
                seen.append(key)
                switch key {
                case "n":
                    try s.beginArray("n")
                    var values: [Int] = []
                    var head = true
                    while try s.nextElement(first: head) { head = false; values.append(try s.int("n")) }
                    #expect(values == [1, -2, 1 << 53])
                case "s":
                    let text = try s.string("s")
                    #expect(text == "a\"b\\c\n\u{e9}/")
                case "x":
                    let x = try s.number("x")
                    #expect(x == 150)
                case "t", "f":
                    let flag = try s.bool(key)
                    #expect(flag == (key == "t"))
                case "z":
                    let kind = try s.peek()
                    let isNull = s.null()
                    #expect(kind == .null && isNull)
                case "skip": try s.skipValue()
                default:
                    let last = try s.int("last")
                    #expect(last == 0)
                }
            }
            #expect(seen == ["n", "s", "x", "t", "f", "z", "skip", "last"])
            let end = s.atEnd()
            #expect(end)
        }
        // Keys matched against a list without making strings; an unknown one is kept as text.
        try Self.scan(#"{"axons": 1, "other": 2, "neurons": 3}"#) { s in
            try s.beginObject("core")
            var found: [Int] = []
            var first = true
            while let k = try s.nextKey(first: first, among: ["neurons", "axons"]) {
                first = false
                found.append(k)
                if k == 2 { #expect(s.lastKey == "other") }
                _ = try s.int("value")
            }
            #expect(found == [1, 2, 0])
        }
        // A value can be skipped and read again from its position.
        try Self.scan(#"[{"a": [1, 2]}, 7]"#) { s in
            try s.beginArray("list")
            let more = try s.nextElement(first: true)
            let start = s.position
            try s.skipValue()
            let again = try s.nextElement(first: false)
            let second = try s.int("second")
            #expect(more && again && second == 7)
            s.seek(to: start)
            let kind = try s.peek()
            #expect(kind == .object)
        }
    }

    /// Failures carry the byte offset of the value, which `location(of:)` turns into
    /// line:column (columns in bytes), as the core map reader prints them.
    @Test func scannerFailuresAreLocated() {
        // "2.5" starts on line 3 at column 4 (after three spaces).
        #expect(Self.failure("{\n \"a\": [1,\n   2.5]\n}") { s in
            try s.beginObject("map")
            _ = try s.nextKey(first: true)
            try s.beginArray("a")
            var head = true
            while try s.nextElement(first: head) { head = false; _ = try s.int("an axon index") }
        } == "3:4: expected an integer for an axon index, got a fraction or exponent")
        // 2^53 + 1 has 16 digits but is beyond 2^53.
        #expect(Self.failure(" 9007199254740993") { s in _ = try s.int("seed") } == "1:2: integer for seed is beyond +-2^53")
        #expect(Self.failure("[1 2]") { s in
            try s.beginArray("list")
            var head = true
            while try s.nextElement(first: head) { head = false; _ = try s.int("x") }
        } == "1:4: expected ',' or ']', got a number")
        #expect(Self.failure("[1,") { s in
            try s.beginArray("list")
            _ = try s.nextElement(first: true)
            _ = try s.int("x")
            _ = try s.nextElement(first: false)
            _ = try s.int("x")
        } == "1:4: expected an integer for x, got the end of the file")
        #expect(Self.failure("\n  @") { s in _ = try s.peek() } == "2:3: unexpected character '@'; expected a value")
        #expect(Self.failure("{\"a\" 1}") { s in
            try s.beginObject("map")
            _ = try s.nextKey(first: true)
        } == "1:6: expected ':' after a key, got a number")
        #expect(Self.failure("\"abc") { s in _ = try s.string("name") } == "1:1: unterminated string")
        #expect(Self.failure("\"a\tb\"") { s in _ = try s.string("name") } == "1:3: control character in a string")
        #expect(Self.failure(#""a\qb""#) { s in _ = try s.string("name") } == "1:5: bad escape '\\q'")
        #expect(Self.failure("[true]") { s in _ = try s.string("the name") } == "1:1: expected a string for the name, got an array")
        #expect(Self.failure("{") { s in
            try s.beginObject("map")
            _ = try s.nextKey(first: true)
        } == "1:2: unexpected end of file inside an object")
        #expect(Self.failure(#""ab\"c""#) { s in _ = try s.rawString("hex data") } == "1:4: unexpected escape in hex data")
        #expect(Self.failure("nul") { s in _ = try s.bool("flag") } == "1:1: expected true or false for flag, got null")
    }

    /// RFC 8259 writes a character outside the Basic Multilingual Plane as an escaped
    /// UTF-16 surrogate pair (Python's json.dumps does so by default: "\ud83d\ude00" for
    /// U+1F600 = 0x10000 + (0xD83D - 0xD800) x 0x400 + (0xDE00 - 0xDC00)). A lone half is no
    /// Unicode scalar: U+FFFD, and the escape after it is read on its own.
    @Test func surrogatePairEscapes() throws {
        #expect(try Self.scan(#""\ud83d\ude00""#) { s in try s.string("name") } == "\u{1F600}")
        #expect(try Self.scan(#""a\ud83dz""#) { s in try s.string("name") } == "a\u{FFFD}z")
        #expect(try Self.scan(#""\ud83d\u0041""#) { s in try s.string("name") } == "\u{FFFD}A")
        #expect(try Self.scan(#""\ude00""#) { s in try s.string("name") } == "\u{FFFD}")
    }

    // MARK: Suggestion and inParallel

    /// Levenshtein distances by hand: kitten -> sitting is 3 (k/s, e/i, +g); flaw -> lawn
    /// is 2 (-f, +n); from or to the empty string, the other's length.
    @Test func editDistanceAndSuggestions() {
        #expect(Suggestion.editDistance("kitten", "sitting") == 3)
        #expect(Suggestion.editDistance("flaw", "lawn") == 2)
        #expect(Suggestion.editDistance("", "abc") == 3 && Suggestion.editDistance("abc", "") == 3)
        #expect(Suggestion.editDistance("dense", "dense") == 0)
        // The limit is a third of the word's length, at least 1: "conv3d" (6) allows 2 edits.
        #expect(Suggestion.closest(to: "conv3d", among: ["conv2d", "dense"]) == "conv2d")
        // Case is ignored, and the nearest wins (1 edit over 2).
        #expect(Suggestion.closest(to: "DENS", among: ["densee", "dense"]) == "dense")
        // "op" (2) allows 1 edit: "ops" is 1 away, "out" 2.
        #expect(Suggestion.closest(to: "op", among: ["out", "ops"]) == "ops")
        // "xyz" is 3 edits from "out": beyond the limit of 1.
        #expect(Suggestion.closest(to: "xyz", among: ["out"]) == nil)
        // On a tie the first candidate is kept: "cat" is 1 from both "bat" and "cot".
        #expect(Suggestion.closest(to: "cat", among: ["bat", "cot"]) == "bat")
        #expect(Suggestion.hint(for: "outt", among: ["out"]) == "; did you mean 'out'?")
        // A transposition is 2 edits: "nmae" (4 letters, limit 1) gets no suggestion.
        #expect(Suggestion.closest(to: "nmae", among: ["name"]) == nil)
        #expect(Suggestion.hint(for: "q", among: ["layers"]) == "")
    }

    /// Results come back in index order whatever the threads' order, optional results
    /// included, and every index runs once.
    @Test func inParallelKeepsOrder() {
        let squares = inParallel(64) { k in k * k }
        #expect(squares == (0..<64).map { $0 * $0 })
        let maybe: [Int?] = inParallel(5) { k in k % 2 == 0 ? k : nil }
        #expect(maybe == [0, nil, 2, nil, 4])
        #expect(inParallel(0) { k in k }.isEmpty)
    }
}

