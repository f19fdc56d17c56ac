/// The parameters of one hardware neuron (Cassidy et al. 2013), as integers.
///
/// Names follow the core map file; the spec's symbols are in the comments. A spike on an
/// axon of type g connected to this neuron adds `weights[g]` (or, for a stochastic synapse,
/// `sign(weights[g])` with probability set by its magnitude).
public struct NeuronConfig: Sendable, Equatable {
    /// What a spike does to the membrane (gamma): 0 normal (to `resetPotential`),
    /// 1 linear (subtract the threshold), 2 none.
    public enum Reset: String, Sendable, CaseIterable { case normal, linear, none }
    /// Below the negative threshold (kappa): 1 saturate at `-negThreshold`, 0 reset.
    public enum Negative: String, Sendable, CaseIterable { case saturate, reset }

    public var index: Int
    /// s_j[0..3]
    public var weights: [Int]
    /// b_j[0..3]
    public var stochasticSynapse: [Bool]
    /// lambda
    public var leak: Int
    /// c_lambda
    public var stochasticLeak: Bool
    /// epsilon: the leak pulls toward zero instead of in a fixed direction.
    public var leakReversal: Bool
    /// alpha
    public var threshold: Int
    /// beta
    public var negThreshold: Int
    /// M: the threshold adds `rho & M` (a stochastic threshold) when nonzero.
    public var thresholdMask: Int
    public var reset: Reset
    /// R
    public var resetPotential: Int
    public var negative: Negative
    public var initialPotential: Int
    public var destination: Destination?

    /// Shared defaults: a reader building millions of neurons then allocates no arrays for
    /// fields the file omits.
    public static let noWeights = [0, 0, 0, 0]
    public static let noStochasticSynapse = [false, false, false, false]

    public init(index: Int, weights: [Int] = NeuronConfig.noWeights, stochasticSynapse: [Bool] = NeuronConfig.noStochasticSynapse,
                leak: Int = 0, stochasticLeak: Bool = false, leakReversal: Bool = false, threshold: Int = 1,
                negThreshold: Int = 0, thresholdMask: Int = 0, reset: Reset = .normal, resetPotential: Int = 0,
                negative: Negative = .saturate, initialPotential: Int = 0, destination: Destination? = nil) {
        self.index = index
        self.weights = weights
        self.stochasticSynapse = stochasticSynapse
        self.leak = leak
        self.stochasticLeak = stochasticLeak
        self.leakReversal = leakReversal
        self.threshold = threshold
        self.negThreshold = negThreshold
        self.thresholdMask = thresholdMask
        self.reset = reset
        self.resetPotential = resetPotential
        self.negative = negative
        self.initialPotential = initialPotential
        self.destination = destination
    }

    /// Whether any part of the neuron draws random numbers.
    public var isStochastic: Bool { stochasticSynapse.contains(true) || stochasticLeak || thresholdMask != 0 }
}

/// Where a neuron's spikes go: one axon of one core after a delay, or one element of an
/// output port. TrueNorth neurons have exactly one destination; fan-out needs copies.
public enum Destination: Sendable, Equatable {
    case axon(core: Int, axon: Int, delay: Int)
    case output(port: String, index: Int)
}
