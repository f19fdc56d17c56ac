import Foundation
import TesseraSupport

/// Writes core map v2: an `.npz` archive of documented NumPy arrays
/// (`docs/coremap-format.md`), with the crossbars, axon-type vectors and neuron blocks that
/// cores share stored once.
///
/// Cores are appended one at a time; the per-core and per-neuron arrays go to temporary
/// files beside the output and the shared tables stay in memory, so peak memory is the
/// tables plus what the caller holds, never the whole map. The per-core arrays are deflated
/// as they grow; ``finish()`` writes the archive (ZIP64 where a member passes 4 GiB) and
/// removes the temporary files.
/// The bytes depend only on the map.
///
///     let writer = try CoreMapArchiveWriter(path: "net.npz", header: header)
///     for c in 0..<count { try writer.append(buildCore(c)) }
///     let summary = try writer.finish()
public final class CoreMapArchiveWriter {
    public let path: String
    let header: CoreMap
    let parts: URL
    var packer: CorePacker
    let columns: [String: DeflatedColumn]
    var finished = false

    static let coreColumns: [(String, ArchiveDType)] = [
        ("core_chip", .int32), ("core_xy", .int32), ("core_seed", .uint64), ("core_layer", .int32), ("core_role", .uint8),
        ("core_crossbar", .int32), ("core_axon_types", .int32), ("core_neurons", .int32), ("core_neuron_start", .int64),
        ("dest_kind", .uint8), ("dest_target", .int32), ("dest_index", .int32), ("dest_delay", .uint8),
    ]

    public init(path: String, header: CoreMap) throws(DiagnosticError) {
        self.path = path
        self.header = header
        packer = CorePacker(header: header, keepsCores: false)
        parts = URL(fileURLWithPath: path + ".parts-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try? FileManager.default.removeItem(at: parts)
            try FileManager.default.createDirectory(at: parts, withIntermediateDirectories: true)
            var columns: [String: DeflatedColumn] = [:]
            for (name, dtype) in Self.coreColumns { columns[name] = try DeflatedColumn(directory: parts, name: name, dtype: dtype) }
            self.columns = columns
            try columns["core_neuron_start"]?.append(Int64(0))
        } catch {
            throw DiagnosticError("cannot write core map '\(path)': cannot create temporary files in \(parts.path): \(error.localizedDescription)")
        }
    }

    deinit { try? FileManager.default.removeItem(at: parts) }

    /// Appends the next core (cores are dense, in order).
    public func append(_ core: CoreConfig) throws(DiagnosticError) {
        try append(packer.packed(core))
    }

    /// Appends the next core, given in packed form.
    public func append(_ core: PackedCore) throws(DiagnosticError) {
        let row = packer.intern(core)
        do {
            guard let chip = columns["core_chip"], let xy = columns["core_xy"], let kind = columns["dest_kind"], let target = columns["dest_target"],
                  let index = columns["dest_index"], let delay = columns["dest_delay"] else { return }
            try chip.append(contentsOf: [row.chip.0, row.chip.1])
            try xy.append(contentsOf: [row.place.0, row.place.1])
            try columns["core_seed"]?.append(row.seed)
            try columns["core_layer"]?.append(row.layer)
            try columns["core_role"]?.append(row.role)
            try columns["core_crossbar"]?.append(row.crossbar)
            try columns["core_axon_types"]?.append(row.axonTypes)
            try columns["core_neurons"]?.append(row.block)
            try kind.append(contentsOf: core.destKind)
            try target.append(contentsOf: core.destTarget)
            try index.append(contentsOf: core.destIndex)
            try delay.append(contentsOf: core.destDelay)
            try columns["core_neuron_start"]?.append(Int64(kind.count))
        } catch {
            throw DiagnosticError("cannot write core map '\(path)': \(error.localizedDescription)")
        }
    }

    /// Writes the archive; returns its size and table counts.
    @discardableResult
    public func finish() throws(DiagnosticError) -> ArchiveSummary {
        guard !finished else { throw DiagnosticError("core map '\(path)' is already written") }
        finished = true
        let tables = packer.packed
        var members: [EncodedMember] = []
        do {
            members = try ArchiveMember.encode(CoreMapArchiveLayout.headerAndTables(tables), compressed: true)
            for (name, _) in Self.coreColumns {
                guard let column = columns[name] else { continue }
                let pairs = name == "core_chip" || name == "core_xy"
                members.append(try column.member(name, shape: pairs ? [column.count / 2, 2] : nil))
            }
            members += try ArchiveMember.encode(CoreMapArchiveLayout.inputs(header), compressed: true)
        } catch {
            throw DiagnosticError("cannot write core map '\(path)': \(error.localizedDescription)")
        }
        let bytes = try CoreMapArchiveLayout.write(members, to: path)
        try? FileManager.default.removeItem(at: parts)
        return ArchiveSummary(bytes: bytes, cores: columns["core_seed"]?.count ?? 0, crossbars: tables.crossbars.count,
                              axonTypeTables: tables.axonTypeTables.count, neuronBlocks: tables.neuronBlocks.count,
                              neurons: columns["dest_kind"]?.count ?? 0)
    }

    /// Writes a packed map held in memory.
    @discardableResult
    public static func write(_ map: PackedCoreMap, to path: String) throws(DiagnosticError) -> ArchiveSummary {
        let members = CoreMapArchiveLayout.headerAndTables(map) + CoreMapArchiveLayout.coreArrays(map) + CoreMapArchiveLayout.inputs(map.header)
        let bytes = try CoreMapArchiveLayout.write(members, to: path)
        return ArchiveSummary(bytes: bytes, cores: map.coreCount, crossbars: map.crossbars.count, axonTypeTables: map.axonTypeTables.count,
                              neuronBlocks: map.neuronBlocks.count, neurons: map.destKind.count)
    }
}

extension CoreMapArchiveWriter {
    /// Writes `members` (name without `.npy` -> the member's bytes, header included) as an
    /// archive, in the given order: for building archives by hand, such as damaged maps for
    /// tests. Returns the file's size.
    /// `forceZIP64` gives every entry ZIP64 records, which real maps need only past 4 GiB.
    @discardableResult
    public static func write(npyMembers members: [(name: String, bytes: Data)], to path: String, compressed: Bool = true,
                             forceZIP64: Bool = false) throws(DiagnosticError) -> Int {
        try CoreMapArchiveLayout.write(members.map { ArchiveMember.raw($0.name, $0.bytes) }, to: path, compressed: compressed, forceZIP64: forceZIP64)
    }
}

/// What a written v2 archive holds: its size in bytes and the sizes of its tables.
public struct ArchiveSummary: Sendable, Equatable {
    public var bytes: Int
    public var cores: Int
    public var crossbars: Int
    public var axonTypeTables: Int
    public var neuronBlocks: Int
    /// Used neurons (entries of the destination arrays).
    public var neurons: Int
}
