import Reference
import SpikeIR

/// The connections of one neuron: (source, integer weight), weight never zero. Computed
/// from the layer's geometry for that neuron alone, so no layer-wide edge list is built.
extension IntegerNetwork {
    func connections(of layer: Layer, neuron o: Int, wiring: Wiring, inputs: [Int], shapes: [TensorShape]) -> [(Source, Int)] {
        guard let out = layer.shape, let x = shapes.first, let firstInput = inputs.first else { return [] }
        var result: [(Source, Int)] = []
        func at(_ c: Int, _ y: Int, _ xx: Int, _ s: TensorShape) -> Int { (c * s.height + y) * s.width + xx }
        let (oc, oy, ox) = (o / (out.height * out.width), (o / out.width) % out.height, o % out.width)
        func add(_ input: Int, _ element: Int, _ weight: Int) {
            if weight != 0 { result.append((wiring.origin(input, element), weight)) }
        }
        switch layer.op {
        case let .conv2d(conv):
            /// The taps of output (oc, oy, ox) on input `input` of shape `x` through `conv`.
            func convolve(_ conv: Convolution, _ w: [Int], input: Int, _ x: TensorShape) {
                conv.forEachTap(outChannel: oc, y: oy, x: ox, input: x) { i, k in add(input, i, w[k]) }
            }
            convolve(conv, parameter(layer, "weight") ?? [], input: firstInput, x)
            // A residual block's shortcut: its own window on the second input.
            if let shortcut = conv.shortcut, inputs.count > 1, shapes.count > 1, let s = parameter(layer, "shortcut") {
                convolve(Convolution(outChannels: conv.outChannels, vertical: shortcut.vertical, horizontal: shortcut.horizontal), s, input: inputs[1], shapes[1])
            }
        case let .convTranspose2d(conv):
            let w = parameter(layer, "weight") ?? []
            let inPerGroup = x.channels / conv.groups, outPerGroup = conv.outChannels / conv.groups
            let group = oc / outPerGroup, co = oc % outPerGroup
            let (kh, kw) = (conv.vertical.kernel, conv.horizontal.kernel)
            for ci in (group * inPerGroup)..<((group + 1) * inPerGroup) {
                for ky in 0..<kh {
                    let ny = oy + conv.vertical.padding - ky * conv.vertical.dilation
                    guard ny >= 0, ny % conv.vertical.stride == 0, ny / conv.vertical.stride < x.height else { continue }
                    for kx in 0..<kw {
                        let nx = ox + conv.horizontal.padding - kx * conv.horizontal.dilation
                        guard nx >= 0, nx % conv.horizontal.stride == 0, nx / conv.horizontal.stride < x.width else { continue }
                        add(firstInput, at(ci, ny / conv.vertical.stride, nx / conv.horizontal.stride, x), w[((ci * outPerGroup + co) * kh + ky) * kw + kx])
                    }
                }
            }
        case .dense:
            let w = parameter(layer, "weight") ?? []
            for i in 0..<x.count { add(firstInput, i, w[o * x.count + i]) }
        case let .avgpool(pool), let .sumpool(pool):
            for ky in 0..<pool.vertical.kernel {
                let iy = pool.vertical.source(output: oy, tap: ky)
                guard iy >= 0 && iy < x.height else { continue }
                for kx in 0..<pool.horizontal.kernel {
                    let ix = pool.horizontal.source(output: ox, tap: kx)
                    if ix >= 0 && ix < x.width { add(firstInput, at(oc, iy, ix, x), 1) }
                }
            }
        case let .upsample(up):
            add(firstInput, at(oc, oy / up.factor, ox / up.factor, x), 1)
        case .add:
            for input in inputs { add(input, o, 1) }
        case .input, .flatten, .concat, .batchnorm, .xcorr:
            break
        }
        // One input read twice (add(x, x), a residual convolution of x plus x) gives a source
        // two synapses: a crossbar has one per axon and neuron, so their weights are summed.
        if Set(inputs).count < inputs.count {
            var merged: [Source: Int] = [:]
            var order: [Source] = []
            for (source, w) in result {
                if merged[source] == nil { order.append(source) }
                merged[source, default: 0] += w
            }
            result = order.compactMap { source in merged[source].flatMap { $0 == 0 ? nil : (source, $0) } }
        }
        return result
    }
}
