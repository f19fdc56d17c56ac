import SpikeIR
import TesseraSupport

/// The ONNX ops that move or pool rectified maps: AveragePool, Flatten and the Reshape or
/// Squeeze used as one, Concat, and Resize or Upsample in nearest mode. Each keeps a
/// non-negative input non-negative, so its layer's ReLU changes nothing and the lowering is
/// exact.
extension ONNXLowering {
    mutating func lowerAveragePool(_ node: ONNXNode) throws(DiagnosticError) {
        let a = try rectified(node)
        guard let kernel = try node.ints("kernel_shape"), kernel.count == 2, kernel.allSatisfy({ $0 >= 1 }) else {
            throw node.error("kernel_shape is missing or not 2-D; Tessera lowers 2-D pooling")
        }
        let stride = try pair(node, "strides", default: 1)
        guard try pair(node, "dilations", default: 1) == [1, 1] else { throw node.error("dilated pooling is not lowered") }
        let pad = try padding(node, input: a.shape, kernel: kernel, stride: stride, dilation: [1, 1])
        // Tessera's average pool divides by the whole window, padding included.
        if pad != [0, 0], try node.int("count_include_pad", default: 0) == 0 {
            throw node.error("pads \(pad) with count_include_pad = 0 divide border windows by fewer inputs than the window; Tessera divides every window by its size (PyTorch's default, count_include_pad = 1)")
        }
        let vertical = Window(kernel: kernel[0], stride: stride[0], padding: pad[0])
        let horizontal = Window(kernel: kernel[1], stride: stride[1], padding: pad[1])
        let shape = TensorShape(a.shape.channels, vertical.convolvedSize(a.shape.height), horizontal.convolvedSize(a.shape.width))
        if try node.int("ceil_mode", default: 0) != 0 {
            // ceil_mode adds a last, partial window where one is left over.
            let ceiled = [(a.shape.height, vertical), (a.shape.width, horizontal)].map { size, w in (size + 2 * w.padding - w.kernel + w.stride - 1) / w.stride + 1 }
            guard ceiled == [shape.height, shape.width] else {
                throw node.error("ceil_mode = 1 adds partial windows (output \(ceiled) instead of \([shape.height, shape.width])); Tessera pools whole windows")
            }
        }
        guard shape.height > 0, shape.width > 0 else { throw node.error("its window does not fit its \(a.shape) input") }
        _ = try append(node, op: .avgpool(Pooling(vertical: vertical, horizontal: horizontal)), inputs: [a.layer], shape: shape, state: .rectified, flat: false)
    }

    /// An average over the whole of each channel (GlobalAveragePool; ReduceMean over the
    /// spatial axes): an average pool whose window is the map.
    mutating func globalAverage(_ node: ONNXNode, _ a: Activation, flat: Bool) throws(DiagnosticError) {
        let pool = Pooling(vertical: Window(kernel: a.shape.height, stride: a.shape.height), horizontal: Window(kernel: a.shape.width, stride: a.shape.width))
        _ = try append(node, op: .avgpool(pool), inputs: [a.layer], shape: TensorShape(a.shape.channels, 1, 1), state: .rectified, flat: flat)
    }

    /// ReduceMean over the spatial axes of a map (how PyTorch writes AdaptiveAvgPool2d(1) and
    /// x.mean((2, 3))): a global average pool, [1, C, 1, 1] with keepdims, else [1, C].
    mutating func lowerReduceMean(_ node: ONNXNode) throws(DiagnosticError) {
        let a = try rectified(node)
        let axes = try self.axes(node, inputSince: 18)
        let keep = try node.int("keepdims", default: 1) != 0
        guard !a.flat, let axes, Set(axes.map { $0 < 0 ? $0 + 4 : $0 }) == [2, 3] else {
            throw node.error("averages over axes \(axes.map { "\($0)" } ?? "all") of a \(a.flat ? "vector" : "\(a.shape) map"); Tessera lowers a ReduceMean over the spatial axes (2 and 3) of a map only, as a global average pool")
        }
        try globalAverage(node, a, flat: !keep)
    }

