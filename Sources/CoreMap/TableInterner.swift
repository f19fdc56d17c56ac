/// Stores each distinct value once and hands out its index: how a packed core map keeps one
/// copy of the crossbar, axon-type vector or neuron block that many cores share (the tiles
/// of one convolution differ only in where their spikes go).
///
/// The caller supplies a 64-bit content hash, cheap to compute over the raw words, so that
/// a value of several kilobytes is hashed once and compared only on a hash match.
///
///     var crossbars = TableInterner<Crossbar>()
///     let a = crossbars.intern(x, hash: TableHash.words(x.words))   // 0
///     let b = crossbars.intern(x, hash: TableHash.words(x.words))   // 0 again
public struct TableInterner<Value: Equatable>: Sendable where Value: Sendable {
    public private(set) var values: [Value] = []
    private var byHash: [UInt64: [Int32]] = [:]

    public init() {}

    public mutating func intern(_ value: Value, hash: UInt64) -> Int32 {
        if let candidates = byHash[hash] {
            for k in candidates where values[Int(k)] == value { return k }
        }
        let k = Int32(values.count)
        values.append(value)
        byHash[hash, default: []].append(k)
        return k
    }
}

/// FNV-style content hashes for the shared tables (not cryptographic: equal hashes are
/// always confirmed by comparing the values).
public enum TableHash {
    @inline(__always) static func mix(_ h: UInt64, _ v: UInt64) -> UInt64 {
        (h ^ v) &* 0x100_0000_01B3 ^ ((h ^ v) >> 29)
    }

    public static func words(_ words: [UInt64]) -> UInt64 {
        words.withUnsafeBufferPointer { buffer in
            var h: UInt64 = 0xCBF2_9CE4_8422_2325
            for w in buffer { h = mix(h, w) }
            return h
        }
    }

    public static func bytes(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBufferPointer { buffer in
            var h: UInt64 = 0xCBF2_9CE4_8422_2325
            var i = 0
            while i + 8 <= buffer.count {
                var w: UInt64 = 0
                for b in 0..<8 { w |= UInt64(buffer[i + b]) << (8 * UInt64(b)) }
                h = mix(h, w)
                i += 8
            }
            while i < buffer.count { h = mix(h, UInt64(buffer[i])); i += 1 }
            return mix(h, UInt64(buffer.count))
        }
    }

    /// A neuron block: every parameter of every neuron (destinations are not part of it).
    public static func neurons(_ neurons: [NeuronConfig]) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for n in neurons {
            h = mix(h, UInt64(bitPattern: Int64(n.index)))
            for w in n.weights { h = mix(h, UInt64(bitPattern: Int64(w))) }
            h = mix(h, UInt64(bitPattern: Int64(n.leak)) &+ UInt64(bitPattern: Int64(n.threshold)) << 20)
            h = mix(h, UInt64(bitPattern: Int64(n.negThreshold)) &+ UInt64(bitPattern: Int64(n.resetPotential)) << 24)
            h = mix(h, UInt64(bitPattern: Int64(n.thresholdMask)) &+ UInt64(bitPattern: Int64(n.initialPotential)) << 24)
            h = mix(h, UInt64(NeuronBlock.flags(n)) | UInt64(NeuronBlock.code(n.reset)) << 8 | UInt64(NeuronBlock.code(n.negative)) << 10)
        }
        return mix(h, UInt64(neurons.count))
    }
}
