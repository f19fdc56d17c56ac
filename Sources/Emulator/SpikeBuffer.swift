/// One worker's list of Int32 spike codes for one tick, grown as needed (to twice its size)
/// rather than sized for the worst case: a full-size map's worst case, every neuron firing
/// in one tick, would be gigabytes that a real run never fills. Each worker reserves room
/// before it writes, and only it touches its buffer, so no lock is needed.
struct SpikeBuffer {
    private(set) var base: UnsafeMutablePointer<Int32>
    private(set) var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    /// Makes room for `needed` entries, keeping the first `count`.
    @inline(__always) mutating func reserve(_ needed: Int, keeping count: Int) {
        guard needed > capacity else { return }
        var grown = capacity
        while grown < needed { grown *= 2 }
        let bigger = UnsafeMutablePointer<Int32>.allocate(capacity: grown)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = grown
    }

    func deallocate() { base.deallocate() }
}
