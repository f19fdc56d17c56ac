import TesseraSupport

/// The synaptic input of one layer: for each output neuron, the sum of weight x input over
/// its connections, computed by plain loops from each op's definition. Generic so that the
/// integer reference simulator (spikes, integer weights) and the conversion passes (real
/// activations, float weights) read one definition of what each op connects.
public enum LayerKernel {
    /// `inputs[k]` holds input k in C x H x W order; `parameter(suffix)` the layer's
    /// tensor (`weight`, `template`) flattened, or nil.
    // Specialised for Double and Int here, where the body is: callers in other modules
    // (the float reading, the compile-time rate estimate over billions of synapses) would
    // otherwise run it through protocol witnesses, several times slower.
    @_specialize(exported: true, where T == Double)
    @_specialize(exported: true, where T == Int)
    public static func apply<T: Numeric>(_ layer: Layer, inputs: [[T]], shapes: [TensorShape], parameter: (String) -> [T]?) -> [T] {
        guard let out = layer.shape, let x = shapes.first, let first = inputs.first else { return [] }
        var current = [T](repeating: 0, count: out.count)
        func at(_ c: Int, _ y: Int, _ xx: Int, _ s: TensorShape) -> Int { (c * s.height + y) * s.width + xx }
        switch layer.op {
        case let .conv2d(conv):
            let w = parameter("weight") ?? []
            if !convolve(conv, weights: w, input: first, shape: x, output: out, into: &current) {
                for co in 0..<out.channels {
                    for oy in 0..<out.height {
                        for ox in 0..<out.width {
                            var sum: T = 0
                            conv.forEachTap(outChannel: co, y: oy, x: ox, input: x) { i, k in sum += w[k] * first[i] }
                            current[at(co, oy, ox, out)] = sum
                        }
                    }
                }
            }
            // A residual block's shortcut adds its own convolution of the second input.
            if let shortcut = conv.shortcut, inputs.count > 1, shapes.count > 1 {
                var skip = layer
                skip.op = .conv2d(Convolution(outChannels: conv.outChannels, vertical: shortcut.vertical, horizontal: shortcut.horizontal, bias: false))
                let added = apply(skip, inputs: [inputs[1]], shapes: [shapes[1]]) { $0 == "weight" ? parameter("shortcut") : nil }
                for i in current.indices where i < added.count { current[i] += added[i] }
            }
        case let .convTranspose2d(conv):
            let w = parameter("weight") ?? []
            let inPerGroup = x.channels / conv.groups, outPerGroup = conv.outChannels / conv.groups
            let (kh, kw) = (conv.vertical.kernel, conv.horizontal.kernel)
            for ci in 0..<x.channels {
                let group = ci / inPerGroup
                for iy in 0..<x.height {
                    for ix in 0..<x.width where first[at(ci, iy, ix, x)] != 0 {
                        let spike = first[at(ci, iy, ix, x)]
                        for co in 0..<outPerGroup {
                            for ky in 0..<kh {
                                let oy = iy * conv.vertical.stride - conv.vertical.padding + ky * conv.vertical.dilation
                                guard oy >= 0 && oy < out.height else { continue }
                                for kx in 0..<kw {
                                    let ox = ix * conv.horizontal.stride - conv.horizontal.padding + kx * conv.horizontal.dilation
                                    guard ox >= 0 && ox < out.width else { continue }
                                    current[at(group * outPerGroup + co, oy, ox, out)] += w[((ci * outPerGroup + co) * kh + ky) * kw + kx] * spike
                                }
                            }
                        }
                    }
                }
            }
        case .dense:
            let w = parameter("weight") ?? []
            let n = x.count
            for o in 0..<out.count {
                var sum: T = 0
                for i in 0..<n where first[i] != 0 { sum += w[o * n + i] * first[i] }
                current[o] = sum
            }
        case let .avgpool(pool), let .sumpool(pool):
            for c in 0..<out.channels {
                for oy in 0..<out.height {
                    for ox in 0..<out.width {
                        var sum: T = 0
                        for ky in 0..<pool.vertical.kernel {
                            let iy = pool.vertical.source(output: oy, tap: ky)
                            guard iy >= 0 && iy < x.height else { continue }
                            for kx in 0..<pool.horizontal.kernel {
                                let ix = pool.horizontal.source(output: ox, tap: kx)
                                if ix >= 0 && ix < x.width { sum += first[at(c, iy, ix, x)] }
                            }
                        }
                        current[at(c, oy, ox, out)] = sum
                    }
                }
            }
        case let .upsample(up):
            for c in 0..<out.channels {
                for oy in 0..<out.height {
                    for ox in 0..<out.width { current[at(c, oy, ox, out)] = first[at(c, oy / up.factor, ox / up.factor, x)] }
                }
            }
        case .add:
            for input in inputs { for i in 0..<out.count { current[i] += input[i] } }
        case .xcorr:
            // The bound template (`<key>.template`, C x th x tw) slides over the search map,
            // the second input; the template branch's live spikes are not read.
            guard inputs.count == 2, shapes.count == 2, let t = parameter("template") else { break }
            let (s, z) = (shapes[1], shapes[0])
            for oy in 0..<out.height {
                for ox in 0..<out.width {
                    var sum: T = 0
                    for c in 0..<s.channels {
                        for i in 0..<z.height {
                            for j in 0..<z.width where inputs[1][at(c, oy + i, ox + j, s)] != 0 {
                                sum += t[(c * z.height + i) * z.width + j] * inputs[1][at(c, oy + i, ox + j, s)]
                            }
                        }
                    }
                    current[at(0, oy, ox, out)] = sum
                }
            }
        case .input, .flatten, .concat, .batchnorm:
            break
        }
        return current
    }

