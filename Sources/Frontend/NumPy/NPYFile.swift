import Foundation
import SpikeIR
import TesseraSupport

/// A reader for NumPy's `.npy` format (versions 1.0, 2.0 and 3.0), as written by
/// `numpy.save` and found inside `.npz` archives.
///
/// Accepts C-order arrays of float32, float64, int8, int16, int32, int64 and uint8 in either byte
/// order; rejects Fortran order, other dtypes, truncated data and non-finite values with a
/// message saying what was found and what was expected.
public enum NPYFile {
    public struct FormatError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
        init(_ message: String) { self.message = message }
    }

    /// The element types Tessera reads, by NumPy's type character and size.
    enum DType: String, CaseIterable {
        case float32 = "f4", float64 = "f8", int8 = "i1", int16 = "i2", int32 = "i4", int64 = "i8", uint8 = "u1"
        var size: Int { Int(rawValue.dropFirst()) ?? 0 }
    }

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    public static func read(path: String) throws(FormatError) -> Tensor {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FormatError("cannot read '\(path)': no such file or not readable")
        }
        return try parse(data)
    }

    public static func parse(_ data: Data) throws(FormatError) -> Tensor {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw FormatError("not a NumPy .npy file (missing the \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw FormatError("truncated .npy header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw FormatError("unsupported .npy format version \(major).\(bytes[7]) (supported: 1.0, 2.0, 3.0)")
        }
        guard bytes.count >= headerStart + headerLength else {
            throw FormatError("truncated .npy header: it declares \(headerLength) bytes, the file has \(bytes.count - headerStart)")
        }
        guard let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw FormatError("unreadable .npy header")
        }
        let (descr, fortran, shape) = try parseHeader(header)
        guard !fortran else {
            throw FormatError("array is stored in Fortran order; save it in C order (numpy.ascontiguousarray) before exporting")
        }
        let (dtype, bigEndian) = try parseDescr(descr)
        let count = shape.reduce(1, *)
        let payload = headerStart + headerLength
        let needed = count * dtype.size
        guard bytes.count - payload >= needed else {
            throw FormatError("truncated data: shape \(describeShape(shape)) of \(dtype) needs \(needed) bytes, the file has \(bytes.count - payload)")
        }
        guard bytes.count - payload == needed else {
            throw FormatError("\(bytes.count - payload - needed) unexpected bytes after the data of shape \(describeShape(shape)) of \(dtype)")
        }
        let values = decode(bytes, from: payload, count: count, dtype: dtype, bigEndian: bigEndian)
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw FormatError("element \(bad) is \(values[bad]); weights must be finite")
        }
        guard let tensor = Tensor(shape: shape, values: values) else {
            throw FormatError("inconsistent shape \(describeShape(shape))")
        }
        return tensor
    }

    /// Parses the Python dict literal of the header (``NPYHeader/parseDict(_:)``).
    static func parseHeader(_ header: String) throws(FormatError) -> (String, Bool, [Int]) {
        do throws(NPYHeader.FormatError) {
            let parsed = try NPYHeader.parseDict(header)
            return (parsed.descr, parsed.fortranOrder, parsed.shape)
        } catch {
            throw FormatError(error.message)
        }
    }

    static func parseDescr(_ descr: String) throws(FormatError) -> (DType, Bool) {
        var text = Substring(descr)
        var bigEndian = false
        if let first = text.first, "<>|=".contains(first) {
            bigEndian = first == ">"
            text = text.dropFirst()
        }
        guard let dtype = DType(rawValue: String(text)) else {
            let supported = DType.allCases.map { "\($0)" }.joined(separator: ", ")
            throw FormatError("unsupported dtype '\(descr)'; supported: \(supported)")
        }
        return (dtype, bigEndian)
    }

    static func decode(_ bytes: [UInt8], from start: Int, count: Int, dtype: DType, bigEndian: Bool) -> [Double] {
        var values = [Double](repeating: 0, count: count)
        let size = dtype.size
        func word(_ offset: Int) -> UInt64 {
            var v: UInt64 = 0
            for b in 0..<size {
                let byte = UInt64(bytes[offset + (bigEndian ? size - 1 - b : b)])
                v |= byte << (8 * UInt64(b))
            }
            return v
        }
        for i in 0..<count {
            let w = word(start + i * size)
            switch dtype {
            case .float32: values[i] = Double(Float(bitPattern: UInt32(truncatingIfNeeded: w)))
            case .float64: values[i] = Double(bitPattern: w)
            case .int8: values[i] = Double(Int8(truncatingIfNeeded: w))
            case .int16: values[i] = Double(Int16(truncatingIfNeeded: w))
            case .int32: values[i] = Double(Int32(truncatingIfNeeded: w))
            case .int64: values[i] = Double(Int64(bitPattern: w))  // exact up to 2^53 (labels, counts)
            case .uint8: values[i] = Double(UInt8(truncatingIfNeeded: w))
            }
        }
        return values
    }
}
