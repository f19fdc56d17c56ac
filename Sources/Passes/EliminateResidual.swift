import SpikeIR
import TesseraSupport

/// Residual elimination (explicit current control, as in SpKeras): every rate-coded neuron
/// starts at a fraction of its threshold, one half by default. A neuron starting at 0
/// truncates: after T ticks of a constant current worth rate r it has fired floor(T r)
/// times, up to one spike short. Starting at half the threshold it fires round(T r) times,
/// so the error is at most half a spike at every T, which counts most at short spike trains.
///
///     let started = try EliminateResidual(fraction: 0.5).run(quantised)
///
/// Only integrate-and-fire layers that reset by subtraction carry a residual; binary layers
/// are cleared every tick and leaky or reset-to-zero layers keep their start at 0. A
/// quantised ReLU (``Layer/levels``) keeps the shift it was trained with.
public struct EliminateResidual: Sendable {
    public var fraction: Double

    public init(fraction: Double = 0.5) {
        self.fraction = fraction
    }

    public func run(_ graph: SpikeGraph) throws(DiagnosticError) -> PassResult {
        guard NeuronModel.initialFractions.contains(fraction) else {
            throw DiagnosticError("initial potential \(fraction) is not a fraction of the threshold in -1...1")
        }
        var out = graph
        var log: [String] = []
        for (k, layer) in graph.layers.enumerated() {
            guard var neuron = layer.neuron, neuron.kind == .integrateAndFire, neuron.reset == .subtract else { continue }
            // A quantised ReLU's start is its trained shift, part of what it computes.
            guard layer.levels == nil else { continue }
            neuron.initialFraction = fraction
            out.layers[k].neuron = neuron
            let thresholds = neuron.channelThresholds ?? [neuron.threshold]
            let starts = thresholds.map { t in t == t.rounded() ? (fraction * t).rounded(.down) : fraction * t }
            log.append("\(layer.name): starts at \(fmt(fraction)) of its threshold (\(fmtRange(starts)))")
        }
        return PassResult(graph: out, log: log)
    }
}
