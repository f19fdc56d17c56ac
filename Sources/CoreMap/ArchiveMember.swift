import Foundation
import TesseraSupport

/// The element types of the v2 archive's arrays, as NumPy names them. All multi-byte
/// types are little-endian, as `numpy.save` writes them on every common machine.
public enum ArchiveDType: String, Sendable, CaseIterable {
    case uint8 = "|u1", int32 = "<i4", int64 = "<i8", uint64 = "<u8"

    public var size: Int {
        switch self {
        case .uint8: 1
        case .int32: 4
        case .int64, .uint64: 8
        }
    }

    /// The spellings NumPy may write for this type (a one-byte type has no byte order).
    var spellings: Set<String> {
        switch self {
        case .uint8: ["|u1", "<u1", "=u1", "u1"]
        default: [rawValue]
        }
    }
}

/// One `.npy` member as the archive writer emits it: its header bytes, then `byteCount`
/// bytes from `read` (called with increasing offsets, a chunk at a time).
struct ArchiveMember {
    var name: String
    var head: [UInt8]
    var byteCount: Int
    var read: (_ offset: Int, _ count: Int) throws -> Data

    /// A member whose data is an array in memory.
    static func array<T: FixedWidthInteger>(_ name: String, _ values: [T], dtype: ArchiveDType, shape: [Int]? = nil) -> ArchiveMember {
        let bytes = values.withUnsafeBytes { Data($0) }
        return ArchiveMember(name: name, head: NPYHeader(descr: dtype.rawValue, shape: shape ?? [values.count]).encoded(), byteCount: bytes.count) { offset, count in
            bytes.subdata(in: offset..<(offset + count))
        }
    }

    /// A member whose bytes are given whole (header included), as they are.
    static func raw(_ name: String, _ bytes: Data) -> ArchiveMember {
        ArchiveMember(name: name, head: Array(bytes), byteCount: 0) { _, _ in Data() }
    }
}

/// An array too large to keep in memory while cores are built: values are appended to a
/// temporary file, which becomes the member's data when the archive is written.
final class SpillColumn {
    let dtype: ArchiveDType
    let url: URL
    private let handle: FileHandle
    private var buffer = Data()
    private(set) var count = 0

    init(directory: URL, name: String, dtype: ArchiveDType) throws {
        self.dtype = dtype
        url = directory.appendingPathComponent(name + ".bin")
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = try FileHandle(forWritingTo: url)
        buffer.reserveCapacity(1 << 20)
    }

    func append<T: FixedWidthInteger>(_ value: T) throws {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
        count += 1
        if buffer.count >= 1 << 20 { try flush() }
    }

    func append<T: FixedWidthInteger>(contentsOf values: [T]) throws {
        values.withUnsafeBytes { buffer.append(contentsOf: $0) }
        count += values.count
        if buffer.count >= 1 << 20 { try flush() }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// The member holding what was appended, read back from the file.
    func member(_ name: String, shape: [Int]? = nil) throws -> ArchiveMember {
        try flush()
        try handle.close()
        let reader = try FileHandle(forReadingFrom: url)
        return ArchiveMember(name: name, head: NPYHeader(descr: dtype.rawValue, shape: shape ?? [count]).encoded(), byteCount: count * dtype.size) { offset, size in
            try reader.seek(toOffset: UInt64(offset))
            return try reader.read(upToCount: size) ?? Data()
        }
    }
}
