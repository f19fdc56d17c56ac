import CoreMap

/// Spikes per tick per layer: what an activity plot draws. Buckets are the core map's
/// layers in order, then "(unlabelled)" for cores without a label.
public struct LayerSpikes: Sendable, Equatable {
    public var names: [String]
    /// `perTick[t][k]`: spikes fired in tick t by the cores of bucket k.
    public var perTick: [[Int]]

    public init(names: [String], perTick: [[Int]]) {
        self.names = names
        self.perTick = perTick
    }

    /// The buckets of a map and each core's bucket (its layer, or the last for unlabelled).
    public static func buckets(_ map: CoreMap) -> (names: [String], ofCore: [Int]) {
        let names = map.layers.map(\.name) + ["(unlabelled)"]
        let ofCore = map.cores.map { core in core.layer.flatMap { map.layers.indices.contains($0) ? $0 : nil } ?? map.layers.count }
        return (names, ofCore)
    }
}
