import TesseraSupport

/// How a floating-point network becomes one a core runs exactly: the network file's
/// `compile:` section, or the command line's options over it. Each field enables or tunes
/// one conversion pass; the pipeline runs them in a fixed order (fold batch norm, compose
/// pools, approximate decay, balance thresholds, quantise weights, eliminate residual, calibrate bias, signed
/// readout, binarise activations).
///
/// ```yaml
/// compile:
///   compose_pools: true                         # pools into the convolutions after them
///   balance: { percentile: 99.9, per: channel, calibration: calibration.npy }
///   quantise: { weights: 4, per: channel }      # 2..8 bits, or trinary
///   initial_potential: 0.5                      # residual elimination
///   calibrate: { samples: 64, ticks: 32 }       # bias calibration
/// ```
public struct ConversionSettings: Sendable, Equatable {
    /// Threshold balancing on a calibration set (rate-coded ANN-to-SNN conversion).
    public struct Balance: Sendable, Equatable {
        public var percentile: Double
        public var granularity: ScaleGranularity
        /// `.npy` files of calibration samples, `[N, C, H, W]` (or `[N, ...]` of the input's
        /// size) per network input; paths as written, relative to `baseDirectory`.
        public var calibration: [String: String]

        public init(percentile: Double = 99.9, granularity: ScaleGranularity = .layer, calibration: [String: String] = [:]) {
            self.percentile = percentile
            self.granularity = granularity
            self.calibration = calibration
        }
    }

    /// Weight quantisation to k-bit integers or trinary values.
    public struct Quantise: Sendable, Equatable {
        public var format: WeightFormat
        public var granularity: ScaleGranularity
        /// Layers quantised otherwise than `format`, by name (the default quantisation
        /// narrows a layer whose window would not fit a core at `format`).
        public var layers: [String: WeightFormat]
        /// Set by a loader's default (an imported ONNX model's), not asked for: the target's
        /// conversion may then narrow layers as it does when nothing is set.
        public var byDefault: Bool

        public init(format: WeightFormat, granularity: ScaleGranularity = .layer, layers: [String: WeightFormat] = [:], byDefault: Bool = false) {
            self.format = format
            self.granularity = granularity
            self.layers = layers
            self.byDefault = byDefault
        }
    }

    /// Layer-by-layer bias calibration on the spiking network's measured rates (SNN
    /// Calibration, Li et al. 2021): the first `samples` calibration samples, each shown for
    /// `ticks` ticks.
    public struct Calibrate: Sendable, Equatable {
        public var samples: Int
        public var ticks: Int
        /// Raise a classifier's scores by one common amount so that its winner always fires.
        public var shiftReadout: Bool
        /// The advanced form: each weighted layer's gain per channel first (its threshold).
        public var gain: Bool

        public init(samples: Int, ticks: Int = 32, shiftReadout: Bool = false, gain: Bool = false) {
            self.samples = samples
            self.ticks = ticks
            self.shiftReadout = shiftReadout
            self.gain = gain
        }
    }

    public var foldBatchNorm: Bool
    /// Compose each average or sum pool into the convolution that reads it (``ComposePools``
    /// in Passes): exact where a pooling layer would round, at the cost of wider windows.
    public var composePools: Bool
    /// Replace each `lif` decay by the measured best linear leak.
    public var approximateDecay: Bool
    public var balance: Balance?
    public var quantise: Quantise?
    /// Residual elimination: rate-coded neurons start at this fraction of their threshold
    /// (one half in explicit current control); nil leaves them at 0.
    public var initialPotential: Double?
    public var calibrate: Calibrate?
    /// Read each output as the difference of two neurons, one counting how far its score
    /// rises and one how far it falls (``SignedReadout`` in Passes); nil: on for networks
    /// with quantised ReLUs (QCFS), whose classifiers gain most from it.
    public var signedReadout: Bool?
    /// Bring binary (Eedn) layers to exact integer form.
    public var binarise: Bool
    /// Where the file that declared these settings lives, for relative calibration paths.
    public var baseDirectory: String

    public init(foldBatchNorm: Bool = true, composePools: Bool = false, approximateDecay: Bool = true, balance: Balance? = nil,
                quantise: Quantise? = nil, initialPotential: Double? = nil, calibrate: Calibrate? = nil,
                signedReadout: Bool? = nil, binarise: Bool = true, baseDirectory: String = ".") {
        self.foldBatchNorm = foldBatchNorm
        self.composePools = composePools
        self.approximateDecay = approximateDecay
        self.balance = balance
        self.quantise = quantise
        self.initialPotential = initialPotential
        self.calibrate = calibrate
        self.signedReadout = signedReadout
        self.binarise = binarise
        self.baseDirectory = baseDirectory
    }
}

/// Whether a conversion scale is shared by a whole layer or held per output channel.
public enum ScaleGranularity: String, Sendable, CaseIterable {
    case layer, channel
}

/// The integer weights a quantiser produces: symmetric k-bit (2...8) or trinary.
public enum WeightFormat: Sendable, Equatable, CustomStringConvertible {
    case bits(Int)
    case trinary

    /// Reads `4`, `4-bit` or `trinary`.
    public init?(_ text: String) {
        let t = text.lowercased()
        if t == "trinary" || t == "ternary" { self = .trinary; return }
        let digits = t.hasSuffix("-bit") ? String(t.dropLast(4)) : t
        guard let k = Int(digits) else { return nil }
        self = .bits(k)
    }

    public var description: String {
        switch self {
        case let .bits(k): "\(k)-bit"
        case .trinary: "trinary"
        }
    }
}
