/// The elements a merge core holds: a run of a layer's elements in position-major order
/// (every channel of one position, then the next position), so that a merge core sits
/// with the partial-sum cores of the same positions, whose tiles hold all their channels.
/// Channel-major runs would give each merge core one channel across a whole row, and tie
/// every chip of partial sums to merge cores all over the layer.
///
///     MergeElements(run: 0..<4, channels: 2, positions: 3)  // elements 0, 3, 1, 4
struct MergeElements: RandomAccessCollection, Sendable, Equatable {
    /// Indices into the position-major order: q is channel q % channels of position
    /// q / channels.
    let run: Range<Int>
    let channels: Int
    /// Height x width of the layer's output.
    let positions: Int

    var startIndex: Int { run.lowerBound }
    var endIndex: Int { run.upperBound }

    /// The layer element (channel-major index, as the IR numbers them) at order `q`.
    subscript(q: Int) -> Int {
        let (position, channel) = q.quotientAndRemainder(dividingBy: channels)
        return channel * positions + position
    }
}
