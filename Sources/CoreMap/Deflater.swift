import Foundation
import SystemZlib

/// A raw deflate stream (RFC 1951, the form a ZIP member stores) and the CRC-32 of what went
/// in, both from zlib. Compressed bytes go to `sink` as they are produced, so a member of
/// gigabytes is never held whole.
///
///     let z = try Deflater(level: 6) { bytes in output.append(contentsOf: bytes) }
///     try z.append(data)
///     try z.finish()          // z.crc, z.size
final class Deflater {
    /// zlib keeps a pointer back to its stream, so the stream must not move: it lives in
    /// memory of its own rather than in a stored property.
    private let stream: UnsafeMutablePointer<z_stream>
    private var out: [UInt8]
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private(set) var crc: UInt32 = 0
    private(set) var size: Int64 = 0
    private var finished = false

    init(level: Int32, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws(ZlibError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        out = [UInt8](repeating: 0, count: 1 << 18)
        self.sink = sink
        // Negative window bits: a raw stream, without zlib's own header and checksum.
        let status = deflateInit2_(stream, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            throw ZlibError(status: status)
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// Compresses `bytes`.
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count > 0 else { return }
        crc = Deflater.crc32(crc, bytes)
        size += Int64(bytes.count)
        // zlib counts input in 32-bit lengths.
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, 1 << 30)
            stream.pointee.next_in = UnsafeMutablePointer(mutating: base + offset)
            stream.pointee.avail_in = UInt32(n)
            try run(Z_NO_FLUSH)
            offset += n
        }
    }

    func append(_ data: Data) throws {
        try data.withUnsafeBytes { try append($0) }
    }

    /// Ends the stream with a final block.
    func finish() throws {
        guard !finished else { return }
        finished = true
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try run(Z_FINISH)
    }

    /// Ends what was given so far on a byte boundary without a final block, so that another
    /// raw deflate stream may follow it: how a member's `.npy` header, known only at the
    /// end, is put in front of data compressed while it was produced.
    func syncFlush() throws {
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try run(Z_SYNC_FLUSH)
    }

    private func run(_ flush: Int32) throws {
        repeat {
            let status = out.withUnsafeMutableBufferPointer { buffer -> Int32 in
                stream.pointee.next_out = buffer.baseAddress
                stream.pointee.avail_out = UInt32(buffer.count)
                return deflate(stream, flush)
            }
            // Z_BUF_ERROR only says no progress was possible, which a flush with no new
            // input may report; anything else below zero is a real failure.
            guard status >= Z_OK || status == Z_BUF_ERROR else { throw ZlibError(status: status) }
            let produced = out.count - Int(stream.pointee.avail_out)
            if produced > 0 { try out.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) } }
            if flush == Z_FINISH, status == Z_STREAM_END { return }
            if stream.pointee.avail_out != 0, flush != Z_FINISH { return }
        } while true
    }

    /// The CRC-32 of ZIP (zlib's, which uses the processor's carry-less multiply where it can).
    static func crc32(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return crc }
        var value = UInt(crc)
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, 1 << 30)
            value = SystemZlib.crc32(value, base + offset, UInt32(n))
            offset += n
        }
        return UInt32(truncatingIfNeeded: value)
    }

    /// The CRC-32 of two pieces end to end, from the CRC-32 of each and the second's length.
    static func crc32Combine(_ first: UInt32, _ second: UInt32, secondLength: Int64) -> UInt32 {
        UInt32(truncatingIfNeeded: crc32_combine(UInt(first), UInt(second), Int(secondLength)))
    }
}

/// A zlib call that failed, with zlib's status code.
struct ZlibError: Error, CustomStringConvertible {
    let status: Int32
    var description: String { "zlib error \(status)" }
}
