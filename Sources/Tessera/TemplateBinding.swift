import Reference
import SpikeIR
import TesseraSupport

/// SiamFC's two stages on a chip. The exemplar (the object to track) is seen once: its
/// branch runs off-chip (here in the reference simulator) and its feature map becomes the
/// cross-correlation head's weights. Only the search branch and the head are on cores, so
/// tracking a new object rebinds the head's template and rebuilds the head's cores; the
/// backbone's cores do not change (docs/workloads.md).
///
///     let z = try tracker.templateFeatures(head: "score", exemplar: spikes, ticks: 32, target: target)
///     let bound = try tracker.bindingTemplate(z, to: "score")
///     let map = try Compiler(IntegerNetwork.check(bound.graph, target: target)).compile().map
extension Network {
    /// The exemplar branch's output for one exemplar: spikes per element of the layer xcorr
    /// `head` reads as its template (C x H x W), over `ticks` ticks of the reference simulator.
    public func templateFeatures(head: String, exemplar: SpikeInput, ticks: Int, target: Target) throws(DiagnosticError) -> Tensor {
        let (_, templateLayer) = try xcorrHead(head)
        var branch = graph
        branch.outputs = [templateLayer.name]
        let result = ReferenceSimulator(try IntegerNetwork.check(branch, target: target)).run(exemplar, ticks: ticks)
        guard let port = result.outputs.first, let shape = templateLayer.shape,
              let tensor = Tensor(shape: [shape.channels, shape.height, shape.width], values: port.counts.map(Double.init)) else {
            throw DiagnosticError("xcorr '\(head)': the template layer '\(templateLayer.name)' produced no output")
        }
        return tensor
    }

    /// A copy whose xcorr `head` reads `features` as its template, quantised to `bits`-bit
    /// unsigned weights (count x (2^bits - 1) / the largest count, rounded): few bits keep
    /// the head's fan-in within a core's axons (each input takes one axon per weight bit).
    /// The head's threshold becomes the template's total weight: a search window whose every
    /// input fires each tick then drives the response neuron exactly to threshold, so its
    /// rate is the correlation normalised to [0, 1] and never saturates.
    public func bindingTemplate(_ features: Tensor, to head: String, bits: Int = 3) throws(DiagnosticError) -> Network {
        let (layer, templateLayer) = try xcorrHead(head)
        guard let shape = templateLayer.shape, features.shape == [shape.channels, shape.height, shape.width] else {
            throw DiagnosticError("xcorr '\(head)': template of shape \(describeShape(features.shape)) does not match '\(templateLayer.name)', \(templateLayer.shape.map { "\($0)" } ?? "unshaped")")
        }
        guard features.values.allSatisfy({ $0 >= 0 && $0 == $0.rounded() }) else {
            throw DiagnosticError("xcorr '\(head)': a bound template holds spike counts, non-negative integers")
        }
        guard (1...8).contains(bits) else { throw DiagnosticError("xcorr '\(head)': template weights take 1 to 8 bits, not \(bits)") }
        let largest = features.values.max() ?? 0
        guard largest > 0 else { throw DiagnosticError("xcorr '\(head)': the exemplar's features are all zero; nothing to correlate with") }
        let top = Double((1 << bits) - 1)
        let values = features.values.map { ($0 * top / largest).rounded() }
        let total = values.reduce(0, +)
        var bound = self
        if let weights = Tensor(shape: features.shape, values: values) {
            bound.graph.parameters["\(layer.parameterKey ?? layer.name).template"] = .loaded(weights, origin: "bound exemplar features, \(bits)-bit")
        }
        if let k = bound.graph.layers.firstIndex(where: { $0.name == head }) {
            var model = bound.graph.layers[k].neuron ?? NeuronModel()
            model.threshold = total
            bound.graph.layers[k].neuron = model
        }
        return bound
    }

    private func xcorrHead(_ head: String) throws(DiagnosticError) -> (head: Layer, template: Layer) {
        guard let layer = graph.layer(named: head) else { throw DiagnosticError("no layer '\(head)' in \(graph.name)") }
        guard case .xcorr = layer.op, let name = layer.inputs.first, let template = graph.layer(named: name) else {
            throw DiagnosticError("layer '\(head)' is a \(layer.op.name), not an xcorr head")
        }
        return (layer, template)
    }
}
