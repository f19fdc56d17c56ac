import Passes
import SpikeIR

extension AnalogForward {
    /// The float (ANN) network's class maps: per sample, `output`'s scores (by default the
    /// last output layer's, read without its ReLU) read per pixel by `Segmentation.classes`,
    /// the rule the emulated maps are read by. Nil when the output is a vector.
    public func segmentation(_ samples: [[String: [Double]]], output: String? = nil) -> [[Int]]? {
        guard let name = output ?? graph.outputs.last,
              let k = graph.layers.firstIndex(where: { $0.name == name }),
              let shape = graph.layers[k].shape, !shape.isVector else { return nil }
        return samples.map { Segmentation.classes(run($0, linear: [name])[k], classes: shape.channels) }
    }
}
