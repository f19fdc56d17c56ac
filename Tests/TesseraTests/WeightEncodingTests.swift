import Testing
@testable import Mapping

/// The encodings represent every weight they accept: for each weight, the per-type weights
/// s[type(lane)] of the lanes it lights add up to it (the spec: a spike on axon i adds
/// s_j[G_i] for each connected axon), and the choice follows the cheapest-first order.
@Suite struct WeightEncodingTests {
    @Test(arguments: 4...9)
    func slicedWeightsAddUp(bits: Int) throws {
        let encoding = WeightEncoding.sliced(bits: bits)
        let table = encoding.table([])
        let lanes = encoding.lanes(positive: true, negative: true)
        for w in -(1 << (bits - 1))...((1 << (bits - 1)) - 1) {
            let mask = encoding.laneMask(w, table: table)
            let sum = lanes.filter { mask >> UInt32($0) & 1 == 1 }.reduce(0) { $0 + table[encoding.hardwareType($1)] }
            #expect(sum == w, "bits \(bits), w \(w)")
            #expect(mask >> UInt32(lanes.count) == 0)
        }
        // Each type holds m - 1 lanes except the sign type, which holds one.
        let perType = (0..<4).map { t in lanes.filter { encoding.hardwareType($0) == t }.count }
        #expect(perType == [lanes.count / 3, lanes.count / 3, lanes.count / 3, 1])
    }

    /// Lanes per input worked out by hand: base m is the least with m^3 >= 2^(k-1)
    /// (k=4: 2, k=5: 3, k=6: 4 since 3^3 = 27 < 32, k=7: 4, k=8: 6 since 5^3 = 125 < 128,
    /// k=9: 7 since 6^3 = 216 < 256), and a weight takes 3(m-1)+1 lanes.
    @Test func lanesPerInputByHand() {
        let lanes = (4...9).map { WeightEncoding.sliced(bits: $0).lanes(positive: true, negative: true).count }
        #expect(lanes == [4, 7, 10, 10, 16, 19])
        #expect(WeightEncoding.sliced(bits: 4).table([]) == [1, 2, 4, -8])
        #expect(WeightEncoding.sliced(bits: 8).table([]) == [1, 6, 36, -128])
    }

    @Test func choosesTheCheapestExactEncoding() {
        let nineBit = -256...255
        #expect(WeightEncoding.choose([[3, -2], [1]], weightRange: nineBit) == .signed)
        #expect(WeightEncoding.choose([[3, 2, -2]], weightRange: nineBit) == .levels(3))
        #expect(WeightEncoding.choose([[1, 2, 3, 4, -8]], weightRange: nineBit) == .sliced(bits: 4))
        #expect(WeightEncoding.choose([[1, 2, 3, 4, 8]], weightRange: nineBit) == .sliced(bits: 5))
        #expect(WeightEncoding.choose([[1, 2, 3, 4, -129]], weightRange: nineBit) == .sliced(bits: 9))
        // 9-bit weights need a sign type of -256: not in an 8-bit synaptic weight.
        #expect(WeightEncoding.choose([[1, 2, 3, 4, -129]], weightRange: -128...127) == nil)
    }
}
