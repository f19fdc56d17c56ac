import CKernels
import CoreMap
import Hardware
import TesseraSupport

/// The fast emulator's view of a packed core map: the parameters of each shared neuron
/// block as contiguous 8-lane vectors (block-major, lane-minor), each distinct pair of
/// crossbar and axon-type vector as one record per axon, and destinations as flat arrays
/// per [core][neuron]. Memory grows with the shared tables plus a few bytes per neuron, not
/// with a copy of every crossbar: the cores of one convolution read the same records.
/// Built once per map; read-only while running.
final class BoardLayout: @unchecked Sendable {
    typealias Lane = SIMD8<Int32>
    /// Lane masks are stored as integer lanes, all ones (true) or zero, for bitwise selects.
    typealias Mask = SIMD8<Int32>

    let cores: Int
    let axons: Int
    let neurons: Int
    /// log2(neurons) when neurons is a power of two, else -1.
    let neuronShift: Int
    let lanes: Int
    let types: Int
    let axonWords: Int
    let blocks: Int

    /// Per core: its neuron block and its record table.
    let blockOf: UnsafeMutablePointer<Int32>
    let recordOf: UnsafeMutablePointer<Int32>

    let weights: UnsafeMutablePointer<Lane>      // [block][type][lane]
    let leak: UnsafeMutablePointer<Lane>         // [block][lane], as the ones below
    let alpha: UnsafeMutablePointer<Lane>
    let beta: UnsafeMutablePointer<Lane>
    let resetPotential: UnsafeMutablePointer<Lane>
    let initial: UnsafeMutablePointer<Lane>
    let leakReversal: UnsafeMutablePointer<Mask>
    let resetNormal: UnsafeMutablePointer<Mask>
    let resetLinear: UnsafeMutablePointer<Mask>
    let saturate: UnsafeMutablePointer<Mask>
    /// Used, deterministic neurons: the lanes the vector pass decides for.
    let enabled: UnsafeMutablePointer<Mask>
    /// One record per [table][axon], `recordStride` bytes, 64-byte aligned: the crossbar
    /// row (one byte per 8 neurons, bit k = neuron 8l+k), then the row's number of ones
    /// (Int32) and the axon's type (UInt8). An active axon is at a random place in a large
    /// array, so everything the step needs about it shares one cache line when it can.
    let records: UnsafeMutableRawPointer
    let recordStride: Int
    let fanOutOffset: Int
    let typeOffset: Int
    /// Destinations of the used neurons, core by core: the packed map's own arrays, shared
    /// rather than copied (a full-size DeepLab has 764 million), see ``dest(_:)``. Kind 0
    /// none, 1 axon, 2 output.
    let destKind: [UInt8]
    let destA: [Int32]        // core, or output port
    let destB: [Int32]        // axon, or output element
    /// Empty when every axon destination has the same delay, ``uniformDelay``: a
    /// full-size DeepLab's are all 1, and its 388 million delay bytes need not be held.
    let destDelay: [UInt8]
    let uniformDelay: UInt8?
    /// The longest delay of any axon destination (1 when there is none).
    let longestDelay: Int
    /// Per core: its first entry in the destination arrays (and, at `cores`, their end).
    let destStart: UnsafeMutablePointer<Int>
    /// Per [block][neuron]: the neuron's rank among its block's used neurons (-1 unused).
    let rank: UnsafeMutablePointer<Int32>
    /// Per block: its used neurons are 0 ..< k, so a neuron's rank is its index and the
    /// rank table (a random read per spike) is not read.
    let rankIsIndex: UnsafeMutablePointer<Bool>
    /// Neurons that drive an output port.
    let outputNeurons: Int
    /// Per block: its neurons change without input (a leak or a stochastic neuron).
    let selfDriven: [Bool]
    /// Per block: the shared parameters when every used deterministic neuron has the same
    /// ones (typical of compiled layers and of the benchmark), so the update reads only
    /// the potentials; nil when they differ and the per-lane arrays are used.
    let shared: [NeuronParameters?]
    /// Per block: every lane is a used deterministic neuron, so no enable mask is needed.
    let allEnabled: [Bool]
    /// Per block: each axon type's weight is the same for every used neuron; then
    /// `typeWeight[block * types + type]` holds it and the weight arrays are not read.
    let uniformWeights: [Bool]
    let typeWeight: UnsafeMutablePointer<Lane>
    /// ``maskTable`` in memory the C kernel reads.
    let masks: UnsafeMutablePointer<Lane>
    /// Per block: its parameters for the fused C step (`tessera_step_linear`) when its
    /// used neurons are all deterministic and share one parameter set in the common mode
    /// (no leak reversal, linear reset, saturating negative side), which every compiled
    /// layer and the benchmark chip have; `isLinear[b]` says whether entry b is valid.
    let linear: UnsafeMutablePointer<tessera_linear_block>
    let isLinear: [Bool]
    /// Per block: stochastic neurons, handled one by one in spec order.
    let stochastic: [[NeuronConfig]]
    /// Per block: used neuron indices (for traces).
    let used: [[Int]]
    let seeds: [UInt64]
    /// Per core: (x, y) on the board's mesh of cores, and its chip's (x, y).
    let mesh: UnsafeMutablePointer<Int32>
    let chip: UnsafeMutablePointer<Int32>

