import CHDF5
import Foundation

/// Checks the global heap objects a variable-length string dataset points to before
/// libhdf5 reads them. libhdf5 1.10 (Debian's) trusts them: it loops forever on a heap
/// collection whose free-space object has size 0, and copies an object into a buffer sized
/// by the string's own length field, so a corrupt file hangs or overruns memory inside the
/// library (found by fuzzing, docs/reliability.md). The check walks the collection's object
/// headers as libhdf5 does, by the HDF5 File Format Specification (version 3.0, section
/// III.E, "Global Heap"), and refuses what would go wrong; it reads no string itself.
///
/// A string element on disk is its length (4 bytes), the address of a heap collection and
/// an object index (4 bytes). A collection is "GCOL", version 1, 3 reserved bytes and its
/// size; then objects, each an index (2), a reference count (2), 4 reserved bytes and its
/// size, then its bytes padded to 8. Index 0 is the free space, whose size covers its own
/// header.
struct HDF5GlobalHeap {
    let path: String
    let fileSize: Int
    /// Where address 0 is in the file (after a user block).
    let base: Int
    /// Bytes of an address and of a length in this file (its superblock says; 8 and 8 as
    /// h5py writes).
    let offsetSize: Int
    let lengthSize: Int

    /// The layout of `file`, or nil when libhdf5 cannot give it.
    init?(file: hid_t, path: String, fileSize: Int) {
        let plist = H5Fget_create_plist(file)
        guard plist >= 0 else { return nil }
        defer { _ = H5Pclose(plist) }
        var offsets = 0, lengths = 0
        var userBlock: hsize_t = 0
        guard H5Pget_sizes(plist, &offsets, &lengths) >= 0, H5Pget_userblock(plist, &userBlock) >= 0,
              (2...8).contains(offsets), (2...8).contains(lengths) else { return nil }
        self.path = path
        self.fileSize = fileSize
        self.base = Int(clamping: userBlock)
        self.offsetSize = offsets
        self.lengthSize = lengths
    }

    /// nil when every string of `dataset` (a variable-length string dataset of `count`
    /// elements) points to a sound heap object of its own length, else why not.
    func problem(dataset: hid_t, count: Int) -> String? {
        guard count > 0 else { return nil }
        let plist = H5Dget_create_plist(dataset)
        guard plist >= 0 else { return "its storage layout cannot be read" }
        let layout = H5Pget_layout(plist)
        _ = H5Pclose(plist)
        // h5py, which nir.write uses, stores string datasets contiguous; only then are the
        // elements' heap addresses where the check can read them.
        guard layout == H5D_CONTIGUOUS else { return "its variable-length strings are not stored contiguously (h5py, which writes NIR files, stores them so)" }
        let element = 4 + offsetSize + 4
        let offset = H5Dget_offset(dataset)
        let stored = Int(clamping: H5Dget_storage_size(dataset))
        // Never written: libhdf5 reads empty strings without touching a heap.
        if offset == haddr_t.max && stored == 0 { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: element)
        guard let start = Int(exactly: offset), !overflow, stored >= bytes, let raw = read(at: start, count: bytes) else {
            return "its \(count) strings' heap addresses lie outside the file"
        }
        var objects: [Int: [Int: Int]] = [:]   // collection address -> index -> size
        for i in 0..<count {
            let p = i * element
            let length = Self.integer(raw, at: p, size: 4)
            let collection = Self.integer(raw, at: p + 4, size: offsetSize)
            let index = Self.integer(raw, at: p + 4 + offsetSize, size: 4)
            if collection == 0 && length == 0 { continue }   // a null string
            if objects[collection] == nil {
                switch self.objects(collection: collection) {
                case let .success(found): objects[collection] = found
                case let .failure(why): return "string \(i) points to heap collection at \(collection), \(why.reason)"
                }
            }
            guard let size = objects[collection]?[index] else {
                return "string \(i) points to object \(index) of heap collection at \(collection), which has no such object"
            }
            guard size == length else {
                return "string \(i) is \(length) bytes long but its heap object holds \(size)"
            }
        }
        return nil
    }

    struct Refusal: Error { let reason: String }

    /// The objects of the collection at `address` (index -> size), walked as libhdf5's
    /// loader walks them, or why it is unsound.
    func objects(collection address: Int) -> Result<[Int: Int], Refusal> {
        let header = 8 + lengthSize
        guard address >= 0, address <= fileSize - base - header, let head = read(at: base + address, count: header) else {
            return .failure(Refusal(reason: "outside the file"))
        }
        guard head.prefix(4).elementsEqual("GCOL".utf8), head[head.startIndex + 4] == 1 else {
            return .failure(Refusal(reason: "which is not a version 1 global heap collection"))
        }
        let size = Self.integer(head, at: 8, size: lengthSize)
        guard size >= header, size <= fileSize - base - address, let heap = read(at: base + address, count: size) else {
            return .failure(Refusal(reason: "whose size \(size) does not fit the file"))
        }
        let objectHeader = 8 + lengthSize
        var found: [Int: Int] = [:]
        var p = header
        while p < size {
            // The last few bytes, too few for a header, are free space.
            if p + objectHeader > size { break }
            let index = Self.integer(heap, at: p, size: 2)
            let length = Self.integer(heap, at: p + 8, size: lengthSize)
            // Index 0 is the free space, its size including its header; other objects are
            // their header and their bytes padded to 8.
            let padded = length > size ? size + 1 : (length + 7) / 8 * 8
            let need = index == 0 ? length : objectHeader + padded
            guard need > 0, need <= size - p else {
                return .failure(Refusal(reason: "whose object at byte \(p) (index \(index), \(length) bytes) \(need == 0 ? "has size 0" : "runs past the collection's end")"))
            }
            if index > 0 { found[index] = length }
            p += need
        }
        return .success(found)
    }

    /// `count` bytes of the file from `offset`, or nil when they are not all there.
    private func read(at offset: Int, count: Int) -> Data? {
        guard offset >= 0, count >= 0, offset <= fileSize, count <= fileSize - offset,
              let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: UInt64(offset))) != nil, let data = try? handle.read(upToCount: count),
              data.count == count else { return nil }
        return data
    }

    /// A little-endian unsigned integer of `size` bytes at `offset` of `data`, clamped to Int.
    static func integer(_ data: Data, at offset: Int, size: Int) -> Int {
        var value: UInt64 = 0
        for k in (0..<size).reversed() {
            value = value << 8 | UInt64(data[data.startIndex + offset + k])
        }
        return Int(clamping: value)
    }
}
