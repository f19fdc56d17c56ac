import Foundation

/// The header of a NumPy `.npy` array: its dtype descriptor, memory order and shape, as
/// `numpy.save` writes it (`\x93NUMPY`, a version, then a Python dict literal padded to a
/// multiple of 64 bytes). Shared by the weight reader and the core map archive.
///
///     let header = NPYHeader(descr: "<i4", shape: [3, 2])
///     let bytes = header.encoded()          // 64 bytes, then 24 bytes of data follow
///     let (back, payload) = try NPYHeader.parse(bytes)
public struct NPYHeader: Sendable, Equatable {
    public struct FormatError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
        public init(_ message: String) { self.message = message }
    }

    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    /// NumPy's dtype string, e.g. `<i4`, `|u1`, `<u8`.
    public var descr: String
    public var fortranOrder: Bool
    public var shape: [Int]

    public init(descr: String, fortranOrder: Bool = false, shape: [Int]) {
        self.descr = descr
        self.fortranOrder = fortranOrder
        self.shape = shape
    }

    /// The number of elements. It cannot overflow for a header `parse` returned.
    public var count: Int { shape.reduce(1, *) }

    /// Reads the header at the start of `bytes`; returns it and the offset of the data.
    public static func parse(_ bytes: some RandomAccessCollection<UInt8>) throws(FormatError) -> (NPYHeader, Int) {
        let b = Array(bytes.prefix(12))
        guard b.count >= 10, Array(b[0..<6]) == magic else {
            throw FormatError("not a NumPy .npy file (missing the \\x93NUMPY magic)")
        }
        let major = b[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(b[8]) | Int(b[9]) << 8
            headerStart = 10
        case 2, 3:
            guard b.count >= 12 else { throw FormatError("truncated .npy header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(b[8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw FormatError("unsupported .npy format version \(major).\(b[7]) (supported: 1.0, 2.0, 3.0)")
        }
        guard bytes.count >= headerStart + headerLength else {
            throw FormatError("truncated .npy header: it declares \(headerLength) bytes, the file has \(bytes.count - headerStart)")
        }
        let start = bytes.index(bytes.startIndex, offsetBy: headerStart)
        let end = bytes.index(start, offsetBy: headerLength)
        let text = String(decoding: bytes[start..<end], as: UTF8.self)
        return (try parseDict(text), headerStart + headerLength)
    }

    /// Parses the Python dict literal of the header, e.g.
    /// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
    public static func parseDict(_ header: String) throws(FormatError) -> NPYHeader {
        func value(of key: String) -> Substring? {
            guard let range = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else { return nil }
            return header[range.upperBound...].drop { $0 == " " || $0 == ":" }
        }
        guard let descrRest = value(of: "descr"), let quote = descrRest.first, quote == "'" || quote == "\"",
              let end = descrRest.dropFirst().firstIndex(of: quote) else {
            throw FormatError("header has no 'descr' (dtype): \(header)")
        }
        let descr = String(descrRest[descrRest.index(after: descrRest.startIndex)..<end])
        guard let fortranRest = value(of: "fortran_order") else {
            throw FormatError("header has no 'fortran_order': \(header)")
        }
        let fortran: Bool
        if fortranRest.hasPrefix("True") { fortran = true } else if fortranRest.hasPrefix("False") { fortran = false } else {
            throw FormatError("header 'fortran_order' is neither True nor False: \(header)")
        }
        guard let shapeRest = value(of: "shape"), shapeRest.first == "(", let close = shapeRest.firstIndex(of: ")") else {
            throw FormatError("header has no 'shape' tuple: \(header)")
        }
        var shape: [Int] = []
        for part in shapeRest[shapeRest.index(after: shapeRest.startIndex)..<close].split(separator: ",") {
            let text = part.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            guard let dim = Int(text.hasSuffix("L") ? String(text.dropLast()) : text), dim >= 0 else {
                throw FormatError("header shape has a bad dimension '\(text)': \(header)")
            }
            shape.append(dim)
        }
        // As NumPy refuses ("array is too big"), the nonzero dimensions' product must be
        // addressable even when a zero makes the array empty: every stride is a product of
        // them. A parsed header's `count` therefore never overflows.
        var addressable = 1
        for dim in shape {
            let overflow: Bool
            (addressable, overflow) = addressable.multipliedReportingOverflow(by: max(dim, 1))
            guard !overflow else { throw FormatError("header shape (\(shape.map(String.init).joined(separator: ", "))) has more elements than can be addressed") }
        }
        return NPYHeader(descr: descr, fortranOrder: fortran, shape: shape)
    }

    /// The header as `numpy.save` writes it: version 1.0 (2.0 for a header past 64 KiB),
    /// padded with spaces and a newline so that the data starts at a multiple of 64 bytes.
    public func encoded() -> [UInt8] {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var dict = "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': (\(dims)), }"
        let long = dict.utf8.count + 12 > 65_535
        let prefix = long ? 12 : 10
        let total = (prefix + dict.utf8.count + 1 + 63) / 64 * 64
        dict += String(repeating: " ", count: total - prefix - dict.utf8.count - 1) + "\n"
        let length = dict.utf8.count
        var out = Self.magic + [long ? 2 : 1, 0]
        out += long ? (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) } : [UInt8(length & 0xFF), UInt8(length >> 8)]
        out += Array(dict.utf8)
        return out
    }
}