    /// Lane k of entry b is all ones when bit k of byte b is set.
    static let maskTable: [Lane] = (0..<256).map { byte in
        Lane((0..<8).map { (byte >> $0) & 1 == 1 ? -1 : 0 })
    }

    init(map: PackedCoreMap) {
        let g = map.header.geometry
        cores = map.coreCount
        axons = g.axons
        neurons = g.neurons
        neuronShift = g.neurons > 0 && g.neurons & (g.neurons - 1) == 0 ? g.neurons.trailingZeroBitCount : -1
        lanes = (g.neurons + 7) / 8
        types = g.axonTypes
        axonWords = (g.axons + 63) / 64
        blocks = map.neuronBlocks.count
        let laneCount = max(blocks * lanes, 1)
        func lanesBuffer(_ count: Int = laneCount) -> UnsafeMutablePointer<Lane> {
            let p = UnsafeMutablePointer<Lane>.allocate(capacity: count)
            p.initialize(repeating: Lane(repeating: 0), count: count)
            return p
        }
        func buffer<T>(_ count: Int, _ value: T) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(count, 1))
            p.initialize(repeating: value, count: max(count, 1))
            return p
        }
        weights = lanesBuffer(max(blocks * types * lanes, 1))
        leak = lanesBuffer(); alpha = lanesBuffer(); beta = lanesBuffer(); resetPotential = lanesBuffer(); initial = lanesBuffer()
        leakReversal = lanesBuffer(); resetNormal = lanesBuffer(); resetLinear = lanesBuffer(); saturate = lanesBuffer(); enabled = lanesBuffer()

        // Record tables: one per distinct (crossbar, axon types) pair, in order of first use.
        blockOf = buffer(cores, 0)
        recordOf = buffer(cores, 0)
        var pairs: [Int64: Int32] = [:]
        var tables: [(Int, Int)] = []
        for c in 0..<cores {
            blockOf[c] = map.coreBlock[c]
            let key = Int64(map.coreCrossbar[c]) << 32 | Int64(map.coreAxonTypes[c])
            if let k = pairs[key] { recordOf[c] = k } else {
                let k = Int32(tables.count)
                pairs[key] = k
                tables.append((Int(map.coreCrossbar[c]), Int(map.coreAxonTypes[c])))
                recordOf[c] = k
            }
        }
        fanOutOffset = (lanes + 3) / 4 * 4
        typeOffset = fanOutOffset + 4
        recordStride = (typeOffset + 1 + 63) / 64 * 64
        let recordBytes = max(tables.count * axons * recordStride, 64)
        records = UnsafeMutableRawPointer.allocate(byteCount: recordBytes, alignment: 64)
        records.initializeMemory(as: UInt8.self, repeating: 0, count: recordBytes)
        for (k, (x, t)) in tables.enumerated() {
            let crossbar = map.crossbars[x], types = map.axonTypeTables[t]
            for a in 0..<axons {
                let record = records + (k * axons + a) * recordStride
                let row = crossbar.row(a)
                for l in 0..<lanes {
                    record.storeBytes(of: UInt8(truncatingIfNeeded: row[row.startIndex + l / 8] >> UInt64(8 * (l % 8))), toByteOffset: l, as: UInt8.self)
                }
                record.storeBytes(of: Int32(row.reduce(0) { $0 + $1.nonzeroBitCount }), toByteOffset: fanOutOffset, as: Int32.self)
                record.storeBytes(of: types[a], toByteOffset: typeOffset, as: UInt8.self)
            }
        }

        var selfDriven: [Bool] = [], shared: [NeuronParameters?] = [], allEnabled: [Bool] = [], uniformWeights: [Bool] = []
        var typeWeight: [Lane] = [], stochastic: [[NeuronConfig]] = [], used: [[Int]] = []
        for (b, block) in map.neuronBlocks.enumerated() {
            var driven = false
            var stoch: [NeuronConfig] = []
            for n in block.neurons {
                let (l, k) = (b * lanes + n.index / 8, n.index % 8)
                for t in 0..<min(types, 4) { weights[(b * types + t) * lanes + n.index / 8][k] = Int32(n.weights[t]) }
                leak[l][k] = Int32(n.leak)
                alpha[l][k] = Int32(n.threshold)
                beta[l][k] = Int32(n.negThreshold)
                resetPotential[l][k] = Int32(n.resetPotential)
                initial[l][k] = Int32(n.initialPotential)
                leakReversal[l][k] = n.leakReversal ? -1 : 0
                resetNormal[l][k] = n.reset == .normal ? -1 : 0
                resetLinear[l][k] = n.reset == .linear ? -1 : 0
                saturate[l][k] = n.negative == .saturate ? -1 : 0
                enabled[l][k] = n.isStochastic ? 0 : -1
                if n.isStochastic { stoch.append(n) }
                if n.leak != 0 || n.isStochastic { driven = true }
            }
            selfDriven.append(driven)
            let deterministic = block.neurons.filter { !$0.isStochastic }
            let first = deterministic.first
            let same = deterministic.allSatisfy {
                $0.leak == first?.leak && $0.threshold == first?.threshold && $0.negThreshold == first?.negThreshold
                    && $0.resetPotential == first?.resetPotential && $0.reset == first?.reset && $0.negative == first?.negative
                    && $0.leakReversal == first?.leakReversal
            }
            shared.append(same ? first.map(NeuronParameters.init) : nil)
            allEnabled.append(deterministic.count == lanes * 8)
            let sameWeights = deterministic.allSatisfy { $0.weights == first?.weights }
            uniformWeights.append(sameWeights)
            for t in 0..<types { typeWeight.append(Lane(repeating: Int32(sameWeights && t < 4 ? first?.weights[t] ?? 0 : 0))) }
            stochastic.append(stoch)
            used.append(block.neurons.map(\.index))
        }
        self.selfDriven = selfDriven
        self.shared = shared
        self.allEnabled = allEnabled
        self.uniformWeights = uniformWeights
        self.typeWeight = .allocate(capacity: max(typeWeight.count, 1))
        self.typeWeight.initialize(from: typeWeight + [Lane(repeating: 0)], count: max(typeWeight.count, 1))
        masks = .allocate(capacity: Self.maskTable.count)
        masks.initialize(from: Self.maskTable, count: Self.maskTable.count)
        self.stochastic = stochastic
        self.used = used
        linear = .allocate(capacity: max(blocks, 1))
        var isLinear: [Bool] = []
        for b in 0..<blocks {
            let weights = uniformWeights[b] ? UnsafeRawPointer(self.typeWeight + b * types) : UnsafeRawPointer(self.weights + b * types * lanes)
            let enabled = allEnabled[b] ? nil : UnsafeRawPointer(self.enabled + b * lanes).assumingMemoryBound(to: Int32.self)
            let p = shared[b]
            let common = p.map { $0.leakReversal == .zero && $0.resetLinear == Mask(repeating: -1) && $0.saturate == Mask(repeating: -1) } ?? false
            isLinear.append(common && stochastic[b].isEmpty)
            (linear + b).initialize(to: tessera_linear_block(weights: weights.assumingMemoryBound(to: Int32.self), enabled: enabled,
                                                             uniform: uniformWeights[b] ? 1 : 0, leak: p?.leak[0] ?? 0,
                                                             alpha: p?.alpha[0] ?? 0, beta: p?.beta[0] ?? 0))
        }
        self.isLinear = isLinear

        destKind = map.destKind
        destA = map.destTarget
        destB = map.destIndex
        let delays = Self.delays(kind: map.destKind, delay: map.destDelay)
        (uniformDelay, longestDelay) = (delays.uniform, delays.longest)
        destDelay = delays.uniform == nil ? map.destDelay : []
        outputNeurons = map.destKind.reduce(0) { $0 + ($1 == 2 ? 1 : 0) }
        destStart = buffer(cores + 1, 0)
        destStart.update(from: map.coreNeuronStart, count: cores + 1)
        rank = buffer(blocks * neurons, -1)
        rankIsIndex = buffer(blocks, false)
        for (b, block) in map.neuronBlocks.enumerated() {
            for (k, n) in block.neurons.enumerated() { rank[b * neurons + n.index] = Int32(k) }
            rankIsIndex[b] = block.neurons.enumerated().allSatisfy { $0.offset == $0.element.index }
        }
        seeds = map.coreSeed
        mesh = buffer(2 * cores, 0)
        chip = buffer(2 * cores, 0)
        for c in 0..<cores {
            let p = map.meshPosition(of: c)
            (mesh[2 * c], mesh[2 * c + 1]) = (Int32(p.x), Int32(p.y))
            (chip[2 * c], chip[2 * c + 1]) = (map.coreChip[2 * c], map.coreChip[2 * c + 1])
        }
    }

    /// The delay every axon destination shares (nil when they differ) and the longest.
    static func delays(kind: [UInt8], delay: [UInt8]) -> (uniform: UInt8?, longest: Int) {
        var first: UInt8?, longest: UInt8 = 1, same = true
        kind.withUnsafeBufferPointer { kind in
            delay.withUnsafeBufferPointer { delay in
                for k in 0..<min(kind.count, delay.count) where kind[k] == 1 {
                    let d = delay[k]
                    if first == nil { first = d }
                    same = same && d == first
                    longest = max(longest, d)
                }
            }
        }
        return (same ? first : nil, Int(longest))
    }

    @inline(__always) func record(core c: Int, axon a: Int) -> UnsafeMutableRawPointer {
        records + (Int(recordOf[c]) * axons + a) * recordStride
    }

    deinit {
        for p in [weights, leak, alpha, beta, resetPotential, initial, leakReversal, resetNormal, resetLinear, saturate, enabled] {
            p.deallocate()
        }
        records.deallocate()
        typeWeight.deallocate(); masks.deallocate(); linear.deallocate()
        blockOf.deallocate(); recordOf.deallocate()
        rank.deallocate(); rankIsIndex.deallocate(); mesh.deallocate(); chip.deallocate(); destStart.deallocate()
    }
}