    /// A node's `axes`: its second input from opset `opset` on (Squeeze 13, ReduceMean 18),
    /// an attribute before; nil when not given.
    func axes(_ node: ONNXNode, inputSince opset: Int) throws(DiagnosticError) -> [Int]? {
        if model.opset >= opset {
            return try node.input(1).map { _ throws(DiagnosticError) in try node.integers(try constant(node, 1, what: "axes"), what: "axes") }
        }
        return try node.ints("axes")
    }

    /// A flatten of a rectified map, to [1, C*H*W] (C x H x W order, as ONNX's row-major).
    /// A channels-last map flattens to the IR's C x H x W vector, remembered as read in
    /// H x W x C order (``Activation/flatFrom``).
    mutating func flatten(_ node: ONNXNode, _ a: Activation) throws(DiagnosticError) {
        if a.flat {
            define(node, .activation(a))
            return
        }
        _ = try append(node, op: .flatten, inputs: [a.layer], shape: TensorShape(vector: a.shape.count), state: .rectified, flat: true)
        if a.channelsLast, let out = node.proto.output.first, case var .activation(f)? = values[out] {
            f.flatFrom = a.shape
            values[out] = .activation(f)
        }
    }

    /// Reshape to [1, -1] or [1, C*H*W] is a flatten; to the shape it has, nothing.
    mutating func lowerReshape(_ node: ONNXNode) throws(DiagnosticError) {
        let a = try rectified(node)
        let target = try node.integers(try constant(node, 1, what: "shape"), what: "shape")
        let count = a.shape.count
        if target.count == 2, target[0] == 1 || target[0] == -1, target[1] == count || target[1] == -1, !(target[0] == -1 && target[1] == -1) {
            try flatten(node, a)
        } else if target.count == 4, !a.channelsLast, [target[1], target[2], target[3]] == [a.shape.channels, a.shape.height, a.shape.width], target[0] == 1 || target[0] == -1 || target[0] == 0 {
            define(node, .activation(a))
        } else {
            throw node.error("reshapes a \(a.shape) map to \(target); Tessera keeps C x H x W maps, and lowers a Reshape only as a flatten ([1, -1])")
        }
    }

    /// Squeeze of the 1 x 1 spatial axes of a [1, C, 1, 1] map (after a global pooling):
    /// a flatten.
    mutating func lowerSqueeze(_ node: ONNXNode) throws(DiagnosticError) {
        let a = try rectified(node)
        let axes = try self.axes(node, inputSince: 13)
        let rank = a.flat ? 2 : 4
        let normalised = Set((axes ?? []).map { $0 < 0 ? $0 + rank : $0 })
        let spatial: Set<Int> = a.flat ? [] : [2, 3]
        guard a.shape.isVector, axes == nil || normalised.isSubset(of: spatial.union([0])) && !normalised.isEmpty else {
            throw node.error("squeezes axes \(axes.map { "\($0)" } ?? "of size 1") of a \(a.shape) map; Tessera lowers a Squeeze only as the flatten of a [1, C, 1, 1] map")
        }
        try flatten(node, a)
    }

    mutating func lowerConcat(_ node: ONNXNode) throws(DiagnosticError) {
        var parts: [Activation] = []
        for k in node.proto.input.indices { parts.append(try rectified(node, k)) }
        guard let first = parts.first else { throw node.error("has no inputs") }
        let axis = try node.int("axis", default: 1)
        let flat = parts.allSatisfy(\.flat)
        guard axis == 1 || axis == (flat ? -1 : -3) else {
            throw node.error("concatenates on axis \(axis); Tessera concatenates channels (axis 1)")
        }
        guard parts.allSatisfy({ $0.shape.height == first.shape.height && $0.shape.width == first.shape.width && $0.flat == first.flat }) else {
            throw node.error("concatenates maps of shapes \(parts.map(\.shape.description)); their heights and widths must agree")
        }
        let shape = TensorShape(parts.map(\.shape.channels).reduce(0, +), first.shape.height, first.shape.width)
        _ = try append(node, op: .concat, inputs: parts.map(\.layer), shape: shape, state: .rectified, flat: flat)
    }

