import Foundation
import TesseraSupport
import ZIPFoundation

/// Reads the `.npy` members of a ZIP archive into typed arrays, checking each member's
/// dtype, rank and byte count before it allocates, so that a truncated, corrupt or lying
/// archive is reported by member name rather than crashing or exhausting memory.
struct ArchiveArrayReader {
    let path: String
    let archive: Archive
    /// Where each member's data ends, from the archive's own directory.
    let extents: ZIPMemberExtents?

    init(path: String) throws(DiagnosticError) {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw DiagnosticError("cannot read core map '\(path)': no such file")
        }
        extents = ZIPMemberExtents(path: path)
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw DiagnosticError("\(path): not a readable .npz (zip) archive (\(error)); a v2 core map is a ZIP of .npy arrays")
        }
    }

    func fail(_ member: String, _ message: String) -> DiagnosticError {
        DiagnosticError("\(path): member '\(member).npy': \(message)")
    }

    var memberNames: [String] { archive.map(\.path) }

    /// The array `name` (without `.npy`) as `T`, with its shape. `rank` is checked when given.
    func read<T: FixedWidthInteger>(_ name: String, as dtype: ArchiveDType, rank: Int? = nil) throws(DiagnosticError) -> (shape: [Int], values: [T]) {
        guard MemoryLayout<T>.size == dtype.size else { throw fail(name, "internal: \(T.self) does not hold \(dtype.rawValue)") }
        guard let entry = archive[name + ".npy"] else {
            throw fail(name, "missing: a v2 core map has this array (see docs/coremap-format.md)")
        }
        // Sizes and offsets from the ZIP directory, as the file states them, checked
        // against the file before ZIPFoundation reads the member (ZIPMemberExtents).
        if let problem = extents.map({ $0.problem(member: name + ".npy", compressed: entry.compressedSize, uncompressed: entry.uncompressedSize) })
            ?? "its archive's directory cannot be read; the archive is corrupt" {
            throw fail(name, problem)
        }
        let declared = Int(clamping: entry.uncompressedSize)
        var prefix = Data()
        var header: NPYHeader?
        var values: [T] = []
        var filled = 0
        var problem: DiagnosticError?
        var crc: UInt32 = 0
        do {
            // ZIPFoundation's own CRC-32 on Linux is a byte-at-a-time table (it looks for a
            // zlib module by another name), which took most of a 4 GB map's load; zlib's,
            // over each inflated chunk, is the same checksum at memory speed.
            _ = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: true) { chunk in
                chunk.withUnsafeBytes { crc = Deflater.crc32(crc, $0) }
                guard problem == nil else { return }
                var rest = chunk[...]
                if header == nil {
                    prefix += chunk
                    guard prefix.count >= 10 else { return }
                    let parsed: (NPYHeader, Int)
                    do throws(NPYHeader.FormatError) { parsed = try NPYHeader.parse(prefix) } catch {
                        if prefix.count < 1 << 16 && error.message.contains("truncated") { return }
                        problem = fail(name, error.message)
                        return
                    }
                    let h = parsed.0
                    guard dtype.spellings.contains(h.descr) else {
                        problem = fail(name, "dtype '\(h.descr)', expected '\(dtype.rawValue)'")
                        return
                    }
                    guard !h.fortranOrder else { problem = fail(name, "stored in Fortran order; expected C order"); return }
                    if let rank, h.shape.count != rank {
                        problem = fail(name, "shape \(h.shape) has \(h.shape.count) dimensions, expected \(rank)")
                        return
                    }
                    // The byte count without overflow: a corrupt shape must not trap.
                    let needed = h.count.multipliedReportingOverflow(by: dtype.size).overflow ? Int.max : h.count * dtype.size
                    guard needed == declared - parsed.1 else {
                        problem = fail(name, "shape \(h.shape) of \(dtype.rawValue) needs \(needed == Int.max ? "more than 2^63" : String(needed)) bytes, the member holds \(declared - parsed.1)")
                        return
                    }
                    header = h
                    values = HugePages.array(repeating: 0, count: h.count)
                    rest = prefix[(prefix.startIndex + parsed.1)...]
                }
                let bytes = rest.count
                guard filled + bytes <= values.count * dtype.size else {
                    problem = fail(name, "holds more data than its shape declares")
                    return
                }
                _ = values.withUnsafeMutableBytes { raw in
                    rest.copyBytes(to: UnsafeMutableRawBufferPointer(rebasing: raw[filled..<(filled + bytes)]))
                }
                filled += bytes
            }
        } catch {
            throw fail(name, "corrupt or truncated (\(error))")
        }
        if let problem { throw problem }
        guard crc == entry.checksum else {
            throw fail(name, "CRC-32 mismatch (stored \(hex(entry.checksum)), computed \(hex(crc))): the member's data is corrupt")
        }
        guard let header else { throw fail(name, "truncated: shorter than a .npy header") }
        guard filled == values.count * dtype.size else {
            throw fail(name, "truncated: \(filled) of \(values.count * dtype.size) data bytes")
        }
        if dtype.size > 1 { for k in values.indices { values[k] = T(littleEndian: values[k]) } }
        return (header.shape, values)
    }
}

/// A CRC-32 as the 8 hex digits zip tools print.
func hex(_ crc: UInt32) -> String {
    let digits = String(crc, radix: 16)
    return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