/// One neuron's deterministic parameters broadcast to eight lanes (masks as all-ones lanes).
struct NeuronParameters {
    typealias Lane = SIMD8<Int32>
    typealias Mask = SIMD8<Int32>
    var leak: Lane
    var alpha: Lane
    var beta: Lane
    var resetPotential: Lane
    var leakReversal: Mask
    var resetNormal: Mask
    var resetLinear: Mask
    var saturate: Mask

    init(leak: Lane, alpha: Lane, beta: Lane, resetPotential: Lane, leakReversal: Mask, resetNormal: Mask, resetLinear: Mask, saturate: Mask) {
        self.leak = leak
        self.alpha = alpha
        self.beta = beta
        self.resetPotential = resetPotential
        self.leakReversal = leakReversal
        self.resetNormal = resetNormal
        self.resetLinear = resetLinear
        self.saturate = saturate
    }

    init(_ n: NeuronConfig) {
        leak = Lane(repeating: Int32(n.leak))
        alpha = Lane(repeating: Int32(n.threshold))
        beta = Lane(repeating: Int32(n.negThreshold))
        resetPotential = Lane(repeating: Int32(n.resetPotential))
        leakReversal = Mask(repeating: n.leakReversal ? -1 : 0)
        resetNormal = Mask(repeating: n.reset == .normal ? -1 : 0)
        resetLinear = Mask(repeating: n.reset == .linear ? -1 : 0)
        saturate = Mask(repeating: n.negative == .saturate ? -1 : 0)
    }
}
