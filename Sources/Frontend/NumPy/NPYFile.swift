import Foundation
import SpikeIR
import TesseraSupport

/// A reader for NumPy's `.npy` format (versions 1.0, 2.0 and 3.0), as written by
/// `numpy.save` and found inside `.npz` archives.
///
/// Reads what NumPy writes without being asked: C or Fortran order (any transposed array is
/// saved in Fortran order; it comes back in C order), float16, float32, float64, signed and
/// unsigned integers of 1 to 8 bytes and bool, in either byte order, and 0-d arrays (a
/// scalar, shape `[]`, one value). Rejects object and complex arrays, truncated data and
/// non-finite values with a message saying what was found and what was expected.
///
///     let w = try NPYFile.read(path: "h.weight.npy")   // w.shape == [3, 4], C order
public enum NPYFile {
    public struct FormatError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
        init(_ message: String) { self.message = message }
    }

    /// The element types Tessera reads, by NumPy's type character and size.
    enum DType: String, CaseIterable {
        case float16 = "f2", float32 = "f4", float64 = "f8", int8 = "i1", int16 = "i2", int32 = "i4", int64 = "i8"
        case uint8 = "u1", uint16 = "u2", uint32 = "u4", uint64 = "u8", bool = "b1"
        var size: Int { Int(rawValue.dropFirst()) ?? 0 }
    }

    public static func read(path: String) throws(FormatError) -> Tensor {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FormatError("cannot read '\(path)': no such file or not readable")
        }
        return try parse(data)
    }

    public static func parse(_ data: Data) throws(FormatError) -> Tensor {
        let bytes = [UInt8](data)
        let header: NPYHeader, payload: Int
        do throws(NPYHeader.FormatError) { (header, payload) = try NPYHeader.parse(bytes) } catch { throw FormatError(error.message) }
        let (descr, fortran, shape) = (header.descr, header.fortranOrder, header.shape)
        let (dtype, bigEndian) = try parseDescr(descr)
        let count = header.count
        let (needed, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        guard !overflow, bytes.count - payload >= needed else {
            throw FormatError("truncated data: shape \(describeShape(shape)) of \(dtype) needs \(overflow ? "more than 2^63" : "\(needed)") bytes, the file has \(bytes.count - payload)")
        }
        guard bytes.count - payload == needed else {
            throw FormatError("\(bytes.count - payload - needed) unexpected bytes after the data of shape \(describeShape(shape)) of \(dtype)")
        }
        let stored = decode(bytes, from: payload, count: count, dtype: dtype, bigEndian: bigEndian)
        let values = fortran ? cOrder(fromFortran: stored, shape: shape) : stored
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            // The element's index in the array's shape (C order), as NumPy would print it.
            var rest = bad, index: [Int] = []
            for d in shape.reversed() { index.insert(rest % max(d, 1), at: 0); rest /= max(d, 1) }
            throw FormatError("element [\(index.map(String.init).joined(separator: ", "))] is \(values[bad]); weights and samples must be finite")
        }
        guard let tensor = Tensor(shape: shape, values: values) else {
            throw FormatError("inconsistent shape \(describeShape(shape))")
        }
        return tensor
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
            let why = text == "O" ? ": an object array (Python objects, saved with allow_pickle), not numbers"
                    : text.first == "c" ? ": complex numbers, which no weight or input can be" : ""
            throw FormatError("unsupported dtype '\(descr)'\(why); supported: \(supported)")
        }
        return (dtype, bigEndian)
    }

    /// Values stored in Fortran (column-major) order, put in C (row-major) order: the element
    /// at index (i0, ..., ik) is stored at i0 + n0 (i1 + n1 (i2 + ...)).
    static func cOrder(fromFortran stored: [Double], shape: [Int]) -> [Double] {
        guard shape.count > 1 else { return stored }
        var strides = [Int](repeating: 1, count: shape.count)   // C order's
        for k in stride(from: shape.count - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * shape[k + 1] }
        var values = [Double](repeating: 0, count: stored.count)
        var index = [Int](repeating: 0, count: shape.count)   // of stored element f, first fastest
        var c = 0
        for value in stored {
            values[c] = value
            // Next Fortran index: the first dimension runs fastest.
            for k in 0..<shape.count {
                index[k] += 1
                c += strides[k]
                if index[k] < shape[k] { break }
                c -= strides[k] * shape[k]
                index[k] = 0
            }
        }
        return values
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
            case .float16: values[i] = half(UInt16(truncatingIfNeeded: w))
            case .float32: values[i] = Double(Float(bitPattern: UInt32(truncatingIfNeeded: w)))
            case .float64: values[i] = Double(bitPattern: w)
            case .int8: values[i] = Double(Int8(truncatingIfNeeded: w))
            case .int16: values[i] = Double(Int16(truncatingIfNeeded: w))
            case .int32: values[i] = Double(Int32(truncatingIfNeeded: w))
            case .int64: values[i] = Double(Int64(bitPattern: w))  // exact up to 2^53 (labels, counts)
            case .uint8, .uint16, .uint32, .uint64: values[i] = Double(w)
            case .bool: values[i] = w == 0 ? 0 : 1
            }
        }
        return values
    }

    /// An IEEE 754 binary16 value (1 sign, 5 exponent and 10 mantissa bits, bias 15).
    static func half(_ bits: UInt16) -> Double {
        let sign: Double = bits & 0x8000 == 0 ? 1 : -1
        let exponent = Int(bits >> 10 & 0x1F), mantissa = Double(bits & 0x3FF)
        switch exponent {
        case 0: return sign * mantissa * 0x1p-24                     // zero and subnormals
        case 31: return mantissa == 0 ? sign * .infinity : .nan
        default: return sign * (1 + mantissa / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }
}
