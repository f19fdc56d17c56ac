import SpikeIR
import TesseraSupport

/// The weighted ONNX ops (Conv, ConvTranspose, Gemm, MatMul and the Add of a bias or of
/// two branches): each becomes one Tessera layer in PyTorch's weight layout, its output a
/// weighted sum until the Relu after it.
extension ONNXLowering {
    mutating func lowerConv(_ node: ONNXNode) throws(DiagnosticError) {
        let a = try rectified(node)
        let w = try constant(node, 1, what: "weight")
        guard w.dims.count == 4 else {
            throw node.error("weight '\(w.name)' has dims \(w.dims); Tessera lowers 2-D convolutions (weights [C_out, C_in/groups, kH, kW]; a Conv1d is a Conv2d of height 1)")
        }
        let groups = try node.int("group", default: 1)
        let (out, perGroup, kh, kw) = (w.dims[0], w.dims[1], w.dims[2], w.dims[3])
        guard groups >= 1, out % groups == 0, perGroup * groups == a.shape.channels else {
            throw node.error("weight '\(w.name)' has dims \(w.dims) with group \(groups): it reads \(perGroup * groups) input channels, but its input has \(a.shape.channels)")
        }
        if let k = try node.ints("kernel_shape"), k != [kh, kw] { throw node.error("kernel_shape \(k) differs from the weight's \([kh, kw])") }
        let stride = try pair(node, "strides", default: 1), dilation = try pair(node, "dilations", default: 1)
        let pad = try padding(node, input: a.shape, kernel: [kh, kw], stride: stride, dilation: dilation)
        let vertical = Window(kernel: kh, stride: stride[0], padding: pad[0], dilation: dilation[0])
        let horizontal = Window(kernel: kw, stride: stride[1], padding: pad[1], dilation: dilation[1])
        let shape = TensorShape(out, vertical.convolvedSize(a.shape.height), horizontal.convolvedSize(a.shape.width))
        guard shape.height > 0, shape.width > 0 else { throw node.error("its window does not fit its \(a.shape) input") }
        let bias = try bias(node, count: out)
        _ = try append(node, op: .conv2d(Convolution(outChannels: out, vertical: vertical, horizontal: horizontal, groups: groups)), inputs: [a.layer],
                   shape: shape, state: .pending, flat: false, parameters: ["weight": try tensor(w, node), "bias": bias])
    }

    mutating func lowerConvTranspose(_ node: ONNXNode) throws(DiagnosticError) {
        let a = try rectified(node)
        let w = try constant(node, 1, what: "weight")
        guard w.dims.count == 4 else { throw node.error("weight '\(w.name)' has dims \(w.dims); Tessera lowers 2-D transposed convolutions") }
        let groups = try node.int("group", default: 1)
        let (inChannels, perGroup, kh, kw) = (w.dims[0], w.dims[1], w.dims[2], w.dims[3])
        guard groups >= 1, inChannels == a.shape.channels, inChannels % groups == 0 else {
            throw node.error("weight '\(w.name)' has dims \(w.dims) (ONNX: [C_in, C_out/group, kH, kW]) with group \(groups); its input has \(a.shape.channels) channels")
        }
        guard node.attribute("output_shape") == nil else { throw node.error("output_shape is given; Tessera reads pads and output_padding instead (PyTorch's exporter writes those)") }
        let autoPad = try node.string("auto_pad", default: "NOTSET")
        guard autoPad == "NOTSET" || autoPad == "VALID" else { throw node.error("auto_pad \(autoPad); give explicit pads") }
        let stride = try pair(node, "strides", default: 1), dilation = try pair(node, "dilations", default: 1)
        let pad = autoPad == "VALID" ? [0, 0] : try padding(node, input: a.shape, kernel: [kh, kw], stride: stride, dilation: dilation)
        let outputPadding = try node.ints("output_padding") ?? [0, 0]
        guard outputPadding.count == 2, zip(outputPadding, stride).allSatisfy({ $0 >= 0 && $0 < $1 }) else {
            throw node.error("output_padding \(outputPadding); each must lie in 0 ..< its stride")
        }
        let vertical = Window(kernel: kh, stride: stride[0], padding: pad[0], dilation: dilation[0])
        let horizontal = Window(kernel: kw, stride: stride[1], padding: pad[1], dilation: dilation[1])
        let out = perGroup * groups
        let shape = TensorShape(out, vertical.transposedSize(a.shape.height, outputPadding: outputPadding[0]),
                                horizontal.transposedSize(a.shape.width, outputPadding: outputPadding[1]))
        guard shape.height > 0, shape.width > 0 else { throw node.error("its output would be empty for its \(a.shape) input") }
        let op = ConvolutionTranspose(outChannels: out, vertical: vertical, horizontal: horizontal, outputPadding: outputPadding, groups: groups)
        _ = try append(node, op: .convTranspose2d(op), inputs: [a.layer], shape: shape, state: .pending, flat: false,
                   parameters: ["weight": try tensor(w, node), "bias": try bias(node, count: out)])
    }

