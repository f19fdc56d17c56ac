import SpikeIR
import TesseraSupport

/// The lowering of each ONNX operator (docs/onnx.md has the table).
extension ONNXLowering {
    /// Ops with no spiking form, and what to do instead.
    static let unsupported: [String: String] = [
        "MaxPool": "max pooling has no exact spiking form (a spike count is not the maximum of its inputs); use AveragePool, or a strided Conv, and retrain",
        "GlobalMaxPool": "max pooling has no exact spiking form; use GlobalAveragePool and retrain",
        "LeakyRelu": "a negative slope needs negative activations, which spike rates do not carry; use Relu",
        "PRelu": "a negative slope needs negative activations, which spike rates do not carry; use Relu",
        "Elu": "negative activations are not carried by spike rates; use Relu",
        "Tanh": "negative activations are not carried by spike rates; use Relu",
        "LSTM": "recurrent cells have no rate-coded form in Tessera",
        "GRU": "recurrent cells have no rate-coded form in Tessera",
        "RNN": "recurrent cells have no rate-coded form in Tessera",
        "LRN": "local response normalisation divides by activity, which a neuron cannot; remove it",
    ]

    /// Ops that may end the graph and are dropped there: monotone, so the arg max of the
    /// scores before them is the class, which the output layer's spike counts give.
    static let readBefore: Set<String> = ["Softmax", "LogSoftmax", "Sigmoid"]

    static let supported = ["Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Constant", "Conv", "ConvTranspose", "Div", "Dropout",
                            "Flatten", "Floor", "Gather", "Gemm", "GlobalAveragePool", "Identity", "MatMul", "Mul", "ReduceMean", "Relu", "Reshape", "Resize", "Round",
                            "Shape", "Slice", "Squeeze", "Sub", "Transpose", "Upsample"]

    mutating func lower(_ node: ONNXNode) throws(DiagnosticError) {
        guard node.proto.domain.isEmpty || node.proto.domain == "ai.onnx" else {
            throw node.error("is in domain '\(node.proto.domain)'; Tessera reads the default ONNX domain only")
        }
        switch node.op {
        case "Constant": try lowerConstant(node)
        case "Identity", "Dropout":
            guard let input = node.input(0), let value = values[input] else { throw node.error("has no input") }
            if node.op == "Dropout", node.proto.output.count > 1, !node.proto.output[1].isEmpty {
                warnings.append("\(node.label): its mask output is not computed (inference: Dropout passes its input on)")
            }
            define(node, value)
        case "Relu":
            let a = try activation(node, 0)
            if a.chain == nil && a.state == .rectified { define(node, .activation(a)) } else { try lowerClipChain(node, lower: 0, upper: .infinity) }
        case "Clip": try lowerClip(node)
        case "BatchNormalization": try lowerBatchNorm(node)
        case "Conv": try lowerConv(node)
        case "ConvTranspose": try lowerConvTranspose(node)
        case "Gemm": try lowerGemm(node)
        case "MatMul": try lowerMatMul(node)
        case "Add": try lowerAdd(node)
        case "Mul", "Div", "Sub": try lowerArithmetic(node)
        case "Floor", "Round": try lowerFloor(node)
        case "AveragePool": try lowerAveragePool(node)
        case "GlobalAveragePool":
            let a = try rectified(node)
            try globalAverage(node, a, flat: false)
        case "ReduceMean": try lowerReduceMean(node)
        case "Flatten":
            let axis = try node.int("axis", default: 1)
            guard axis == 1 || axis == 0 else { throw node.error("axis \(axis); Tessera flattens everything but the batch (axis 1)") }
            try flatten(node, try rectified(node))
        case "Reshape": try lowerReshape(node)
        case "Squeeze": try lowerSqueeze(node)
        case "Concat":
            let constants = node.proto.input.allSatisfy { if case .constant? = values[$0] { true } else { false } }
            if constants { try lowerConstantConcat(node) } else { try lowerConcat(node) }
        case "Shape": try lowerShape(node)
        case "Gather": try lowerGather(node)
        case "Cast": try lowerCast(node)
        case "Slice": try lowerSlice(node)
        case "Transpose": try lowerTranspose(node)
        case "Resize", "Upsample": try lowerResize(node)
        case _ where Self.readBefore.contains(node.op):
            let a = try activation(node, 0)
            guard let out = node.proto.output.first, model.graph.output.contains(where: { $0.name == out }) else {
                throw node.error("has no spiking form inside the network; Tessera reads it only at the end, where it is dropped and the output before it is read")
            }
            warnings.append("\(node.label): dropped at the end of the graph; the output is read before it (\(a.producer)): the class is the arg max of the spike counts, as of the scores before \(node.op)")
            define(node, .activation(a))
        default:
            if let why = Self.unsupported[node.op] { throw node.error("Tessera does not lower \(node.op): \(why)") }
            throw node.error("op \(node.op) has no spiking form in Tessera; it lowers \(Self.supported.joined(separator: ", ")) (docs/onnx.md)")
        }
    }

    mutating func lowerConstant(_ node: ONNXNode) throws(DiagnosticError) {
        let name = node.proto.output.first ?? ""
        if let a = node.attribute("value"), a.hasT {
            var t = try ONNXTensor(a.t, file: file, directory: .init(fileURLWithPath: file).deletingLastPathComponent())
            t.name = name
            define(node, .constant(t))
        } else if let a = node.attribute("value_float") {
            define(node, .constant(ONNXTensor(name: name, dims: [], values: [Double(a.f)])))
        } else if let a = node.attribute("value_floats") {
            define(node, .constant(ONNXTensor(name: name, dims: [a.floats.count], values: a.floats.map(Double.init))))
        } else if let a = node.attribute("value_int") {
            define(node, .constant(ONNXTensor(name: name, dims: [], values: [Double(a.i)])))
        } else if let a = node.attribute("value_ints") {
            define(node, .constant(ONNXTensor(name: name, dims: [a.ints.count], values: a.ints.map(Double.init))))
        } else {
            throw node.error("has no numeric value (value, value_float(s) or value_int(s))")
        }
    }

