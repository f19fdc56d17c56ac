import TesseraSupport

/// What a node of the spiking IR computes. Parameters are plain values; the weights a
/// layer owns live in the graph's ``ParameterStore`` under the node's `parameterKey`.
public enum Operation: Hashable, Sendable {
    /// A network input of a fixed shape, turned into spikes by an encoding.
    case input(shape: TensorShape, encoding: InputEncoding)
    case conv2d(Convolution)
    case dense(Dense)
    case avgpool(Pooling)
    case sumpool(Pooling)
    case upsample(Upsample)
    case convTranspose2d(ConvolutionTranspose)
    /// Elementwise sum of two or more maps of one shape.
    case add
    /// Concatenation along channels of maps of one height and width.
    case concat
    /// Reshape to a vector `C*H*W x 1 x 1` (no neurons: a pure renaming of wires).
    case flatten
    case batchnorm(BatchNorm)
    /// SiamFC cross-correlation: the template's feature map slides over the search map as
    /// a kernel with all channels summed, giving a 1-channel response map.
    case xcorr

    /// The op name as written in network files.
    public var name: String {
        switch self {
        case .input: "input"
        case .conv2d: "conv2d"
        case .dense: "dense"
        case .avgpool: "avgpool"
        case .sumpool: "sumpool"
        case .upsample: "upsample"
        case .convTranspose2d: "convtranspose2d"
        case .add: "add"
        case .concat: "concat"
        case .flatten: "flatten"
        case .batchnorm: "batchnorm"
        case .xcorr: "xcorr"
        }
    }

    /// The number of inputs the op takes (nil: two or more).
    public var arity: Int? {
        switch self {
        case .input: 0
        case .add, .concat: nil
        case .xcorr: 2
        case let .conv2d(c): c.shortcut == nil ? 1 : 2
        default: 1
        }
    }

    /// Whether the op's outputs are spiking neurons on the chip. `flatten` and `concat`
    /// only rename wires; `batchnorm` is an affine map folded into the layer before it.
    public var hasNeurons: Bool {
        switch self {
        case .input, .flatten, .concat, .batchnorm: false
        default: true
        }
    }
}

/// conv2d: `out` channels, per-axis windows, `groups` (depthwise when groups == in channels).
public struct Convolution: Hashable, Sendable {
    public var outChannels: Int
    public var vertical: Window
    public var horizontal: Window
    public var groups: Int
    public var bias: Bool
    /// A residual block's shortcut: the convolution reads a second input through it, and its
    /// neurons sum both currents (`relu(bn(conv(h)) + x)` is one spiking layer).
    public var shortcut: Shortcut?

    public init(outChannels: Int, vertical: Window, horizontal: Window, groups: Int = 1, bias: Bool = true, shortcut: Shortcut? = nil) {
        self.outChannels = outChannels
        self.vertical = vertical
        self.horizontal = horizontal
        self.groups = groups
        self.bias = bias
        self.shortcut = shortcut
    }
}

/// The skip path of a residual block, read as the second input of a convolution: a dense
/// convolution (no groups, no dilation) with weights `<key>.shortcut`, `[out, in, kh, kw]`.
/// An identity shortcut is a 1x1 one with the identity matrix as weights; a projection
/// (ResNet's 1x1 strided convolution and its batch norm) has its own. A neuron has no
/// per-input gain, so the skip input's scale lives in these weights, as any input's does.
public struct Shortcut: Hashable, Sendable {
    public var vertical: Window
    public var horizontal: Window
    /// Declared as the identity: with no tensor given, its weights are the identity matrix.
    public var identity: Bool

    public init(vertical: Window = Window(kernel: 1), horizontal: Window = Window(kernel: 1), identity: Bool = false) {
        self.vertical = vertical
        self.horizontal = horizontal
        self.identity = identity
    }
}

/// convtranspose2d, PyTorch semantics; weights are `[in, out / groups, kh, kw]`.
public struct ConvolutionTranspose: Hashable, Sendable {
    public var outChannels: Int
    public var vertical: Window
    public var horizontal: Window
    public var outputPadding: [Int]
    public var groups: Int
    public var bias: Bool

    public init(outChannels: Int, vertical: Window, horizontal: Window, outputPadding: [Int] = [0, 0],
                groups: Int = 1, bias: Bool = true) {
        self.outChannels = outChannels
        self.vertical = vertical
        self.horizontal = horizontal
        self.outputPadding = outputPadding
        self.groups = groups
        self.bias = bias
    }
}

/// dense (fully connected) over the flattened input; weights are `[out, in]`.
public struct Dense: Hashable, Sendable {
    public var outFeatures: Int
    public var bias: Bool

    public init(outFeatures: Int, bias: Bool = true) {
        self.outFeatures = outFeatures
        self.bias = bias
    }
}

/// avgpool / sumpool window; padding positions are not connected.
public struct Pooling: Hashable, Sendable {
    public var vertical: Window
    public var horizontal: Window

    public init(vertical: Window, horizontal: Window) {
        self.vertical = vertical
        self.horizontal = horizontal
    }
}

/// Integer-factor upsampling of height and width.
public struct Upsample: Hashable, Sendable {
    public enum Mode: String, Sendable, CaseIterable { case nearest, bilinear }
    public var factor: Int
    public var mode: Mode

    public init(factor: Int, mode: Mode) {
        self.factor = factor
        self.mode = mode
    }
}

/// Batch normalisation with running statistics (inference form).
public struct BatchNorm: Hashable, Sendable {
    public var epsilon: Double

    public init(epsilon: Double = 1e-5) { self.epsilon = epsilon }

    /// The per-channel affine map y = scale * x + shift of running statistics `mean` and
    /// `variance` with `gamma` and `beta`: scale = gamma / sqrt(var + eps), shift = beta -
    /// scale * mean.
    public func affine(gamma: [Double], beta: [Double], mean: [Double], variance: [Double]) -> (scale: [Double], shift: [Double]) {
        let scale = mean.indices.map { gamma[$0] / (variance[$0] + epsilon).squareRoot() }
        return (scale, mean.indices.map { beta[$0] - scale[$0] * mean[$0] })
    }
}
