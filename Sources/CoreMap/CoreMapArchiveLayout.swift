import Foundation
import TesseraSupport

/// The members of a v2 archive, in the order they are written, and the ZIP writing itself
/// (`docs/coremap-format.md` documents each array).
enum CoreMapArchiveLayout {
    /// `header`, then the shared tables: crossbars, axon-type vectors, neuron blocks.
    static func headerAndTables(_ map: PackedCoreMap) -> [ArchiveMember] {
        let g = map.header.geometry
        let words = (g.neurons + 63) / 64
        var crossbarWords: [UInt64] = []
        crossbarWords.reserveCapacity(map.crossbars.count * g.axons * words)
        for x in map.crossbars { crossbarWords += x.words }
        var start: [Int64] = [0], index: [Int32] = [], weights: [Int32] = [], leak: [Int32] = [], threshold: [Int32] = []
        var negThreshold: [Int32] = [], mask: [Int32] = [], resetPotential: [Int32] = [], initial: [Int32] = []
        var reset: [UInt8] = [], negative: [UInt8] = [], flags: [UInt8] = []
        for block in map.neuronBlocks {
            for n in block.neurons {
                index.append(Int32(truncatingIfNeeded: n.index))
                for g in 0..<4 { weights.append(Int32(truncatingIfNeeded: n.weights.indices.contains(g) ? n.weights[g] : 0)) }
                leak.append(Int32(truncatingIfNeeded: n.leak))
                threshold.append(Int32(truncatingIfNeeded: n.threshold))
                negThreshold.append(Int32(truncatingIfNeeded: n.negThreshold))
                mask.append(Int32(truncatingIfNeeded: n.thresholdMask))
                resetPotential.append(Int32(truncatingIfNeeded: n.resetPotential))
                initial.append(Int32(truncatingIfNeeded: n.initialPotential))
                reset.append(NeuronBlock.code(n.reset))
                negative.append(NeuronBlock.code(n.negative))
                flags.append(NeuronBlock.flags(n))
            }
            start.append(Int64(index.count))
        }
        let headerBytes = Array(headerJSON(map.header).utf8)
        return [
            .array("header", headerBytes, dtype: .uint8),
            .array("crossbars", crossbarWords, dtype: .uint64, shape: [map.crossbars.count, g.axons, words]),
            .array("axon_types", map.axonTypeTables.flatMap { $0 }, dtype: .uint8, shape: [map.axonTypeTables.count, g.axons]),
            .array("block_start", start, dtype: .int64),
            .array("block_index", index, dtype: .int32),
            .array("block_weights", weights, dtype: .int32, shape: [index.count, 4]),
            .array("block_leak", leak, dtype: .int32),
            .array("block_threshold", threshold, dtype: .int32),
            .array("block_neg_threshold", negThreshold, dtype: .int32),
            .array("block_threshold_mask", mask, dtype: .int32),
            .array("block_reset_potential", resetPotential, dtype: .int32),
            .array("block_initial_potential", initial, dtype: .int32),
            .array("block_reset", reset, dtype: .uint8),
            .array("block_negative", negative, dtype: .uint8),
            .array("block_flags", flags, dtype: .uint8),
        ]
    }

    /// The per-core and per-neuron arrays of a map held in memory.
    static func coreArrays(_ map: PackedCoreMap) -> [ArchiveMember] {
        let n = map.coreCount
        return [
            .array("core_chip", map.coreChip, dtype: .int32, shape: [n, 2]),
            .array("core_xy", map.coreXY, dtype: .int32, shape: [n, 2]),
            .array("core_seed", map.coreSeed, dtype: .uint64),
            .array("core_layer", map.coreLayer, dtype: .int32),
            .array("core_role", map.coreRole, dtype: .uint8),
            .array("core_crossbar", map.coreCrossbar, dtype: .int32),
            .array("core_axon_types", map.coreAxonTypes, dtype: .int32),
            .array("core_neurons", map.coreBlock, dtype: .int32),
            .array("core_neuron_start", map.coreNeuronStart.map { Int64($0) }, dtype: .int64),
            .array("dest_kind", map.destKind, dtype: .uint8),
            .array("dest_target", map.destTarget, dtype: .int32),
            .array("dest_index", map.destIndex, dtype: .int32),
            .array("dest_delay", map.destDelay, dtype: .uint8),
        ]
    }

