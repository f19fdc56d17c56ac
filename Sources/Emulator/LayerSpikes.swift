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
        buckets(layers: map.layers, coreLayer: map.cores.map { $0.layer ?? -1 })
    }

    /// The same from each core's layer index (-1 or out of range: unlabelled).
    public static func buckets(layers: [LayerLabel], coreLayer: [Int]) -> (names: [String], ofCore: [Int]) {
        let names = layers.map(\.name) + ["(unlabelled)"]
        return (names, coreLayer.map { layers.indices.contains($0) ? $0 : layers.count })
    }
}
