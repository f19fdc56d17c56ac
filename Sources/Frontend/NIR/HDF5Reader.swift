import CHDF5
import Foundation
import TesseraSupport

/// The few things a NIR file needs from libhdf5: the members of a group, whether a member
/// is a group or a dataset, and a dataset's shape with its numbers or strings. Contiguous
/// and chunked (gzip) storage, float32, float64 and integer data are libhdf5's business;
/// numbers come back as Double.
struct HDF5Reader {
    /// Held while a NIR file is read (``NIRReader/read(path:)``).
    static let lock = NSLock()

    /// One open HDF5 object (file, group or dataset), closed when the last copy goes.
    final class Handle {
        let id: hid_t
        private let close: (hid_t) -> herr_t
        /// A group's member names, listed once (``HDF5Reader/member(_:of:)`` asks for names
        /// only among them).
        var names: Set<String>?
        init?(_ id: hid_t, close: @escaping (hid_t) -> herr_t) {
            guard id >= 0 else { return nil }
            self.id = id
            self.close = close
        }
        deinit { _ = close(id) }
    }

    let path: String
    let file: Handle
    /// The file's size in bytes: no dataset stores more (``dataset(_:)`` checks against it).
    let fileSize: Int
    /// What string reads are checked against first (libhdf5 trusts heap objects).
    let heap: HDF5GlobalHeap?

    /// Opens `path` read-only; a file that is not HDF5 is an error naming it.
    init(path: String) throws(DiagnosticError) {
        tessera_h5_silence()
        self.path = path
        guard H5Fis_hdf5(path) > 0 else {
            throw DiagnosticError("\(path): not an HDF5 file (NIR files are HDF5, written by nir.write)")
        }
        // libhdf5 1.10 trusts a file's B-trees, heaps and object headers, and some corrupt
        // ones crash it: a child process walks the structure first (probe.h). Fuzz builds
        // leave it out: forking a process under AddressSanitizer costs about 30 ms, a
        // hundred times the read, and what the walk would refuse is what libFuzzer reports
        // as a crash inside libhdf5, triaged by replaying it through the release binary
        // (docs/reliability.md).
        #if !FUZZING
        switch tessera_h5_probe(path, Self.probeSeconds) {
        case 0, -2: break
        case -1: throw DiagnosticError("\(path): libhdf5 did not finish reading the file's structure in \(Self.probeSeconds) s; corrupt HDF5")
        case -3: throw DiagnosticError("\(path): libhdf5 failed reading the file's structure; corrupt HDF5")
        case let signal: throw DiagnosticError("\(path): libhdf5 crashed (signal \(signal)) reading the file's structure; corrupt HDF5")
        }
        #endif
        guard let file = Handle(H5Fopen(path, tessera_h5f_read_only(), tessera_h5p_default()), close: H5Fclose) else {
            throw DiagnosticError("\(path): not an HDF5 file (NIR files are HDF5, written by nir.write)")
        }
        self.file = file
        var size: hsize_t = 0
        fileSize = H5Fget_filesize(file.id, &size) >= 0 ? Int(clamping: size) : Int.max
        heap = HDF5GlobalHeap(file: file.id, path: path, fileSize: fileSize)
    }

    /// The file's root group.
    var root: Handle? { Handle(H5Gopen2(file.id, "/", tessera_h5p_default()), close: H5Gclose) }

