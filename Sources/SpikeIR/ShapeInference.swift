/// A reason an op cannot be applied to the shapes it is given, for the verifier to report
/// at the layer's location.
public struct ShapeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Operation {
    /// The output shape of the op applied to `inputs` (already checked for arity).
    public func outputShape(inputs: [TensorShape]) throws(ShapeError) -> TensorShape {
        switch self {
        case let .input(shape, _):
            return shape
        case let .conv2d(conv):
            let x = inputs[0]
            try checkGroups(conv.groups, inChannels: x.channels, outChannels: conv.outChannels)
            let height = conv.vertical.convolvedSize(x.height)
            let width = conv.horizontal.convolvedSize(x.width)
            try checkWindow(height: height, width: width, input: x, conv.vertical, conv.horizontal)
            if let shortcut = conv.shortcut, inputs.count > 1 {
                let skip = inputs[1]
                let size = (shortcut.vertical.convolvedSize(skip.height), shortcut.horizontal.convolvedSize(skip.width))
                guard size == (height, width) else {
                    throw ShapeError("its shortcut reads \(skip) with kernel \(shortcut.vertical.kernel) and stride \(shortcut.vertical.stride), which gives \(size.0)x\(size.1), but the convolution gives \(height)x\(width); the two branches of a residual block must meet in one shape")
                }
                guard shortcut.identity == false || skip.channels == conv.outChannels else {
                    throw ShapeError("its identity shortcut reads \(skip.channels) channels into \(conv.outChannels); an identity needs as many (give the shortcut its own weights: a projection)")
                }
            }
            return TensorShape(conv.outChannels, height, width)
        case let .convTranspose2d(conv):
            let x = inputs[0]
            try checkGroups(conv.groups, inChannels: x.channels, outChannels: conv.outChannels)
            for (axis, window, pad) in [("height", conv.vertical, conv.outputPadding[0]), ("width", conv.horizontal, conv.outputPadding[1])]
            where pad >= max(window.stride, window.dilation) {
                throw ShapeError("output_padding \(pad) along \(axis) must be smaller than the stride or the dilation (\(max(window.stride, window.dilation)))")
            }
            let height = conv.vertical.transposedSize(x.height, outputPadding: conv.outputPadding[0])
            let width = conv.horizontal.transposedSize(x.width, outputPadding: conv.outputPadding[1])
            guard height > 0, width > 0 else {
                throw ShapeError("padding removes the whole output: \(x) gives \(height)x\(width)")
            }
            return TensorShape(conv.outChannels, height, width)
        case let .dense(dense):
            return TensorShape(vector: dense.outFeatures)
        case let .avgpool(pool), let .sumpool(pool):
            let x = inputs[0]
            for window in [pool.vertical, pool.horizontal] where window.padding * 2 > window.kernel {
                throw ShapeError("padding \(window.padding) is more than half the pooling window \(window.kernel)")
            }
            let height = pool.vertical.convolvedSize(x.height)
            let width = pool.horizontal.convolvedSize(x.width)
            try checkWindow(height: height, width: width, input: x, pool.vertical, pool.horizontal)
            return TensorShape(x.channels, height, width)
        case let .upsample(up):
            let x = inputs[0]
            return TensorShape(x.channels, x.height * up.factor, x.width * up.factor)
        case .add:
            let first = inputs[0]
            if let other = inputs.first(where: { $0 != first }) {
                throw ShapeError("add needs inputs of one shape, got \(inputs.map(\.description).joined(separator: " and ")) (\(first) vs \(other))")
            }
            return first
        case .concat:
            let first = inputs[0]
            if inputs.contains(where: { $0.height != first.height || $0.width != first.width }) {
                throw ShapeError("concat joins channels and needs one height x width, got \(inputs.map(\.description).joined(separator: ", "))")
            }
            return TensorShape(inputs.reduce(0) { $0 + $1.channels }, first.height, first.width)
        case .flatten:
            return TensorShape(vector: inputs[0].count)
        case .batchnorm:
            return inputs[0]
        case .xcorr:
            let (template, search) = (inputs[0], inputs[1])
            guard template.channels == search.channels else {
                throw ShapeError("xcorr needs template and search with the same channels, got \(template.channels) (template \(template)) and \(search.channels) (search \(search))")
            }
            guard template.height <= search.height, template.width <= search.width else {
                throw ShapeError("xcorr template \(template) is larger than the search map \(search)")
            }
            return TensorShape(1, search.height - template.height + 1, search.width - template.width + 1)
        }
    }
}

private func checkGroups(_ groups: Int, inChannels: Int, outChannels: Int) throws(ShapeError) {
    guard inChannels % groups == 0, outChannels % groups == 0 else {
        throw ShapeError("groups = \(groups) must divide both the input channels (\(inChannels)) and the output channels (\(outChannels))")
    }
}

private func checkWindow(height: Int, width: Int, input: TensorShape, _ v: Window, _ h: Window) throws(ShapeError) {
    guard height > 0, width > 0 else {
        throw ShapeError("window \(v.extent)x\(h.extent) (kernel \(v.kernel)x\(h.kernel), dilation \(v.dilation)x\(h.dilation)) does not fit the input \(input) with padding \(v.padding)x\(h.padding)")
    }
}
