import CoreMap
import Hardware

/// The fast emulator's view of a core map: every per-neuron parameter as contiguous
/// 8-lane vectors (core-major, lane-minor), crossbar rows as one byte per 8 neurons, and
/// destinations as flat arrays. Built once per map; read-only while running.
final class BoardLayout: @unchecked Sendable {
    typealias Lane = SIMD8<Int32>
    typealias Mask = SIMDMask<SIMD8<Int32>>

    let cores: Int
    let axons: Int
    let neurons: Int
    let lanes: Int
    let types: Int
    let axonWords: Int

    let weights: UnsafeMutablePointer<Lane>      // [core][type][lane]
    let leak: UnsafeMutablePointer<Lane>
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
    let crossbar: UnsafeMutablePointer<UInt8>     // [core][axon][lane]
    let fanOut: UnsafeMutablePointer<Int32>       // [core][axon]
    let axonType: UnsafeMutablePointer<UInt8>     // [core][axon]
    /// Destination per [core][neuron]: kind 0 none, 1 axon, 2 output.
    let destKind: UnsafeMutablePointer<UInt8>
    let destA: UnsafeMutablePointer<Int32>        // core, or output port
    let destB: UnsafeMutablePointer<Int32>        // axon, or output element
    let destDelay: UnsafeMutablePointer<Int32>
    /// Cores whose neurons change without input (a leak or a stochastic neuron).
    let selfDriven: [Bool]
    /// Stochastic neurons per core, handled one by one in spec order.
    let stochastic: [[NeuronConfig]]
    /// Used neuron indices per core (for traces).
    let used: [[Int]]
    let seeds: [UInt64]
    let mesh: [(x: Int32, y: Int32)]
    let chip: [(x: Int32, y: Int32)]

    /// Lane k of entry b is all ones when bit k of byte b is set.
    static let maskTable: [Lane] = (0..<256).map { byte in
        Lane((0..<8).map { (byte >> $0) & 1 == 1 ? -1 : 0 })
    }

    init(map: CoreMap, outputIndex: [String: Int]) {
        let g = map.geometry
        cores = map.cores.count
        axons = g.axons
        neurons = g.neurons
        lanes = (g.neurons + 7) / 8
        types = g.axonTypes
        axonWords = (g.axons + 63) / 64
        let laneCount = max(cores * lanes, 1)
        func lanesBuffer(_ count: Int = laneCount) -> UnsafeMutablePointer<Lane> {
            let p = UnsafeMutablePointer<Lane>.allocate(capacity: count)
            p.initialize(repeating: Lane(repeating: 0), count: count)
            return p
        }
        func maskBuffer() -> UnsafeMutablePointer<Mask> {
            let p = UnsafeMutablePointer<Mask>.allocate(capacity: laneCount)
            p.initialize(repeating: Mask(repeating: false), count: laneCount)
            return p
        }
        func buffer<T>(_ count: Int, _ value: T) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(count, 1))
            p.initialize(repeating: value, count: max(count, 1))
            return p
        }
        weights = lanesBuffer(max(cores * types * lanes, 1))
        leak = lanesBuffer(); alpha = lanesBuffer(); beta = lanesBuffer(); resetPotential = lanesBuffer(); initial = lanesBuffer()
        leakReversal = maskBuffer(); resetNormal = maskBuffer(); resetLinear = maskBuffer(); saturate = maskBuffer(); enabled = maskBuffer()
        crossbar = buffer(cores * axons * lanes, 0)
        fanOut = buffer(cores * axons, 0)
        axonType = buffer(cores * axons, 0)
        destKind = buffer(cores * neurons, 0)
        destA = buffer(cores * neurons, 0)
        destB = buffer(cores * neurons, 0)
        destDelay = buffer(cores * neurons, 0)

        var selfDriven: [Bool] = []
        var stochastic: [[NeuronConfig]] = []
        var used: [[Int]] = []
        for (c, core) in map.cores.enumerated() {
            for a in 0..<axons {
                axonType[c * axons + a] = core.axonTypes[a]
                let row = core.crossbar.row(a)
                fanOut[c * axons + a] = Int32(row.reduce(0) { $0 + $1.nonzeroBitCount })
                for l in 0..<lanes {
                    crossbar[(c * axons + a) * lanes + l] = UInt8(truncatingIfNeeded: row[row.startIndex + l / 8] >> UInt64(8 * (l % 8)))
                }
            }
            var driven = false
            var stoch: [NeuronConfig] = []
            for n in core.neurons {
                let (l, k) = (c * lanes + n.index / 8, n.index % 8)
                for t in 0..<min(types, 4) { weights[(c * types + t) * lanes + n.index / 8][k] = Int32(n.weights[t]) }
                leak[l][k] = Int32(n.leak)
                alpha[l][k] = Int32(n.threshold)
                beta[l][k] = Int32(n.negThreshold)
                resetPotential[l][k] = Int32(n.resetPotential)
                initial[l][k] = Int32(n.initialPotential)
                leakReversal[l][k] = n.leakReversal
                resetNormal[l][k] = n.reset == .normal
                resetLinear[l][k] = n.reset == .linear
                saturate[l][k] = n.negative == .saturate
                enabled[l][k] = !n.isStochastic
                if n.isStochastic { stoch.append(n) }
                if n.leak != 0 || n.isStochastic { driven = true }
                let d = c * neurons + n.index
                switch n.destination {
                case let .axon(core, axon, delay)?:
                    destKind[d] = 1; destA[d] = Int32(core); destB[d] = Int32(axon); destDelay[d] = Int32(delay)
                case let .output(port, index)?:
                    destKind[d] = 2; destA[d] = Int32(outputIndex[port] ?? 0); destB[d] = Int32(index)
                case nil:
                    destKind[d] = 0
                }
            }
            selfDriven.append(driven)
            stochastic.append(stoch)
            used.append(core.neurons.map(\.index))
        }
        self.selfDriven = selfDriven
        self.stochastic = stochastic
        self.used = used
        seeds = map.cores.map(\.seed)
        mesh = (0..<cores).map { let p = map.meshPosition(of: $0); return (Int32(p.x), Int32(p.y)) }
        chip = map.cores.map { (Int32($0.chip[0]), Int32($0.chip[1])) }
    }

    deinit {
        for p in [weights, leak, alpha, beta, resetPotential, initial] { p.deallocate() }
        for p in [leakReversal, resetNormal, resetLinear, saturate, enabled] { p.deallocate() }
        crossbar.deallocate(); fanOut.deallocate(); axonType.deallocate()
        destKind.deallocate(); destA.deallocate(); destB.deallocate(); destDelay.deallocate()
    }
}