    /// Resize (opset 11+) or Upsample (before) in nearest mode by one whole factor for height
    /// and width, whose coordinate mode and rounding make every output read the input
    /// position floor(x / factor): Tessera's nearest upsampling.
    mutating func lowerResize(_ node: ONNXNode) throws(DiagnosticError) {
        let a = try rectified(node)
        let mode = try node.string("mode", default: "nearest")
        guard mode == "nearest" else { throw node.error("mode '\(mode)'; Tessera lowers nearest-neighbour resizing only (export nn.Upsample(mode='nearest'))") }
        var scales: [Double]
        if node.op == "Upsample" {
            scales = model.opset >= 9 || node.input(1) != nil ? try constant(node, 1, what: "scales").values : (node.attribute("scales")?.floats.map(Double.init) ?? [])
        } else if node.input(3) != nil {
            let sizes = try constant(node, 3, what: "sizes").values
            let full = sizes.count == 4 ? sizes : [1, Double(a.shape.channels)] + sizes
            scales = zip(full, [1, a.shape.channels, a.shape.height, a.shape.width]).map { $0 / Double($1) }
        } else {
            scales = try constant(node, 2, what: "scales").values
        }
        if let axes = try node.ints("axes") {
            guard axes.map({ $0 < 0 ? $0 + 4 : $0 }) == [2, 3], scales.count == 2 else { throw node.error("resizes axes \(axes); Tessera resizes height and width") }
            scales = [1, 1] + scales
        }
        guard scales.count == 4, scales[0] == 1, scales[1] == 1, scales[2] == scales[3], scales[2] >= 1, scales[2] <= 64, scales[2] == scales[2].rounded() else {
            throw node.error("scales \(scales); Tessera upsamples height and width by one whole factor up to 64 (batch and channels by 1)")
        }
        let factor = Int(scales[2])
        try checkNearest(node, factor: factor, sizes: [a.shape.height, a.shape.width])
        guard factor > 1 else {
            define(node, .activation(a))
            return
        }
        let shape = TensorShape(a.shape.channels, a.shape.height * factor, a.shape.width * factor)
        _ = try append(node, op: .upsample(Upsample(factor: factor, mode: .nearest)), inputs: [a.layer], shape: shape, state: .rectified, flat: false)
    }

    /// Each output position's source under the node's coordinate_transformation_mode and
    /// nearest_mode (ONNX's Resize definition) must be x / factor, rounded down.
    func checkNearest(_ node: ONNXNode, factor: Int, sizes: [Int]) throws(DiagnosticError) {
        let transform = node.op == "Upsample" ? "asymmetric" : try node.string("coordinate_transformation_mode", default: "half_pixel")
        let rounding = node.op == "Upsample" ? "floor" : try node.string("nearest_mode", default: "round_prefer_floor")
        let s = Double(factor)
        for size in sizes {
            let out = size * factor
            for x in 0..<out {
                let xd = Double(x)
                let original: Double
                switch transform {
                case "half_pixel", "half_pixel_symmetric": original = (xd + 0.5) / s - 0.5
                case "pytorch_half_pixel": original = out > 1 ? (xd + 0.5) / s - 0.5 : 0
                case "asymmetric": original = xd / s
                case "tf_half_pixel_for_nn": original = (xd + 0.5) / s
                case "align_corners": original = out > 1 ? xd * Double(size - 1) / Double(out - 1) : 0
                default: throw node.error("coordinate_transformation_mode '\(transform)' is not one ONNX defines for nearest mode")
                }
                let rounded: Double
                switch rounding {
                case "round_prefer_floor": rounded = original - original.rounded(.down) == 0.5 ? original.rounded(.down) : original.rounded()
                case "round_prefer_ceil": rounded = original - original.rounded(.down) == 0.5 ? original.rounded(.up) : original.rounded()
                case "floor": rounded = original.rounded(.down)
                case "ceil": rounded = original.rounded(.up)
                default: throw node.error("nearest_mode '\(rounding)' is not one ONNX defines")
                }
                let source = min(max(Int(rounded), 0), size - 1)
                guard source == x / factor else {
                    throw node.error("coordinate_transformation_mode '\(transform)' with nearest_mode '\(rounding)' reads input \(source) for output \(x) at factor \(factor), not \(x / factor); Tessera's nearest upsampling repeats each input \(factor) times (PyTorch's nn.Upsample(mode='nearest') exports asymmetric + floor)")
                }
            }
        }
    }
}
