/// The tensors a layer owns and the shapes they must have, in PyTorch's layouts:
/// conv2d `[out, in/groups, kh, kw]`, convtranspose2d `[in, out/groups, kh, kw]`,
/// dense `[out, in]`, bias `[out]`, batchnorm `weight`/`bias`/`running_mean`/`running_var` `[C]`.
public struct ParameterSlot: Hashable, Sendable {
    /// Key suffix after the layer's parameter key: `weight`, `bias`, `running_mean`, ...
    public var suffix: String
    public var shape: [Int]
    /// Fan-in of one output, used to scale synthetic initial values.
    public var fanIn: Int
    /// The value a synthetic tensor of this slot takes when it is a constant (batch norm).
    public var constant: Double?
    /// A tensor the layer may have: it is bound when the weights hold it, never made up,
    /// and one value stands for all channels (a trained scale per layer or per channel).
    public var optional = false

    /// The trained scales a binary-weight or binary-activation layer may carry (XNOR-Net
    /// style): `weight_scale` multiplies its weights per output channel, `activation_scale`
    /// is what one of its spikes stands for to the layers reading it (``FoldScales`` in
    /// Passes folds both).
    static func scales(channels: Int, fanIn: Int) -> [ParameterSlot] {
        ["weight_scale", "activation_scale"].map { ParameterSlot(suffix: $0, shape: [channels], fanIn: fanIn, optional: true) }
    }
}

extension Operation {
    /// The parameter tensors this op needs given its inputs' shapes: those of its first input,
    /// and a residual convolution's shortcut weights `[out, skip channels, kh, kw]`.
    public func parameterSlots(inputs: [TensorShape]) -> [ParameterSlot] {
        guard let first = inputs.first else { return [] }
        var slots = parameterSlots(input: first)
        if case let .conv2d(c) = self, let shortcut = c.shortcut, inputs.count > 1 {
            let skip = inputs[1]
            let fanIn = skip.channels * shortcut.vertical.kernel * shortcut.horizontal.kernel
            slots.append(ParameterSlot(suffix: "shortcut", shape: [c.outChannels, skip.channels, shortcut.vertical.kernel, shortcut.horizontal.kernel], fanIn: fanIn))
        }
        return slots
    }

    /// The parameter tensors this op needs given its (first) input's shape (empty for ops without any).
    public func parameterSlots(input: TensorShape) -> [ParameterSlot] {
        switch self {
        case let .conv2d(c):
            let fanIn = input.channels / c.groups * c.vertical.kernel * c.horizontal.kernel
            var slots = [ParameterSlot(suffix: "weight", shape: [c.outChannels, input.channels / c.groups, c.vertical.kernel, c.horizontal.kernel], fanIn: fanIn)]
            if c.bias { slots.append(ParameterSlot(suffix: "bias", shape: [c.outChannels], fanIn: fanIn)) }
            return slots + ParameterSlot.scales(channels: c.outChannels, fanIn: fanIn)
        case let .convTranspose2d(c):
            let fanIn = c.outChannels / c.groups * c.vertical.kernel * c.horizontal.kernel
            var slots = [ParameterSlot(suffix: "weight", shape: [input.channels, c.outChannels / c.groups, c.vertical.kernel, c.horizontal.kernel], fanIn: fanIn)]
            if c.bias { slots.append(ParameterSlot(suffix: "bias", shape: [c.outChannels], fanIn: fanIn)) }
            return slots + ParameterSlot.scales(channels: c.outChannels, fanIn: fanIn)
        case let .dense(d):
            var slots = [ParameterSlot(suffix: "weight", shape: [d.outFeatures, input.count], fanIn: input.count)]
            if d.bias { slots.append(ParameterSlot(suffix: "bias", shape: [d.outFeatures], fanIn: input.count)) }
            return slots + ParameterSlot.scales(channels: d.outFeatures, fanIn: input.count)
        case .xcorr:
            // The template branch's features, bound as the head's weights (input: template).
            return [ParameterSlot(suffix: "template", shape: [input.channels, input.height, input.width], fanIn: input.count)]
        case .batchnorm:
            let c = [input.channels]
            return [ParameterSlot(suffix: "weight", shape: c, fanIn: 1, constant: 1),
                    ParameterSlot(suffix: "bias", shape: c, fanIn: 1, constant: 0),
                    ParameterSlot(suffix: "running_mean", shape: c, fanIn: 1, constant: 0),
                    ParameterSlot(suffix: "running_var", shape: c, fanIn: 1, constant: 1)]
        default:
            return []
        }
    }
}
