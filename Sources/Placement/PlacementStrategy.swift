/// How cores are placed: `auto` bisects the board with METIS (``BisectionPlacement``), in
/// blocks of 4 x 4 cores above 100,000 cores (``GroupedPlacement``, where a k-way cut into
/// chips is tried too and the better kept), and up to 100,000
/// keeps the better of that and row-major, each improved by local search; `cores` bisects
/// core by core at every size; `rowMajor` keeps the partition's order (layer by layer,
/// tile by tile), to compare against.
public enum PlacementStrategy: String, Sendable, CaseIterable {
    case auto
    /// Bisection core by core at every size: on full-size maps fewer chip crossings than
    /// `auto`'s blocks of 4 x 4 cores, for several times the time and memory.
    case cores
    case rowMajor = "row-major"
}