    /// A convolution's sums as ``Convolution/forEachTap(outChannel:y:x:input:_:)`` defines
    /// them, in the same order (so float sums are the same to the bit), with the taps that
    /// fall inside the input worked out once per output row and column instead of once per
    /// output, and the arrays read without bounds checks. The reference simulator runs
    /// this every tick over billions of synapses (compile's sampled error). False, with
    /// nothing written, when the arrays are shorter than the shapes say; the caller then
    /// runs the checked loop.
    @inline(__always)
    static func convolve<T: Numeric>(_ conv: Convolution, weights: [T], input: [T], shape x: TensorShape, output out: TensorShape,
                                     into current: inout [T]) -> Bool {
        let groups = max(1, conv.groups)
        let inPerGroup = x.channels / groups, outPerGroup = max(1, conv.outChannels / groups)
        let (kh, kw) = (conv.vertical.kernel, conv.horizontal.kernel)
        guard weights.count >= out.channels * inPerGroup * kh * kw, input.count >= x.count, current.count >= out.count,
              out.channels <= conv.outChannels else { return false }
        // Per output row (column), its taps inside the input: (tap, input row (column)).
        let rows = (0..<out.height).map { oy in
            (0..<kh).compactMap { ky -> (Int, Int)? in
                let iy = conv.vertical.source(output: oy, tap: ky)
                return iy >= 0 && iy < x.height ? (ky, iy) : nil
            }
        }
        let cols = (0..<out.width).map { ox in
            (0..<kw).compactMap { kx -> (Int, Int)? in
                let ix = conv.horizontal.source(output: ox, tap: kx)
                return ix >= 0 && ix < x.width ? (kx, ix) : nil
            }
        }
        weights.withUnsafeBufferPointer { w in
            input.withUnsafeBufferPointer { xs in
                current.withUnsafeMutableBufferPointer { o in
                    for co in 0..<out.channels {
                        let group = co / outPerGroup
                        for oy in 0..<out.height {
                            let rowTaps = rows[oy]
                            for ox in 0..<out.width {
                                let colTaps = cols[ox]
                                var sum: T = 0
                                for ci in 0..<inPerGroup {
                                    let c = group * inPerGroup + ci
                                    let kernel = (co * inPerGroup + ci) * kh
                                    for (ky, iy) in rowTaps {
                                        let (wRow, xRow) = ((kernel + ky) * kw, (c * x.height + iy) * x.width)
                                        for (kx, ix) in colTaps { sum += w[wRow + kx] * xs[xRow + ix] }
                                    }
                                }
                                o[(co * out.height + oy) * out.width + ox] = sum
                            }
                        }
                    }
                }
            }
        }
        return true
    }
}
