import Foundation
import SpikeIR
import TesseraSupport
import ZIPFoundation

/// A NumPy `.npz` archive (`numpy.savez` / `savez_compressed`): a zip file of `.npy`
/// members, one per array, named `KEY.npy`. Reading goes through ZIPFoundation, which
/// handles both stored and deflated members; each member's CRC-32 is checked.
public struct NPZArchive {
    public let path: String
    private let archive: Archive
    /// Array keys (member names without `.npy`), sorted.
    public let keys: [String]
    /// Where each member's data lies, checked before ZIPFoundation reads it.
    private let extents: ZIPMemberExtents?

    public init(path: String) throws(NPYFile.FormatError) {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw NPYFile.FormatError("cannot read '\(path)': no such file")
        }
        let url = URL(fileURLWithPath: path)
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw NPYFile.FormatError("'\(path)' is not a readable .npz (zip) archive: \(error)")
        }
        extents = ZIPMemberExtents(path: path)
        keys = archive.map(\.path).filter { $0.hasSuffix(".npy") }.map { String($0.dropLast(4)) }.sorted()
    }

    /// The array stored under `key`, or nil if the archive has no such member.
    public func tensor(_ key: String) throws(NPYFile.FormatError) -> Tensor? {
        guard let entry = archive[key + ".npy"] else { return nil }
        // A member running past the file's end would have ZIPFoundation wait for more bytes
        // forever, and one claiming more than deflate can give would fill memory.
        if let problem = extents.map({ $0.problem(member: key + ".npy", compressed: entry.compressedSize, uncompressed: entry.uncompressedSize) })
            ?? "its archive's directory cannot be read" {
            throw NPYFile.FormatError("member '\(key).npy' of '\(path)' is corrupt: \(problem)")
        }
        var data = Data()
        let crc: UInt32
        do {
            crc = try archive.extract(entry, skipCRC32: false) { data.append($0) }
        } catch {
            throw NPYFile.FormatError("member '\(key).npy' of '\(path)' is corrupt: \(error)")
        }
        // ZIPFoundation returns the CRC-32 of what it read and leaves the comparison to us
        // (numpy.load refuses a mismatch with "Bad CRC-32").
        guard crc == entry.checksum else {
            throw NPYFile.FormatError("member '\(key).npy' of '\(path)' is corrupt: CRC-32 mismatch (stored \(String(entry.checksum, radix: 16)), computed \(String(crc, radix: 16)))")
        }
        do {
            return try NPYFile.parse(data)
        } catch {
            throw NPYFile.FormatError("member '\(key).npy' of '\(path)': \(error.message)")
        }
    }
}
