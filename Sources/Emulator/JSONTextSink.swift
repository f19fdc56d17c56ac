import Foundation

/// UTF-8 text built in a byte buffer, for output files too large to build as a `String`:
/// a full-size frame's spike file holds tens of millions of `[tick, index]` pairs, and a
/// string per pair cost more than the emulation of a tick. With a file handle the buffer
/// is written out whenever it passes ``flushBytes``, so memory stays at one buffer.
///
///     var sink = JSONTextSink()
///     sink.append("[")
///     sink.append(-42)
///     sink.append("]")
///     assert(sink.text == "[-42]")
struct JSONTextSink {
    /// Bytes gathered before a streamed sink writes them out.
    static let flushBytes = 1 << 22

    private(set) var bytes: [UInt8] = []
    private let handle: FileHandle?
    /// The first write error, kept so the caller reports it once at the end.
    private(set) var failure: Error?

    /// A sink that keeps everything in memory (read it back with ``text``).
    init() { handle = nil }

    /// A sink that streams into `handle`; call ``finish()`` at the end.
    init(streamingTo handle: FileHandle) {
        self.handle = handle
        bytes.reserveCapacity(Self.flushBytes + 4096)
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    mutating func append(_ s: String) {
        bytes.append(contentsOf: s.utf8)
        flushIfFull()
    }

    /// Appends `n` in decimal, as `String(n)` writes it.
    mutating func append(_ n: Int) {
        if n < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = n.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 24 digits, filled from the end
        withUnsafeMutableBytes(of: &digits) { raw in
            var k = raw.count
            repeat {
                k -= 1
                raw[k] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: raw[k...])
        }
        flushIfFull()
    }

    /// `[a, b, c]`.
    mutating func append(list values: [Int]) {
        bytes.append(UInt8(ascii: "["))
        for (k, v) in values.enumerated() {
            if k > 0 { bytes.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: " ")]) }
            append(v)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Writes out what is gathered, if streaming.
    mutating func finish() {
        guard let handle, !bytes.isEmpty, failure == nil else { return }
        do { try handle.write(contentsOf: bytes) } catch { failure = error }
        bytes.removeAll(keepingCapacity: true)
    }

    private mutating func flushIfFull() {
        if handle != nil && bytes.count >= Self.flushBytes { finish() }
    }
}
