import Foundation
import Hardware
import TesseraSupport

/// Reads core map v2 (an `.npz` archive, `docs/coremap-format.md`) into a
/// ``PackedCoreMap`` and validates it exactly as a v1 map is validated. Every array is
/// checked for its dtype, shape and byte count, every table reference and code for its
/// range; problems name the member, the core, the neuron or the axon.
public enum CoreMapArchiveReader {
    struct Header: Decodable {
        struct Core: Decodable { var axons: Int; var neurons: Int; var axonTypes: Int }
        struct Board: Decodable { var chips: [Int]; var coresPerChip: [Int] }
        struct Input: Decodable { var name: String; var shape: [Int] }
        struct Output: Decodable { var name: String; var shape: [Int]; var latency: Int }
        struct Layer: Decodable { var name: String; var op: String; var neurons: Int; var rate: Double? }
        struct Rates: Decodable { var source: String; var input: Double }
        var format: String
        var version: Int
        var target: String
        var core: Core
        var board: Board
        var inputs: [Input]
        var outputs: [Output]
        var layers: [Layer]
        var rates: Rates?
    }

    /// Loads and validates `path` against `target`, or the bundled target the map names.
    public static func load(path: String, target: Target? = nil) throws(DiagnosticError) -> PackedCoreMap {
        try loadValidated(path: path, target: target).map
    }

    /// Loads and validates `path`, keeping the proof of validation with the map.
    public static func loadValidated(path: String, target: Target? = nil) throws(DiagnosticError) -> ValidatedCoreMap {
        let map = try read(path: path)
        let resolved: Target
        if let target { resolved = target } else { resolved = try TargetLoader.load(map.header.target) }
        return try ValidatedCoreMap(map, target: resolved, context: path)
    }