    /// Gemm: Y = alpha A B' + beta C (B' = B or its transpose), A the activation.
    mutating func lowerGemm(_ node: ONNXNode) throws(DiagnosticError) {
        let a = try rectified(node)
        guard try node.int("transA", default: 0) == 0 else { throw node.error("transA = 1 transposes the activation [1, K]; Tessera reads A untransposed") }
        let b = try constant(node, 1, what: "B")
        guard b.dims.count == 2 else { throw node.error("B '\(b.name)' has dims \(b.dims); Gemm's B is 2-D") }
        let transB = try node.int("transB", default: 0) != 0
        let alpha = try node.float("alpha", default: 1), beta = try node.float("beta", default: 1)
        let (n, k) = transB ? (b.dims[0], b.dims[1]) : (b.dims[1], b.dims[0])
        guard k == a.shape.count else { throw node.error("B '\(b.name)' has dims \(b.dims)\(transB ? " (transB)" : ""): it reads \(k) features, but its input has \(a.shape.count)") }
        var weight = [Double](repeating: 0, count: n * k)
        for row in 0..<n {
            for col in 0..<k { weight[row * k + col] = alpha * (transB ? b.values[row * k + col] : b.values[col * n + row]) }
        }
        var bias = [Double](repeating: 0, count: n)
        if node.input(2) != nil {
            let c = try constant(node, 2, what: "C")
            guard c.count == n || c.count == 1 else { throw node.error("C '\(c.name)' has dims \(c.dims); it must broadcast to [1, \(n)]") }
            bias = (0..<n).map { beta * c.values[c.count == 1 ? 0 : $0] }
        }
        try appendDense(node, a, weight: weight, bias: bias, out: n)
    }

    /// MatMul(A, B) with B constant [K, N]: a dense layer; its bias comes with the Add after.
    mutating func lowerMatMul(_ node: ONNXNode) throws(DiagnosticError) {
        let a = try rectified(node)
        let b = try constant(node, 1, what: "B")
        guard b.dims.count == 2, b.dims[0] == a.shape.count else {
            throw node.error("B '\(b.name)' has dims \(b.dims); it must be [\(a.shape.count), N] for its input of \(a.shape.count) features")
        }
        let (k, n) = (b.dims[0], b.dims[1])
        var weight = [Double](repeating: 0, count: n * k)
        for row in 0..<n {
            for col in 0..<k { weight[row * k + col] = b.values[col * n + row] }
        }
        try appendDense(node, a, weight: weight, bias: Array(repeating: 0, count: n), out: n)
    }

    mutating func appendDense(_ node: ONNXNode, _ a: Activation, weight given: [Double], bias: [Double], out: Int) throws(DiagnosticError) {
        var weight = given
        if let map = a.flatFrom {
            // The vector came flattened channels last: feature (h W + w) C + c of the ONNX
            // weights is the IR's feature c H W + h W + w.
            let (c, h, w) = (map.channels, map.height, map.width), k = a.shape.count
            for row in 0..<out {
                for ch in 0..<c {
                    for y in 0..<h {
                        for x in 0..<w { weight[row * k + (ch * h + y) * w + x] = given[row * k + (y * w + x) * c + ch] }
                    }
                }
            }
        }
        guard let w = Tensor(shape: [out, a.shape.count], values: weight), let b = Tensor(shape: [out], values: bias) else {
            throw node.error("weights do not form [\(out), \(a.shape.count)]")
        }
        _ = try append(node, op: .dense(Dense(outFeatures: out)), inputs: [a.layer], shape: TensorShape(vector: out), state: .pending, flat: true,
                   parameters: ["weight": w, "bias": b])
    }

