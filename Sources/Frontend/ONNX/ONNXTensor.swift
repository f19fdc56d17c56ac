import Foundation
import ONNXProto
import TesseraSupport

/// One ONNX tensor (an initializer, or a Constant node's value) decoded to doubles: its
/// dims and values in row-major order. ONNX stores the numbers either in a typed repeated
/// field or as little-endian `raw_data`, inside the model or in an external file beside it
/// (`data_location = EXTERNAL`, keys `location`, `offset`, `length`; ONNX's ExternalData.md).
///
///     let w = try ONNXTensor(proto, file: "cnn.onnx", directory: "models")
///     print(w.dims, w.values.count)
struct ONNXTensor: Sendable {
    var name: String
    var dims: [Int]
    var values: [Double]

    var count: Int { dims.reduce(1, *) }

    init(name: String, dims: [Int], values: [Double]) {
        self.name = name
        self.dims = dims
        self.values = values
    }

    /// Decodes `proto`; `directory` is where external data files are looked up.
    init(_ proto: Onnx_TensorProto, file: String, directory: URL) throws(DiagnosticError) {
        let label = "\(file): tensor '\(proto.name)'"
        name = proto.name
        dims = proto.dims.map { Int($0) }
        guard dims.allSatisfy({ $0 >= 0 }) else { throw DiagnosticError("\(label): negative dimension in \(dims)") }
        // The element count without overflow: a corrupt file's dims must not trap.
        let count = Self.product(dims)
        guard count <= 1 << 34 else { throw DiagnosticError("\(label): dims \(dims) hold more than 2^34 values") }
        guard let type = Onnx_TensorProto.DataType(rawValue: Int(proto.dataType)), let width = Self.byteWidth(type) else {
            throw DiagnosticError("\(label): data type \(proto.dataType) is not a number type Tessera reads (float, double, float16, int8..int64, uint8, bool)")
        }
        var raw: Data?
        if proto.dataLocation == .external {
            raw = try Self.external(proto, label: label, directory: directory, expected: count * width)
        } else if !proto.rawData.isEmpty {
            raw = proto.rawData
        }
        if let raw {
            guard raw.count == count * width else {
                throw DiagnosticError("\(label): holds \(raw.count) bytes of data; dims \(dims) of \(type) need \(count * width)")
            }
            values = Self.decode(raw, type: type, count: count)
        } else {
            switch type {
            case .float: values = proto.floatData.map(Double.init)
            case .double: values = proto.doubleData
            case .int64: values = proto.int64Data.map(Double.init)
            case .uint64: values = proto.uint64Data.map(Double.init)
            // int32_data also carries the narrower integers, bool and float16 (as bit patterns).
            case .float16: values = proto.int32Data.map { Self.half(UInt16(truncatingIfNeeded: $0)) }
            default: values = proto.int32Data.map(Double.init)
            }
            guard values.count == count else {
                throw DiagnosticError("\(label): holds \(values.count) values; dims \(dims) need \(count)")
            }
        }
    }

    /// The product of `sizes`, Int.max where it overflows (dims from a file must not trap).
    static func product(_ sizes: [Int]) -> Int {
        sizes.reduce(1) { a, b in a.multipliedReportingOverflow(by: b).overflow ? Int.max : a * b }
    }

    /// Bytes per element, nil for types without a numeric reading.
    static func byteWidth(_ type: Onnx_TensorProto.DataType) -> Int? {
        switch type {
        case .float, .int32, .uint32: 4
        case .double, .int64, .uint64: 8
        case .float16, .int16, .uint16: 2
        case .int8, .uint8, .bool: 1
        default: nil
        }
    }

    static func decode(_ raw: Data, type: Onnx_TensorProto.DataType, count: Int) -> [Double] {
        let bytes = [UInt8](raw)
        func word(_ i: Int, _ n: Int) -> UInt64 {
            var v: UInt64 = 0
            for b in 0..<n { v |= UInt64(bytes[i * n + b]) << (8 * UInt64(b)) }
            return v
        }
        return (0..<count).map { i in
            switch type {
            case .float: Double(Float(bitPattern: UInt32(word(i, 4))))
            case .double: Double(bitPattern: word(i, 8))
            case .float16: half(UInt16(word(i, 2)))
            case .int8: Double(Int8(bitPattern: bytes[i]))
            case .uint8, .bool: Double(bytes[i])
            case .int16: Double(Int16(bitPattern: UInt16(word(i, 2))))
            case .uint16: Double(UInt16(word(i, 2)))
            case .int32: Double(Int32(bitPattern: UInt32(word(i, 4))))
            case .uint32: Double(UInt32(word(i, 4)))
            case .int64: Double(Int64(bitPattern: word(i, 8)))
            default: Double(word(i, 8))
            }
        }
    }

    /// IEEE 754 half precision to double (subnormals, infinities and NaN included).
    static func half(_ bits: UInt16) -> Double {
        let sign: Double = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1F), fraction = Double(bits & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * 0x1p-24
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }

    /// The bytes of an external tensor: `location` relative to the model's folder, from
    /// `offset` (default 0), `length` bytes (default: what the dims need).
    static func external(_ proto: Onnx_TensorProto, label: String, directory: URL, expected: Int) throws(DiagnosticError) -> Data {
        let entries = Dictionary(proto.externalData.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        guard let location = entries["location"], !location.isEmpty else {
            throw DiagnosticError("\(label): external data without a 'location'")
        }
        guard !location.hasPrefix("/"), !location.split(separator: "/").contains("..") else {
            throw DiagnosticError("\(label): external data location '\(location)' must be a path inside the model's folder")
        }
        let offset = Int(entries["offset"] ?? "0"), length = entries["length"].map { Int($0) } ?? expected
        guard let offset, let length, offset >= 0, length == expected else {
            throw DiagnosticError("\(label): external data offset '\(entries["offset"] ?? "")' is not a whole number >= 0, or its length '\(entries["length"] ?? "")' is not the \(expected) bytes its dims need")
        }
        let path = directory.appendingPathComponent(location).path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DiagnosticError("\(label): its external data file '\(location)' (\(path)) cannot be opened")
        }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: UInt64(offset))
            let data = try handle.read(upToCount: length) ?? Data()
            guard data.count == length else {
                throw DiagnosticError("\(label): external data file '\(location)' ends before offset \(offset) + length \(length)")
            }
            return data
        } catch let error as DiagnosticError {
            throw error
        } catch {
            throw DiagnosticError("\(label): cannot read external data file '\(location)': \(error.localizedDescription)")
        }
    }
}
