import Dispatch
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

/// One `.npy` member held in memory: its header bytes, then its data.
struct ArchiveMember: Sendable {
    var name: String
    var head: [UInt8]
    var data: Data

    /// A member whose data is an array.
    static func array<T: FixedWidthInteger>(_ name: String, _ values: [T], dtype: ArchiveDType, shape: [Int]? = nil) -> ArchiveMember {
        ArchiveMember(name: name, head: NPYHeader(descr: dtype.rawValue, shape: shape ?? [values.count]).encoded(),
                      data: values.withUnsafeBytes { Data($0) })
    }

    /// A member whose bytes are given whole (header included), as they are.
    static func raw(_ name: String, _ bytes: Data) -> ArchiveMember {
        ArchiveMember(name: name, head: Array(bytes), data: Data())
    }

    /// The member as the archive stores it: deflated (head and data as two pieces of one
    /// stream, as a ``DeflatedColumn`` makes them) or stored.
    func encoded(compressed: Bool) throws -> EncodedMember {
        guard compressed else {
            let bytes = Data(head) + data
            return EncodedMember(name: name, method: 0, crc: bytes.withUnsafeBytes { Deflater.crc32(0, $0) }, size: Int64(bytes.count), pieces: [.bytes(bytes)])
        }
        var body = Data()
        let z = try Deflater(level: EncodedMember.level) { body.append(contentsOf: $0) }
        try z.append(data)
        try z.finish()
        return try EncodedMember.deflated(name: name, head: head, body: .bytes(body), crc: z.crc, size: z.size)
    }

    /// Encodes `members` on every CPU; the result is in the given order.
    static func encode(_ members: [ArchiveMember], compressed: Bool) throws -> [EncodedMember] {
        try inParallel(members.count) { k in Result { try members[k].encoded(compressed: compressed) } }.map { try $0.get() }
    }
}

/// A member ready for the ZIP file: method 8 (deflate) or 0 (stored), the CRC-32 and size
/// of its uncompressed bytes, and its compressed bytes in pieces (in memory or in a file).
struct EncodedMember: Sendable {
    enum Piece: Sendable {
        case bytes(Data)
        case file(URL, Int64)

        var count: Int64 {
            switch self {
            case let .bytes(d): Int64(d.count)
            case let .file(_, n): n
            }
        }
    }

    /// zlib's level for every member: 6, its default, which is about 2.5x as fast as 9 on
    /// these arrays and within 1% of its size.
    static let level: Int32 = 6

    var name: String
    var method: UInt16
    var crc: UInt32
    var size: Int64
    var pieces: [Piece]

    var compressedSize: Int64 { pieces.reduce(0) { $0 + $1.count } }

    /// A deflated member whose `.npy` header is compressed on its own, ahead of `body` (a
    /// complete raw deflate stream of the data, with CRC-32 `crc` over `size` bytes).
    static func deflated(name: String, head: [UInt8], body: Piece, crc: UInt32, size: Int64) throws -> EncodedMember {
        var front = Data()
        let z = try Deflater(level: level) { front.append(contentsOf: $0) }
        try head.withUnsafeBytes { try z.append($0) }
        try z.syncFlush()
        return EncodedMember(name: name, method: 8, crc: Deflater.crc32Combine(z.crc, crc, secondLength: size), size: z.size + size,
                             pieces: [.bytes(front), body])
    }

    /// Hands the compressed bytes to `write`, in order.
    func copy(to write: (UnsafeRawBufferPointer) throws -> Void) throws {
        for piece in pieces {
            switch piece {
            case let .bytes(d):
                try d.withUnsafeBytes { try write($0) }
            case let .file(url, _):
                let reader = try FileHandle(forReadingFrom: url)
                defer { try? reader.close() }
                while let chunk = try reader.read(upToCount: 1 << 20), !chunk.isEmpty {
                    try chunk.withUnsafeBytes { try write($0) }
                }
            }
        }
    }
}

/// An array too large to keep in memory while cores are built: values are deflated as they
/// are appended, into a temporary file that becomes the member's data.
final class DeflatedColumn {
    let dtype: ArchiveDType
    let url: URL
    private let handle: FileHandle
    private var deflater: Deflater?
    private var buffer: [UInt8] = []
    private(set) var count = 0

    init(directory: URL, name: String, dtype: ArchiveDType) throws {
        self.dtype = dtype
        url = directory.appendingPathComponent(name + ".deflate")
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        let handle = try FileHandle(forWritingTo: url)
        self.handle = handle
        buffer.reserveCapacity(1 << 20)
        deflater = try Deflater(level: EncodedMember.level) { bytes in try handle.write(contentsOf: bytes) }
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

    private func flush() throws {
        guard !buffer.isEmpty, let z = deflater else { return }
        try buffer.withUnsafeBytes { try z.append($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// The member holding what was appended (the column takes no more values).
    func member(_ name: String, shape: [Int]? = nil) throws -> EncodedMember {
        try flush()
        guard let z = deflater else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path]) }
        try z.finish()
        deflater = nil
        try handle.close()
        let compressed = Int64((try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.int64Value ?? 0)
        return try EncodedMember.deflated(name: name, head: NPYHeader(descr: dtype.rawValue, shape: shape ?? [count]).encoded(),
                                          body: .file(url, compressed), crc: z.crc, size: z.size)
    }
}