    /// The names of a group's members, in HDF5's name order.
    func members(_ group: Handle) -> [String] {
        var info = H5G_info_t()
        guard H5Gget_info(group.id, &info) >= 0 else { return [] }
        return (0..<info.nlinks).compactMap { i -> String? in
            let size = H5Lget_name_by_idx(group.id, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, tessera_h5p_default())
            guard size >= 0 else { return nil }
            var buffer = [CChar](repeating: 0, count: Int(size) + 1)
            _ = H5Lget_name_by_idx(group.id, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, Int(size) + 1, tessera_h5p_default())
            return String(decoding: buffer.prefix(Int(size)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// What a member of a group holds.
    enum Member {
        case group(Handle)
        case numbers(shape: [Int], values: [Double])
        case strings(shape: [Int], values: [String])
        /// A dataset of another kind (compound, opaque, fixed-length strings ...): its class.
        case other(String)
    }

    func member(_ name: String, of group: Handle) -> Member? {
        // Only a name the group lists is opened: looking up one it does not have walks the
        // group's symbol table differently (its B-tree and local heap by the name's hash),
        // where libhdf5 1.10 trusts corrupt entries and can crash; the listing is what the
        // structure walk in the child already read safely (found by fuzzing).
        if group.names == nil { group.names = Set(members(group)) }
        guard group.names?.contains(name) == true else { return nil }
        let id = H5Oopen(group.id, name, tessera_h5p_default())
        guard let object = Handle(id, close: H5Oclose) else { return nil }
        switch H5Iget_type(object.id) {
        case H5I_GROUP: return .group(object)
        case H5I_DATASET: return dataset(object)
        default: return .other("an object that is neither a group nor a dataset")
        }
    }

    private func dataset(_ d: Handle) -> Member {
        guard let space = Handle(H5Dget_space(d.id), close: H5Sclose), let type = Handle(H5Dget_type(d.id), close: H5Tclose) else {
            return .other("an unreadable dataset")
        }
        let rank = Int(H5Sget_simple_extent_ndims(space.id))
        var dims = [hsize_t](repeating: 0, count: max(rank, 1))
        if rank > 0 { _ = H5Sget_simple_extent_dims(space.id, &dims, nil) }
        guard let (shape, count) = Self.extent(dims.prefix(rank)) else {
            return .other("a dataset of shape \(dims.prefix(rank).map { $0 }) whose element count overflows")
        }
        // HDF5's gzip filter (zlib) expands stored bytes at most 1,032 to 1, so a dataset
        // that declares more than that over what it stores is corrupt (or never written):
        // reading it would allocate memory the file cannot fill.
        let declared = count.multipliedReportingOverflow(by: max(1, H5Tget_size(type.id)))
        // What it stores, at most the whole file (a contiguous layout's size is a field).
        let stored = min(Int(clamping: H5Dget_storage_size(d.id)), fileSize)
        let room = stored > (Int.max - Self.slack) / Self.maxExpansion ? Int.max : stored * Self.maxExpansion + Self.slack
        guard !declared.overflow, declared.partialValue <= room else {
            return .other("a dataset of shape \(shape) that declares \(declared.overflow ? "more than 2^63" : "\(declared.partialValue)") bytes but stores \(stored), more than gzip can expand (1,032 to 1); corrupt or truncated")
        }
        // Only a chunked dataset may store less than it declares (chunks never written read
        // as fill values); libhdf5 1.10 copies a compact or contiguous one's declared size
        // from whatever it stores, so less is a read outside its buffer.
        let plist = Handle(H5Dget_create_plist(d.id), close: H5Pclose)
        let layout = plist.map { H5Pget_layout($0.id) } ?? H5D_LAYOUT_ERROR
        guard layout == H5D_CHUNKED || (layout == H5D_COMPACT || layout == H5D_CONTIGUOUS) && stored >= declared.partialValue else {
            let kind = layout == H5D_COMPACT ? "compact" : layout == H5D_CONTIGUOUS ? "contiguous" : "virtual or unknown"
            return .other("a \(kind) dataset of shape \(shape) that declares \(declared.partialValue) bytes but stores \(stored); corrupt or truncated")
        }
        if layout == H5D_CHUNKED, let plist, let problem = Self.chunkProblem(plist.id, shape: shape, elementSize: H5Tget_size(type.id), room: room) {
            return .other("a chunked dataset of shape \(shape) whose \(problem); corrupt")
        }
        switch H5Tget_class(type.id) {
        case H5T_FLOAT, H5T_INTEGER:
            if let problem = Self.numericTypeProblem(type.id) { return .other(problem) }
            var values = [Double](repeating: 0, count: count)
            guard count == 0 || H5Dread(d.id, tessera_h5_native_double(), H5S_ALL_ID, H5S_ALL_ID, tessera_h5p_default(), &values) >= 0 else {
                return .other("a numeric dataset whose data cannot be read (corrupt or truncated)")
            }
            return .numbers(shape: shape, values: values)
        case H5T_STRING:
            if H5Tis_variable_str(type.id) > 0 {
                guard tessera_h5_is_plain_vlen_string(type.id) == 1 else {
                    return .other("a string type that is not a plain variable-length string (what h5py writes); corrupt")
                }
                guard let heap else { return .other("a string dataset whose file layout cannot be read") }
                if let problem = heap.problem(dataset: d.id, count: count) {
                    return .other("a string dataset that is corrupt: \(problem)")
                }
            }
            var strings: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
            let n = tessera_h5_read_strings(d.id, &strings)
            defer { if n > 0 { tessera_h5_free_strings(strings, n) } }
            guard n >= 0 else { return .other(n == -2 ? "fixed-length strings (NIR writes variable-length ones)" : "a string dataset that cannot be read") }
            let values = (0..<Int(n)).map { i in strings?[i].map { String(cString: $0) } ?? "" }
            return .strings(shape: shape, values: values)
        default:
            return .other("a dataset of HDF5 class \(H5Tget_class(type.id).rawValue)")
        }
    }
}

extension HDF5Reader {
    /// How long the structure walk may take: a NIR file's structure is a few hundred small
    /// objects, read in milliseconds.
    static let probeSeconds: Int32 = 5

    /// zlib's largest expansion of compressed bytes, and room for small datasets whose
    /// storage libhdf5 reports as none (compact or unwritten): 64 KiB.
    static let maxExpansion = 1_032
    static let slack = 1 << 16

    /// nil when a chunked dataset's chunk fits its shape, else what is wrong. HDF5 keeps a
    /// fixed-size dimension's chunk within the dimension (a NIR file's datasets are all
    /// fixed-size); libhdf5 1.10 allocates a chunk's buffer by the chunk's dimensions and
    /// copies out of it by the dataset's, so a chunk wider than its dataset reads outside
    /// what was filled (found by fuzzing).
    static func chunkProblem(_ plist: hid_t, shape: [Int], elementSize: Int, room: Int) -> String? {
        var chunk = [hsize_t](repeating: 0, count: 32)
        let rank = Int(H5Pget_chunk(plist, 32, &chunk))
        guard rank == shape.count else { return "chunks have \(rank) dimensions for its \(shape.count)" }
        guard let (dims, count) = extent(chunk.prefix(rank)), zip(dims, shape).allSatisfy({ $0 >= 1 && $0 <= max($1, 1) }) else {
            return "chunk \(chunk.prefix(rank).map { Int(clamping: $0) }) is wider than the dataset"
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: max(elementSize, 1))
        return overflow || bytes > room ? "chunk \(dims) holds more than the file can" : nil
    }

    /// A dataset's shape as Ints and its element count, or nil when either overflows.
    static func extent(_ dims: ArraySlice<hsize_t>) -> (shape: [Int], count: Int)? {
        var shape: [Int] = [], count = 1
        for d in dims {
            guard let n = Int(exactly: d) else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else { return nil }
            shape.append(n)
            count = product
        }
        return (shape, count)
    }
}

/// H5S_ALL is 0 in libhdf5 (a macro Swift cannot import).
private let H5S_ALL_ID: hid_t = 0
