import TesseraSupport

/// A linear NIR node as a 2-D convolution (PyTorch semantics, weights (out, in / groups,
/// kh, kw)): a Conv2d as it is, a SumPool2d or AvgPool2d as a depthwise convolution of ones
/// (or of 1 / (kh kw)), a per-channel Scale as a depthwise 1 x 1 one. In this one form a
/// chain of linear nodes composes exactly into one weight layer (``composed(after:input:)``),
/// as NIR means it: only neuron nodes spike, so the chain between two of them is one map.
struct NIRConvolution: Equatable {
    var inChannels: Int, outChannels: Int, groups: Int
    var kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)
    var weight: [Double]
    var bias: [Double]

    static func == (a: Self, b: Self) -> Bool {
        a.inChannels == b.inChannels && a.outChannels == b.outChannels && a.groups == b.groups && a.kernel == b.kernel
            && a.stride == b.stride && a.padding == b.padding && a.dilation == b.dilation && a.weight == b.weight && a.bias == b.bias
    }

    var inPerGroup: Int { inChannels / groups }
    var outPerGroup: Int { outChannels / groups }

    /// A depthwise convolution: channel c is scaled by `scale[c]` over a `kernel` window.
    static func depthwise(channels: Int, scale: [Double], kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int)) -> Self {
        let taps = kernel.0 * kernel.1
        return Self(inChannels: channels, outChannels: channels, groups: channels, kernel: kernel, stride: stride, padding: padding,
                    dilation: (1, 1), weight: scale.flatMap { Array(repeating: $0, count: taps) }, bias: Array(repeating: 0, count: channels))
    }

    /// The weight from input channel `ci` to output channel `co` at tap (ty, tx), zero
    /// across groups.
    func full(_ co: Int, _ ci: Int, _ ty: Int, _ tx: Int) -> Double {
        let g = co / outPerGroup
        let local = ci - g * inPerGroup
        guard local >= 0, local < inPerGroup else { return 0 }
        return weight[((co * inPerGroup + local) * kernel.0 + ty) * kernel.1 + tx]
    }

    static func outputSize(_ n: Int, kernel k: Int, stride s: Int, padding p: Int, dilation d: Int) -> Int {
        let span = n + 2 * p - d * (k - 1) - 1
        return span < 0 ? 0 : span / s + 1
    }

    func outputShape(_ input: (c: Int, h: Int, w: Int)) -> (c: Int, h: Int, w: Int) {
        (outChannels, Self.outputSize(input.h, kernel: kernel.0, stride: stride.0, padding: padding.0, dilation: dilation.0),
         Self.outputSize(input.w, kernel: kernel.1, stride: stride.1, padding: padding.1, dilation: dilation.1))
    }

    /// This convolution applied after `first` on an input of `input` (channels, height,
    /// width), as one convolution: stride s1 s2, padding p2 s1 + p1, and each pair of taps
    /// adding up at offset t2 d2 s1 + t1 d1. Exact when every position the second reads in
    /// the first's zero padding lies in the padding of the whole (else nil, with the reason):
    /// a pooling with kernel <= stride on a size it divides, or any first map when the second
    /// has no padding.
    func composed(after first: Self, input: (c: Int, h: Int, w: Int)) -> Result<Self, NIRCompositionError> {
        let middle = first.outputShape(input)
        guard middle.c == inChannels else { return .failure(.channels(middle.c, inChannels)) }
        let sizes = [(input.h, middle.h), (input.w, middle.w)]
        var k = [0, 0], s = [0, 0], p = [0, 0]
        let a = [(first.kernel.0, first.stride.0, first.padding.0, first.dilation.0), (first.kernel.1, first.stride.1, first.padding.1, first.dilation.1)]
        let b = [(kernel.0, stride.0, padding.0, dilation.0), (kernel.1, stride.1, padding.1, dilation.1)]
        for axis in 0..<2 {
            let (ka, sa, pa, da) = a[axis], (kb, sb, pb, db) = b[axis]
            let (n, m) = sizes[axis]
            if pb > 0 {
                // Reads of the middle map's padding: at -1 and at m, which must fall wholly
                // in the input's padding, and the first map's bias is absent there.
                guard (ka - 1) * da < sa + pa, m * sa - pa >= n else { return .failure(.padding) }
                guard first.bias.allSatisfy({ $0 == 0 }) else { return .failure(.bias) }
            }
            k[axis] = (kb - 1) * db * sa + (ka - 1) * da + 1
            s[axis] = sa * sb
            p[axis] = pb * sa + pa
        }
        var result = Self(inChannels: first.inChannels, outChannels: outChannels, groups: 1, kernel: (k[0], k[1]), stride: (s[0], s[1]),
                          padding: (p[0], p[1]), dilation: (1, 1), weight: Array(repeating: 0, count: outChannels * first.inChannels * k[0] * k[1]),
                          bias: bias)
        for co in 0..<outChannels {
            for cm in 0..<inChannels {
                for tby in 0..<kernel.0 {
                    for tbx in 0..<kernel.1 {
                        let wb = full(co, cm, tby, tbx)
                        guard wb != 0 else { continue }
                        result.bias[co] += wb * first.bias[cm]
                        for ci in 0..<first.inChannels {
                            for tay in 0..<first.kernel.0 {
                                for tax in 0..<first.kernel.1 {
                                    let wa = first.full(cm, ci, tay, tax)
                                    guard wa != 0 else { continue }
                                    let uy = tby * dilation.0 * first.stride.0 + tay * first.dilation.0
                                    let ux = tbx * dilation.1 * first.stride.1 + tax * first.dilation.1
                                    result.weight[((co * first.inChannels + ci) * k[0] + uy) * k[1] + ux] += wb * wa
                                }
                            }
                        }
                    }
                }
            }
        }
        let expected = outputShape(middle), got = result.outputShape(input)
        guard expected == got else { return .failure(.size) }
        return .success(result.regrouped())
    }

    /// The same convolution with the most groups its zeros allow (fewer synapses on cores).
    func regrouped() -> Self {
        guard groups == 1 else { return self }
        let g = (1...min(inChannels, outChannels)).reversed().first { g in
            guard inChannels % g == 0, outChannels % g == 0 else { return false }
            let (ip, op) = (inChannels / g, outChannels / g)
            for co in 0..<outChannels {
                for ci in 0..<inChannels where ci / ip != co / op {
                    for t in 0..<(kernel.0 * kernel.1) where weight[(co * inChannels + ci) * kernel.0 * kernel.1 + t] != 0 { return false }
                }
            }
            return true
        } ?? 1
        guard g > 1 else { return self }
        let (ip, taps) = (inChannels / g, kernel.0 * kernel.1)
        var w: [Double] = []
        w.reserveCapacity(outChannels * ip * taps)
        for co in 0..<outChannels {
            let base = (co / (outChannels / g)) * ip
            for local in 0..<ip {
                let from = (co * inChannels + base + local) * taps
                w += weight[from..<(from + taps)]
            }
        }
        var r = self
        r.groups = g
        r.weight = w
        return r
    }

    /// Rows over this convolution's output (flattened, channel-major) taken back to rows
    /// over its input, plus what its bias adds to each row: the adjoint, which folds the
    /// convolution into a dense layer that reads its output.
    func pullBack(_ rows: [[Double]], input: (c: Int, h: Int, w: Int)) -> (rows: [[Double]], bias: [Double]) {
        let out = outputShape(input)
        var bias: [Double] = []
        let back = rows.map { row -> [Double] in
            var r = [Double](repeating: 0, count: input.c * input.h * input.w)
            var b = 0.0
            for co in 0..<outChannels {
                let g = co / outPerGroup
                for oy in 0..<out.h {
                    for ox in 0..<out.w {
                        let v = row[(co * out.h + oy) * out.w + ox]
                        guard v != 0 else { continue }
                        b += v * self.bias[co]
                        for local in 0..<inPerGroup {
                            let ci = g * inPerGroup + local
                            for ty in 0..<kernel.0 {
                                let y = oy * stride.0 - padding.0 + ty * dilation.0
                                guard y >= 0, y < input.h else { continue }
                                for tx in 0..<kernel.1 {
                                    let x = ox * stride.1 - padding.1 + tx * dilation.1
                                    guard x >= 0, x < input.w else { continue }
                                    r[(ci * input.h + y) * input.w + x] += v * weight[((co * inPerGroup + local) * kernel.0 + ty) * kernel.1 + tx]
                                }
                            }
                        }
                    }
                }
            }
            bias.append(b)
            return r
        }
        return (back, bias)
    }
}

/// Why two linear nodes do not compose exactly into one convolution.
enum NIRCompositionError: Error {
    case channels(Int, Int)
    case padding
    case bias
    case size

    var reason: String {
        switch self {
        case let .channels(a, b): "the first gives \(a) channels and the second reads \(b)"
        case .padding: "the second reads the first's zero padding at positions that are real input of the whole"
        case .bias: "the second reads the first's zero padding, where the first's bias is absent"
        case .size: "the composed convolution's output size differs from the chain's"
        }
    }
}