    /// Clip: on a weighted sum (or a chain of elementwise ops on one) it joins the chain,
    /// Clip(0, max) as ReLU6 exports being a ReLU with a ceiling; on a rectified tensor, a
    /// Clip from 0 with no maximum changes nothing, and any other is refused.
    mutating func lowerClip(_ node: ONNXNode) throws(DiagnosticError) {
        let low: Double?, high: Double?
        if model.opset >= 11 {
            low = try node.input(1).map { _ throws(DiagnosticError) in try scalar(node, 1) }
            high = try node.input(2).map { _ throws(DiagnosticError) in try scalar(node, 2) }
        } else {
            low = node.attribute("min").map { Double($0.f) }
            high = node.attribute("max").map { Double($0.f) }
        }
        let a = try activation(node, 0)
        guard a.chain == nil && a.state == .rectified else {
            try lowerClipChain(node, lower: low ?? -.infinity, upper: high ?? .infinity)
            return
        }
        if let low, low > 0 {
            throw node.error("clips at \(low) from below a tensor that is rectified already (\(a.producer)); only a Clip with min 0 (a ReLU, or ReLU6) has a spiking form")
        }
        if let high, high.isFinite {
            throw node.error("clips at \(high) a tensor that is rectified already (\(a.producer)); Tessera clips a layer's own activation only (Conv, then Clip)")
        }
        define(node, .activation(a))
    }

    mutating func lowerBatchNorm(_ node: ONNXNode) throws(DiagnosticError) {
        let a = try activation(node, 0)
        guard a.state == .pending, a.chain == nil else {
            throw node.error("normalises \(a.state == .rectified ? "a rectified tensor" : "a batch norm's output"); Tessera folds a batch norm into the weighted op right before it (Conv or Gemm, then BatchNormalization, then Relu)")
        }
        if try node.int("training_mode", default: 0) != 0 || node.proto.output.dropFirst().contains(where: { !$0.isEmpty }) {
            throw node.error("is in training mode (running statistics as outputs); export the model in eval mode")
        }
        let c = a.shape.channels
        var parameters: [String: Tensor] = [:]
        for (k, key) in [(1, "weight"), (2, "bias"), (3, "running_mean"), (4, "running_var")] {
            let t = try constant(node, k, what: key == "weight" ? "scale" : key)
            guard t.count == c, let tensor = Tensor(shape: [c], values: t.values) else {
                throw node.error("its \(key) '\(t.name)' has dims \(t.dims); the input has \(c) channels")
            }
            parameters[key] = tensor
        }
        if let bad = parameters["running_var"]?.values.first(where: { $0 < 0 }) {
            throw node.error("a running variance is negative (\(bad))")
        }
        let epsilon = try node.float("epsilon", default: 1e-5)
        _ = try append(node, op: .batchnorm(BatchNorm(epsilon: epsilon)), inputs: [a.layer], shape: a.shape, state: .normalised, flat: a.flat, parameters: parameters)
    }

    /// Per spatial axis (height, width): the padding of a window whose ONNX pads are
    /// [top, left, bottom, right] or given by auto_pad; Tessera's windows pad both sides alike.
    func padding(_ node: ONNXNode, input: TensorShape, kernel: [Int], stride: [Int], dilation: [Int]) throws(DiagnosticError) -> [Int] {
        let autoPad = try node.string("auto_pad", default: "NOTSET")
        switch autoPad {
        case "NOTSET":
            let pads = try node.ints("pads") ?? [0, 0, 0, 0]
            guard pads.count == 4 else { throw node.error("pads \(pads); a 2-D window has 4 (top, left, bottom, right)") }
            guard pads[0] == pads[2], pads[1] == pads[3] else {
                throw node.error("pads \(pads) (top, left, bottom, right) differ between the two sides; Tessera pads both sides of an axis alike")
            }
            guard pads.allSatisfy({ $0 >= 0 }) else { throw node.error("negative pads \(pads)") }
            return [pads[0], pads[1]]
        case "VALID":
            return [0, 0]
        case "SAME_UPPER", "SAME_LOWER":
            let sizes = [input.height, input.width]
            var result: [Int] = []
            for axis in 0..<2 {
                let out = (sizes[axis] + stride[axis] - 1) / stride[axis]
                let total = max((out - 1) * stride[axis] + (kernel[axis] - 1) * dilation[axis] + 1 - sizes[axis], 0)
                guard total % 2 == 0 else {
                    throw node.error("auto_pad \(autoPad) pads axis \(axis + 2) by \(total) in all, unevenly; Tessera pads both sides of an axis alike (give an odd kernel or explicit pads)")
                }
                result.append(total / 2)
            }
            return result
        default:
            throw node.error("auto_pad '\(autoPad)' is not NOTSET, VALID, SAME_UPPER or SAME_LOWER")
        }
    }

    /// A 2-D attribute (strides, dilations) with its default.
    func pair(_ node: ONNXNode, _ name: String, default value: Int) throws(DiagnosticError) -> [Int] {
        let v = try node.ints(name) ?? [value, value]
        guard v.count == 2, v.allSatisfy({ $0 >= 1 }) else { throw node.error("\(name) \(v); Tessera lowers 2-D windows with \(name) >= 1") }
        return v
    }
}