    /// Reads `path` and checks that its arrays fit together, without a target.
    public static func read(path: String) throws(DiagnosticError) -> PackedCoreMap {
        let r = try ArchiveArrayReader(path: path)
        let header = try readHeader(r)
        let g = CoreGeometry(axons: header.core.axons, neurons: header.core.neurons, axonTypes: header.core.axonTypes)
        guard g.axons > 0, g.neurons > 0, g.axonTypes > 0, g.neurons % 4 == 0, g.axons <= 65_536, g.neurons <= 65_536 else {
            throw r.fail("header", "core: needs axons, neurons and axonTypes, all positive, neurons a multiple of 4, both at most 65536")
        }
        guard header.board.chips.count == 2, header.board.coresPerChip.count == 2, header.board.coresPerChip.allSatisfy({ $0 >= 1 }),
              header.board.chips.allSatisfy({ $0 >= 1 }), header.board.chips.reduce(1, *) <= 1 << 20, header.board.coresPerChip.reduce(1, *) <= 1 << 20 else {
            throw r.fail("header", "board: chips and coresPerChip must be pairs of positive integers (at most 2^20 each in all)")
        }
        var map = PackedCoreMap(header: CoreMap(target: header.target, geometry: g, chips: header.board.chips, coresPerChip: header.board.coresPerChip,
                                                outputs: header.outputs.map { OutputPort(name: $0.name, shape: $0.shape, latency: $0.latency) },
                                                layers: header.layers.map { LayerLabel(name: $0.name, op: $0.op, neurons: $0.neurons, rate: $0.rate) }))
        for (i, layer) in header.layers.enumerated() {
            if let rate = layer.rate, let problem = CoreMapDecoder.rateProblem("layers[\(i)].rate", rate, per: "neuron") { throw r.fail("header", problem) }
        }
        if let rates = header.rates {
            if let problem = CoreMapDecoder.rateProblem("rates.input", rates.input, per: "element") { throw r.fail("header", problem) }
            (map.header.rateSource, map.header.inputRate) = (rates.source, rates.input)
        }
        map.crossbars = try crossbars(r, geometry: g)
        let types: (shape: [Int], values: [UInt8]) = try r.read("axon_types", as: .uint8, rank: 2)
        guard types.shape[1] == g.axons else { throw r.fail("axon_types", "shape \(types.shape), expected [tables, \(g.axons)] (one type per axon)") }
        map.axonTypeTables = (0..<types.shape[0]).map { Array(types.values[($0 * g.axons)..<(($0 + 1) * g.axons)]) }
        map.neuronBlocks = try blocks(r)

        let seeds: (shape: [Int], values: [UInt64]) = try r.read("core_seed", as: .uint64, rank: 1)
        let n = seeds.values.count
        map.coreSeed = seeds.values
        func perCore<T: FixedWidthInteger>(_ name: String, _ dtype: ArchiveDType, columns: Int = 1, extra: Int = 0) throws(DiagnosticError) -> [T] {
            let array: (shape: [Int], values: [T]) = try r.read(name, as: dtype, rank: columns == 1 ? 1 : 2)
            let expected = columns == 1 ? [n + extra] : [n, columns]
            guard array.shape == expected else {
                throw r.fail(name, "shape \(array.shape), expected \(expected) (\(n) cores, from core_seed)")
            }
            return array.values
        }
        map.coreChip = try perCore("core_chip", .int32, columns: 2)
        map.coreXY = try perCore("core_xy", .int32, columns: 2)
        map.coreLayer = try perCore("core_layer", .int32)
        map.coreRole = try perCore("core_role", .uint8)
        map.coreCrossbar = try perCore("core_crossbar", .int32)
        map.coreAxonTypes = try perCore("core_axon_types", .int32)
        map.coreBlock = try perCore("core_neurons", .int32)
        let starts: [Int64] = try perCore("core_neuron_start", .int64, extra: 1)
        map.coreNeuronStart = starts.map { Int(truncatingIfNeeded: $0) }
        let kind: (shape: [Int], values: [UInt8]) = try r.read("dest_kind", as: .uint8, rank: 1)
        map.destKind = kind.values
        let neurons = kind.values.count
        // The two largest members (4 bytes per used neuron each; 1.55 GB apiece on a
        // full-size DeepLab), inflated at once on two CPUs, each through its own reader.
        let wide = inParallel(2) { k -> Result<[Int32], DiagnosticError> in
            Result { () throws(DiagnosticError) in
                try perNeuron(try ArchiveArrayReader(path: path), k == 0 ? "dest_target" : "dest_index", .int32, neurons: neurons)
            }
        }
        map.destTarget = try wide[0].get()
        map.destIndex = try wide[1].get()
        map.destDelay = try perNeuron(r, "dest_delay", .uint8, neurons: neurons)
        map.header.inputs = try inputs(r, ports: header.inputs)
        let problems = PackedCoreMapValidator.structure(map)
        guard problems.isEmpty else { throw DiagnosticError(problems.map { .error("\(path): \($0)") }) }
        return map
    }

    /// Member `name`, one entry per used neuron (`neurons` of them, as dest_kind).
    static func perNeuron<T: FixedWidthInteger>(_ r: ArchiveArrayReader, _ name: String, _ dtype: ArchiveDType, neurons: Int) throws(DiagnosticError) -> [T] {
        let array: (shape: [Int], values: [T]) = try r.read(name, as: dtype, rank: 1)
        guard array.values.count == neurons else {
            throw r.fail(name, "shape \(array.shape), expected [\(neurons)] (one entry per used neuron, as dest_kind)")
        }
        return array.values
    }

    /// Every member of an archive as raw bytes (`NAME.npy` -> its `.npy` bytes), for
    /// inspecting or editing an archive by hand; nothing is validated.
    public static func members(path: String) throws(DiagnosticError) -> [String: Data] {
        let r = try ArchiveArrayReader(path: path)
        var members: [String: Data] = [:]
        for entry in r.archive {
            var data = Data()
            let crc: UInt32
            do { crc = try r.archive.extract(entry, bufferSize: 1 << 20, skipCRC32: false) { data.append($0) } } catch {
                throw DiagnosticError("\(path): member '\(entry.path)': corrupt or truncated (\(error))")
            }
            guard crc == entry.checksum else {
                throw DiagnosticError("\(path): member '\(entry.path)': CRC-32 mismatch (stored \(hex(entry.checksum)), computed \(hex(crc))): its data is corrupt")
            }
            members[entry.path] = data
        }
        return members
    }

