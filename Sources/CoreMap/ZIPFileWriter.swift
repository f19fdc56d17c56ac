import Foundation

/// Writes a ZIP file (PKWARE APPNOTE 6.3) from members whose compressed bytes are already
/// made: local header, bytes, and at the end the central directory, with ZIP64 records
/// where a size, an offset or the member count passes what 32 (or 16) bits hold.
///
/// Only the framing is written here; zlib does the deflating (``Deflater``). ZIPFoundation,
/// which reads the archives, cannot take members deflated beforehand: it compresses each
/// member itself, one after another, at zlib's default level with a CRC-32 computed a byte
/// at a time, which made writing the full-size SiamSNN map take longer than compiling it.
/// Every entry carries the same fixed time, so the bytes depend only on the members.
final class ZIPFileWriter {
    private struct Entry {
        var name: [UInt8]
        var method: UInt16
        var crc: UInt32
        var size: UInt64
        var compressedSize: UInt64
        var offset: UInt64
    }

    /// 2000-01-01 00:00 in MS-DOS form (date: years since 1980 << 9 | month << 5 | day).
    static let dosTime: UInt16 = 0
    static let dosDate: UInt16 = (2000 - 1980) << 9 | 1 << 5 | 1
    static let max32: UInt64 = 0xFFFF_FFFF

    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var offset: UInt64 = 0
    private var entries: [Entry] = []
    /// Tests set this to give every entry ZIP64 records, which real maps need only past 4 GiB.
    let forceZIP64: Bool

    init(path: String, forceZIP64: Bool = false) throws {
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        self.forceZIP64 = forceZIP64
        buffer.reserveCapacity(1 << 20)
    }

    /// Adds a member: `method` 8 (deflate) or 0 (stored), the CRC-32 and size of its
    /// uncompressed bytes, and `write`, which hands over its compressed bytes in order.
    func add(name: String, method: UInt16, crc: UInt32, size: UInt64, compressedSize: UInt64,
             write: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let entry = Entry(name: Array(name.utf8), method: method, crc: crc, size: size, compressedSize: compressedSize, offset: offset)
        let zip64 = forceZIP64 || size >= Self.max32 || compressedSize >= Self.max32
        var extra: [UInt8] = []
        if zip64 {
            Self.put(&extra, UInt16(0x0001)); Self.put(&extra, UInt16(16))
            Self.put(&extra, size); Self.put(&extra, compressedSize)
        }
        var head: [UInt8] = []
        Self.put(&head, UInt32(0x0403_4B50))
        Self.put(&head, UInt16(zip64 ? 45 : 20))  // version needed to extract
        Self.put(&head, UInt16(0))  // flags
        Self.put(&head, method)
        Self.put(&head, Self.dosTime); Self.put(&head, Self.dosDate)
        Self.put(&head, crc)
        Self.put(&head, zip64 ? UInt32(Self.max32) : UInt32(compressedSize))
        Self.put(&head, zip64 ? UInt32(Self.max32) : UInt32(size))
        Self.put(&head, UInt16(entry.name.count)); Self.put(&head, UInt16(extra.count))
        try emit(head + entry.name + extra)
        let start = offset
        try write { bytes in try emit(bytes) }
        guard offset - start == compressedSize else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "member \(name): \(offset - start) bytes written, \(compressedSize) announced"])
        }
        entries.append(entry)
    }

    /// Writes the central directory and the end records and closes the file; returns its size.
    func finish() throws -> UInt64 {
        let directoryStart = offset
        for e in entries {
            // Forced or not, an offset of 0 stays in its 32-bit field: ZIPFoundation reads a
            // ZIP64 offset of 0 as absent.
            let big = (size: forceZIP64 || e.size >= Self.max32, compressed: forceZIP64 || e.compressedSize >= Self.max32,
                       offset: (forceZIP64 && e.offset > 0) || e.offset >= Self.max32)
            var extra: [UInt8] = []
            let fields = [big.size ? e.size : nil, big.compressed ? e.compressedSize : nil, big.offset ? e.offset : nil].compactMap { $0 }
            if !fields.isEmpty {
                Self.put(&extra, UInt16(0x0001)); Self.put(&extra, UInt16(8 * fields.count))
                for f in fields { Self.put(&extra, f) }
            }
            var record: [UInt8] = []
            Self.put(&record, UInt32(0x0201_4B50))
            Self.put(&record, UInt16(3 << 8 | 45))  // made by: Unix, APPNOTE 4.5
            Self.put(&record, UInt16(fields.isEmpty ? 20 : 45))
            Self.put(&record, UInt16(0)); Self.put(&record, e.method)
            Self.put(&record, Self.dosTime); Self.put(&record, Self.dosDate)
            Self.put(&record, e.crc)
            Self.put(&record, big.compressed ? UInt32(Self.max32) : UInt32(e.compressedSize))
            Self.put(&record, big.size ? UInt32(Self.max32) : UInt32(e.size))
            Self.put(&record, UInt16(e.name.count)); Self.put(&record, UInt16(extra.count))
            Self.put(&record, UInt16(0))  // comment length
            Self.put(&record, UInt16(0))  // disk number start
            Self.put(&record, UInt16(0))  // internal attributes
            Self.put(&record, UInt32(0o100644) << 16)  // external: a regular file, rw-r--r--
            Self.put(&record, big.offset ? UInt32(Self.max32) : UInt32(e.offset))
            try emit(record + e.name + extra)
        }
        let directorySize = offset - directoryStart
        let count = UInt64(entries.count)
        if forceZIP64 || count >= 0xFFFF || directoryStart >= Self.max32 || directorySize >= Self.max32 {
            let recordStart = offset
            var record: [UInt8] = []
            Self.put(&record, UInt32(0x0606_4B50)); Self.put(&record, UInt64(44))
            Self.put(&record, UInt16(3 << 8 | 45)); Self.put(&record, UInt16(45))
            Self.put(&record, UInt32(0)); Self.put(&record, UInt32(0))
            Self.put(&record, count); Self.put(&record, count)
            Self.put(&record, directorySize); Self.put(&record, directoryStart)
            Self.put(&record, UInt32(0x0706_4B50)); Self.put(&record, UInt32(0)); Self.put(&record, recordStart); Self.put(&record, UInt32(1))
            try emit(record)
        }
        var end: [UInt8] = []
        Self.put(&end, UInt32(0x0605_4B50))
        Self.put(&end, UInt16(0)); Self.put(&end, UInt16(0))
        let count16 = UInt16(min(count, 0xFFFF))
        Self.put(&end, forceZIP64 ? UInt16(0xFFFF) : count16); Self.put(&end, forceZIP64 ? UInt16(0xFFFF) : count16)
        Self.put(&end, forceZIP64 ? UInt32(Self.max32) : UInt32(min(directorySize, Self.max32)))
        Self.put(&end, forceZIP64 ? UInt32(Self.max32) : UInt32(min(directoryStart, Self.max32)))
        Self.put(&end, UInt16(0))
        try emit(end)
        try flush()
        try handle.close()
        return offset
    }

    private func emit(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try emit($0) }
    }

    private func emit(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        offset += UInt64(bytes.count)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Little-endian, as every ZIP field is.
    private static func put<T: FixedWidthInteger>(_ bytes: inout [UInt8], _ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
