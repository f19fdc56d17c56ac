import Foundation

/// Where each member's data lies in a ZIP file, read from its central directory and local
/// headers (PKWARE APPNOTE 4.3.6-4.3.16, ZIP64 included), so that a member whose stated
/// compressed size runs past the end of the file is refused before ZIPFoundation reads it:
/// ZIPFoundation's inflate loop waits forever for bytes after the end (found by fuzzing,
/// docs/reliability.md). Only offsets and sizes are read here; ZIPFoundation reads the
/// archive itself.
public struct ZIPMemberExtents: Sendable {
    /// Member name -> the end of its compressed data (offset of its last byte + 1), and the
    /// offset of the central directory, which every member's data precedes.
    public let dataEnd: [String: Int]
    public let directoryStart: Int
    /// The file's size in bytes: no member's compressed bytes can be more.
    public let fileSize: Int

    /// The size of the file at `path` in bytes, 0 when it cannot be read.
    public static func fileSize(path: String) -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { return 0 }
        defer { try? handle.close() }
        return Int(clamping: (try? handle.seekToEnd()) ?? 0)
    }

    /// nil when `member`'s data, as the directory states it, lies within the file before the
    /// central directory, and its stated uncompressed size is one deflate can give
    /// (at most about 1,032 to 1); else what is wrong, for an error message.
    public func problem(member: String, compressed: UInt64, uncompressed: UInt64) -> String? {
        let stored = Int(clamping: compressed), declared = Int(clamping: uncompressed)
        guard stored <= fileSize, let end = dataEnd[member], end <= directoryStart else {
            return "declares \(stored) compressed bytes, which run past the end of its data in a file of \(fileSize); the archive is corrupt"
        }
        let room = stored > (Int.max - 4096) / 1100 ? Int.max : stored * 1100 + 4096
        guard declared <= room else {
            return "declares \(declared) bytes in \(stored) compressed bytes, more than deflate can hold; the archive is corrupt"
        }
        return nil
    }

    /// nil when the file's end records or central directory cannot be read; ZIPFoundation
    /// then refuses the archive itself.
    public init?(path: String) {
        let fileSize = Self.fileSize(path: path)
        guard let file = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? file.close() }
        func bytes(_ offset: Int, _ count: Int) -> [UInt8]? {
            if count == 0 && offset >= 0 && offset <= fileSize { return [] }
            guard offset >= 0, count >= 0, offset <= fileSize, count <= fileSize - offset,
                  (try? file.seek(toOffset: UInt64(offset))) != nil,
                  let data = try? file.read(upToCount: count), data.count == count else { return nil }
            return [UInt8](data)
        }
        func int(_ b: [UInt8], _ at: Int, _ size: Int) -> Int {
            var v: UInt64 = 0
            for k in (0..<size).reversed() { v = v << 8 | UInt64(b[at + k]) }
            return Int(clamping: v)
        }
        // The end of central directory record: the last signature 0x06054b50 within the
        // final 22 + 65,535 bytes (a comment may follow it).
        let tailSize = min(fileSize, 22 + 65_535)
        guard let tail = bytes(fileSize - tailSize, tailSize), tail.count >= 22,
              let end = stride(from: tail.count - 22, through: 0, by: -1).first(where: { tail[$0] == 0x50 && tail[$0 + 1] == 0x4b && tail[$0 + 2] == 5 && tail[$0 + 3] == 6 }) else { return nil }
        var entries = int(tail, end + 10, 2), directory = int(tail, end + 16, 4)
        let endOffset = fileSize - tailSize + end
        if entries == 0xFFFF || directory == 0xFFFF_FFFF {
            // ZIP64: the locator just before the record gives the ZIP64 end record.
            guard let locator = bytes(endOffset - 20, 20), int(locator, 0, 4) == 0x0706_4b50,
                  let record = bytes(int(locator, 8, 8), 56), int(record, 0, 4) == 0x0606_4b50 else { return nil }
            entries = int(record, 32, 8)
            directory = int(record, 48, 8)
        }
        guard directory <= endOffset else { return nil }
        var ends: [String: Int] = [:]
        var p = directory
        for _ in 0..<min(entries, 1 << 20) {
            guard let head = bytes(p, 46), int(head, 0, 4) == 0x0201_4b50 else { return nil }
            let nameLength = int(head, 28, 2), extraLength = int(head, 30, 2), commentLength = int(head, 32, 2)
            guard let name = bytes(p + 46, nameLength), let extra = bytes(p + 46 + nameLength, extraLength) else { return nil }
            var compressed = int(head, 20, 4), local = int(head, 42, 4)
            // ZIP64 extended information (tag 1): the 8-byte fields whose 4-byte ones are
            // 0xFFFFFFFF, in the order uncompressed, compressed, local header offset.
            var e = 0
            while e + 4 <= extra.count {
                let tag = int(extra, e, 2), size = int(extra, e + 2, 2)
                if tag == 1 {
                    var q = e + 4
                    for (field, wide) in [(0, int(head, 24, 4) == 0xFFFF_FFFF), (1, compressed == 0xFFFF_FFFF), (2, local == 0xFFFF_FFFF)] where wide {
                        guard q + 8 <= min(e + 4 + size, extra.count) else { return nil }
                        if field == 1 { compressed = int(extra, q, 8) } else if field == 2 { local = int(extra, q, 8) }
                        q += 8
                    }
                }
                e += 4 + size
            }
            guard let localHead = bytes(local, 30), int(localHead, 0, 4) == 0x0403_4b50 else { return nil }
            let start = local + 30 + int(localHead, 26, 2) + int(localHead, 28, 2)
            let (stop, overflow) = start.addingReportingOverflow(compressed)
            ends[String(decoding: name, as: UTF8.self)] = overflow ? Int.max : stop
            p += 46 + nameLength + extraLength + commentLength
        }
        dataEnd = ends
        directoryStart = directory
        self.fileSize = fileSize
    }
}