    static func readHeader(_ r: ArchiveArrayReader) throws(DiagnosticError) -> Header {
        let bytes: (shape: [Int], values: [UInt8]) = try r.read("header", as: .uint8, rank: 1)
        let data = Data(bytes.values)
        // The format and version first, so that a newer map is named as such.
        struct Version: Decodable { var format: String?; var version: Int? }
        guard let probe = try? JSONDecoder().decode(Version.self, from: data) else {
            throw r.fail("header", "not a JSON object (a v2 map's header array is UTF-8 JSON text)")
        }
        guard probe.format == CoreMap.format else {
            throw r.fail("header", "format is \(probe.format.map { "'\($0)'" } ?? "missing"), expected '\(CoreMap.format)': this is not a Tessera core map")
        }
        guard probe.version == PackedCoreMap.version else {
            throw r.fail("header", "unsupported core map version \(probe.version.map(String.init) ?? "(missing)"); this reader handles version 2 archives (and version 1 JSON)")
        }
        do {
            return try JSONDecoder().decode(Header.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw r.fail("header", "field '\(key.stringValue)' is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw r.fail("header", "\(context.codingPath.map(\.stringValue).joined(separator: ".")): wrong type (\(context.debugDescription))")
        } catch {
            throw r.fail("header", "unreadable: \(error)")
        }
    }

    static func crossbars(_ r: ArchiveArrayReader, geometry g: CoreGeometry) throws(DiagnosticError) -> [Crossbar] {
        let words = (g.neurons + 63) / 64
        let array: (shape: [Int], values: [UInt64]) = try r.read("crossbars", as: .uint64, rank: 3)
        guard array.shape[1] == g.axons, array.shape[2] == words else {
            throw r.fail("crossbars", "shape \(array.shape), expected [tables, \(g.axons), \(words)] (a row of 64-bit words per axon)")
        }
        let size = g.axons * words
        var tables: [Crossbar] = []
        tables.reserveCapacity(array.shape[0])
        for k in 0..<array.shape[0] {
            var x = Crossbar(axons: g.axons, neurons: g.neurons)
            let slice = array.values[(k * size)..<((k + 1) * size)]
            if g.neurons % 64 != 0 {
                let spare = ~UInt64(0) << UInt64(g.neurons % 64)
                if let a = (0..<g.axons).first(where: { slice[slice.startIndex + $0 * words + words - 1] & spare != 0 }) {
                    throw r.fail("crossbars", "table \(k), axon \(a): bits set beyond neuron \(g.neurons - 1)")
                }
            }
            for a in 0..<g.axons { x.setRow(a, words: Array(slice[(slice.startIndex + a * words)..<(slice.startIndex + (a + 1) * words)])) }
            tables.append(x)
        }
        return tables
    }

    static func blocks(_ r: ArchiveArrayReader) throws(DiagnosticError) -> [NeuronBlock] {
        let start: (shape: [Int], values: [Int64]) = try r.read("block_start", as: .int64, rank: 1)
        let index: (shape: [Int], values: [Int32]) = try r.read("block_index", as: .int32, rank: 1)
        let total = index.values.count
        guard start.values.first == 0, start.values.last == Int64(total), zip(start.values, start.values.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw r.fail("block_start", "must rise from 0 to \(total) (the length of block_index)")
        }
        func column<T: FixedWidthInteger>(_ name: String, _ dtype: ArchiveDType, width: Int = 1) throws(DiagnosticError) -> [T] {
            let array: (shape: [Int], values: [T]) = try r.read(name, as: dtype, rank: width == 1 ? 1 : 2)
            let expected = width == 1 ? [total] : [total, width]
            guard array.shape == expected else { throw r.fail(name, "shape \(array.shape), expected \(expected) (as block_index)") }
            return array.values
        }
        let weights: [Int32] = try column("block_weights", .int32, width: 4)
        let leak: [Int32] = try column("block_leak", .int32), threshold: [Int32] = try column("block_threshold", .int32)
        let negThreshold: [Int32] = try column("block_neg_threshold", .int32), mask: [Int32] = try column("block_threshold_mask", .int32)
        let resetPotential: [Int32] = try column("block_reset_potential", .int32)
        let initial: [Int32] = try column("block_initial_potential", .int32)
        let reset: [UInt8] = try column("block_reset", .uint8), negative: [UInt8] = try column("block_negative", .uint8)
        let flags: [UInt8] = try column("block_flags", .uint8)
        var blocks: [NeuronBlock] = []
        for b in 0..<(start.values.count - 1) {
            var neurons: [NeuronConfig] = []
            for k in Int(start.values[b])..<Int(start.values[b + 1]) {
                guard Int(reset[k]) < NeuronBlock.resetCodes.count else { throw r.fail("block_reset", "entry \(k) (block \(b)) is \(reset[k]): expected 0 normal, 1 linear or 2 none") }
                guard Int(negative[k]) < NeuronBlock.negativeCodes.count else { throw r.fail("block_negative", "entry \(k) (block \(b)) is \(negative[k]): expected 0 saturate or 1 reset") }
                guard flags[k] < 64 else { throw r.fail("block_flags", "entry \(k) (block \(b)) is \(flags[k]): only bits 0-5 are defined") }
                let f = flags[k]
                neurons.append(NeuronConfig(index: Int(index.values[k]), weights: (0..<4).map { Int(weights[4 * k + $0]) },
                                            stochasticSynapse: (0..<4).map { f >> UInt8($0) & 1 == 1 }, leak: Int(leak[k]),
                                            stochasticLeak: f & 16 != 0, leakReversal: f & 32 != 0, threshold: Int(threshold[k]),
                                            negThreshold: Int(negThreshold[k]), thresholdMask: Int(mask[k]),
                                            reset: NeuronBlock.resetCodes[Int(reset[k])], resetPotential: Int(resetPotential[k]),
                                            negative: NeuronBlock.negativeCodes[Int(negative[k])], initialPotential: Int(initial[k])))
            }
            blocks.append(NeuronBlock(neurons))
        }
        return blocks
    }

    static func inputs(_ r: ArchiveArrayReader, ports: [Header.Input]) throws(DiagnosticError) -> [InputPort] {
        let start: (shape: [Int], values: [Int64]) = try r.read("input_start", as: .int64, rank: 1)
        let core: (shape: [Int], values: [Int32]) = try r.read("input_core", as: .int32, rank: 1)
        let axon: (shape: [Int], values: [Int32]) = try r.read("input_axon", as: .int32, rank: 1)
        var elements = 0
        for port in ports {
            guard port.shape.allSatisfy({ $0 >= 1 && $0 <= 1 << 30 }), !port.shape.isEmpty else {
                throw r.fail("header", "input '\(port.name)': shape \(port.shape) must have positive sizes")
            }
            elements += port.shape.reduce(1, *)
        }
        guard start.values.count == elements + 1 else {
            throw r.fail("input_start", "\(start.values.count) entries, expected \(elements + 1) (one per input element of the header's ports, plus one)")
        }
        guard axon.values.count == core.values.count else { throw r.fail("input_axon", "\(axon.values.count) entries, but input_core has \(core.values.count)") }
        guard start.values.first == 0, start.values.last == Int64(core.values.count), zip(start.values, start.values.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw r.fail("input_start", "must rise from 0 to \(core.values.count) (the length of input_core)")
        }
        var e = 0
        return ports.map { port in
            let count = port.shape.reduce(1, *)
            let targets = (e..<(e + count)).map { k in
                (Int(start.values[k])..<Int(start.values[k + 1])).map { AxonAddress(core: Int(core.values[$0]), axon: Int(axon.values[$0])) }
            }
            e += count
            return InputPort(name: port.name, shape: port.shape, targets: targets)
        }
    }
}
