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
        guard !fortran else {
            throw FormatError("array is stored in Fortran order; save it in C order (numpy.ascontiguousarray) before exporting")
        }
        let (dtype, bigEndian) = try parseDescr(descr)
        let count = shape.reduce(1, *)
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