    /// The input ports' targets: element e of the concatenated ports reaches
    /// `input_core[k], input_axon[k]` for k in `input_start[e]..<input_start[e + 1]`.
    static func inputs(_ header: CoreMap) -> [ArchiveMember] {
        var start: [Int64] = [0], core: [Int32] = [], axon: [Int32] = []
        for port in header.inputs {
            for list in port.targets {
                for a in list {
                    core.append(Int32(truncatingIfNeeded: a.core))
                    axon.append(Int32(truncatingIfNeeded: a.axon))
                }
                start.append(Int64(core.count))
            }
        }
        return [.array("input_start", start, dtype: .int64), .array("input_core", core, dtype: .int32), .array("input_axon", axon, dtype: .int32)]
    }

    /// The `header` member: JSON with the format, version, target, geometry, board, ports
    /// (their targets are arrays), layer labels (with the rates compile used) and the
    /// rates' source, keys in a fixed order.
    static func headerJSON(_ map: CoreMap) -> String {
        let q = CoreMapWriter.quote
        func list(_ v: [Int]) -> String { "[" + v.map(String.init).joined(separator: ", ") + "]" }
        var out = "{\"format\": \(q(CoreMap.format)), \"version\": \(PackedCoreMap.version), \"target\": \(q(map.target)),\n"
        out += " \"core\": {\"axons\": \(map.geometry.axons), \"neurons\": \(map.geometry.neurons), \"axonTypes\": \(map.geometry.axonTypes)},\n"
        out += " \"board\": {\"chips\": \(list(map.chips)), \"coresPerChip\": \(list(map.coresPerChip))},\n"
        out += " \"inputs\": [" + map.inputs.map { "{\"name\": \(q($0.name)), \"shape\": \(list($0.shape))}" }.joined(separator: ", ") + "],\n"
        out += " \"outputs\": [" + map.outputs.map { "{\"name\": \(q($0.name)), \"shape\": \(list($0.shape)), \"latency\": \($0.latency)}" }.joined(separator: ", ") + "],\n"
        out += " \"layers\": [" + map.layers.map { "{\"name\": \(q($0.name)), \"op\": \(q($0.op)), \"neurons\": \($0.neurons)" + ($0.rate.map { ", \"rate\": \($0)" } ?? "") + "}" }
            .joined(separator: ", ") + "]"
        if let source = map.rateSource, let input = map.inputRate { out += ",\n \"rates\": {\"source\": \(q(source)), \"input\": \(input)}" }
        out += "}\n"
        return out
    }

    /// Writes `members` as `NAME.npy` entries of a new ZIP file at `path`, with ZIP64
    /// records where sizes or offsets pass 4 GiB; returns the file's size.
    static func write(_ members: [EncodedMember], to path: String, forceZIP64: Bool = false) throws(DiagnosticError) -> Int {
        do {
            let zip = try ZIPFileWriter(path: path, forceZIP64: forceZIP64)
            for m in members {
                try zip.add(name: m.name + ".npy", method: m.method, crc: m.crc, size: UInt64(m.size), compressedSize: UInt64(m.compressedSize)) { write in
                    try m.copy(to: write)
                }
            }
            return Int(try zip.finish())
        } catch {
            throw DiagnosticError("cannot write core map '\(path)': \(error.localizedDescription)")
        }
    }

    /// Encodes in-memory members (on every CPU) and writes them.
    static func write(_ members: [ArchiveMember], to path: String, compressed: Bool = true, forceZIP64: Bool = false) throws(DiagnosticError) -> Int {
        let encoded: [EncodedMember]
        do { encoded = try ArchiveMember.encode(members, compressed: compressed) } catch {
            throw DiagnosticError("cannot write core map '\(path)': \(error)")
        }
        return try write(encoded, to: path, forceZIP64: forceZIP64)
    }
}
