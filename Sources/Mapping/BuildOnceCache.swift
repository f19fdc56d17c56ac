import CoreMap
import Foundation

/// Values built once per distinct key: the crossbars of tile and merge cores. A
/// convolution's tiles differ mostly in where they sit, not in how their neurons connect
/// to their axons: the full-size SiamSNN has 788,089 cores but 1,102 distinct crossbars.
/// Building a crossbar walks every synapse (billions in all), so cores whose key matches
/// take the value built for the first of them.
///
/// Shared by the threads that build cores; entries are only added, and a value is a
/// function of its key, so which thread adds it first does not change the map.
final class BuildOnceCache<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    private var entries: [Key: Value] = [:]
    private let lock = NSLock()
    /// A bound on memory should some layer's cores all differ.
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func value(_ key: Key, build: () -> Value) -> Value {
        lock.lock()
        if let hit = entries[key] {
            lock.unlock()
            return hit
        }
        lock.unlock()
        let built = build()
        lock.lock()
        if entries.count < capacity { entries[key] = built }
        lock.unlock()
        return built
    }
}

/// A cache key made of 32-bit words, hashed once when it is made (FNV-1a) rather than
/// word by word at every lookup: keys run to hundreds of words, and the full-size maps
/// look up one per core.
protocol WordsKey: Hashable, Sendable {
    var words: [Int32] { get }
    /// ``digest(_:)`` of `words`.
    var digest: Int { get }
    init(words: [Int32], digest: Int)
}

extension WordsKey {
    /// The key of `words`, hashed once.
    init(words: [Int32]) { self.init(words: words, digest: Self.digest(words)) }

    static func == (a: Self, b: Self) -> Bool { a.digest == b.digest && a.words == b.words }

    func hash(into hasher: inout Hasher) { hasher.combine(digest) }

    static func digest(_ words: [Int32]) -> Int {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for w in words { h = (h ^ UInt64(UInt32(bitPattern: w))) &* 0x100_0000_01B3 }
        return Int(truncatingIfNeeded: h)
    }
}

/// Everything a merge core's axon types and crossbar depend on: the layer's input parts,
/// stagger and sign types, and how many copies each of its elements has and, where they
/// vary, how many parts (in order).
struct MergeCrossbarKey: WordsKey {
    let words: [Int32]
    let digest: Int
}

extension MergeCrossbarKey {
    init(layout: SplitLayout, signs: [Int], copies: [Int32], parts: [Int32]) {
        self.init(words: [Int32(layout.slices), layout.bySign ? 1 : 0, layout.offset ? 1 : 0, Int32(layout.stagger), Int32(signs.count), Int32(copies.count)]
                  + signs.map { Int32($0) } + copies + parts)
    }
}

/// A merge core's axon types and crossbar.
struct MergeWiring: Sendable {
    var types: [UInt8]
    var crossbar: HashedTable<Crossbar>
}