    /// Add: a constant onto a weighted sum is its bias; two rectified tensors of one shape
    /// are an add layer (their sum is rectified too); a convolution's sum and a rectified
    /// tensor, or two sums, are a residual block (``lowerResidual(_:_:_:)``).
    mutating func lowerAdd(_ node: ONNXNode) throws(DiagnosticError) {
        guard let x = node.input(0), let y = node.input(1) else { throw node.error("needs two inputs") }
        switch (values[x], values[y]) {
        case let (.activation(a)?, .constant(c)?), let (.constant(c)?, .activation(a)?):
            // On a weighted sum a constant is its bias; after a batch norm or other
            // elementwise ops it joins their chain.
            if a.chain != nil || a.state == .normalised { try lowerArithmetic(node) } else { try addBias(node, a, c) }
        case let (.activation(a)?, .activation(b)?):
            // A branch before its Relu: a residual block, one layer reading both branches.
            if a.state != .rectified || b.state != .rectified {
                try lowerResidual(node, a, b)
                return
            }
            guard a.shape == b.shape else { throw node.error("adds tensors of shapes \(a.shape) and \(b.shape); Tessera adds equal shapes (no broadcasting)") }
            _ = try append(node, op: .add, inputs: [a.layer, b.layer], shape: a.shape, state: .rectified, flat: a.flat)
        default:
            throw node.error("adds two constants; fold them before export")
        }
    }

    /// A constant added to a weighted layer's sum joins its bias: [N] or [1, N] for a dense
    /// layer, one value per channel ([C, 1, 1] or [1, C, 1, 1]) for a convolution.
    mutating func addBias(_ node: ONNXNode, _ a: Activation, _ c: ONNXTensor) throws(DiagnosticError) {
        let key = "\(a.layer).bias"
        guard a.state == .pending, let old = tensors[key] else {
            throw node.error("adds the constant '\(c.name)' to \(a.producer)\(a.state == .pending ? "" : ", which is not a weighted sum"); Tessera adds constants only as the bias of the Conv, Gemm or MatMul right before")
        }
        let channels = a.shape.channels
        let trailing = Array(c.dims.drop { $0 == 1 })
        let perChannel: Bool
        if c.count == 1 {
            perChannel = false
        } else if a.flat || a.shape.isVector {
            perChannel = trailing == [channels]
        } else {
            perChannel = trailing == [channels, 1, 1]
        }
        guard c.count == 1 || perChannel else {
            throw node.error("adds the constant '\(c.name)' of dims \(c.dims) to a \(a.shape) sum; a bias has one value per \(a.flat ? "feature" : "channel") (dims \(a.flat ? "[\(channels)]" : "[\(channels), 1, 1]"))")
        }
        let values = (0..<channels).map { old.tensor.values[$0] + c.values[c.count == 1 ? 0 : $0] }
        tensors[key] = (Tensor(shape: [channels], values: values) ?? old.tensor, old.origin + " + '\(c.name)' (\(node.op) node)")
        define(node, .activation(a))
    }

    /// The optional bias at input 2, zeros when absent.
    func bias(_ node: ONNXNode, count: Int) throws(DiagnosticError) -> Tensor {
        guard node.input(2) != nil else { return Tensor(repeating: 0, shape: [count]) }
        let b = try constant(node, 2, what: "bias")
        guard b.count == count, let t = Tensor(shape: [count], values: b.values) else {
            throw node.error("bias '\(b.name)' has dims \(b.dims); it needs \(count) values")
        }
        return t
    }

    func tensor(_ t: ONNXTensor, _ node: ONNXNode) throws(DiagnosticError) -> Tensor {
        guard let tensor = Tensor(shape: t.dims, values: t.values) else { throw node.error("tensor '\(t.name)' holds \(t.values.count) values for dims \(t.dims)") }
        return tensor
    }
}
