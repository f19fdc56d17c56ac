import SpikeIR
import TesseraSupport

/// Shape arithmetic and layout: exporters compute a Reshape's target from the input's shape
/// (tf2onnx writes Keras' Flatten as Shape, Gather, Cast, Slice and Concat), and Keras'
/// channels-last Flatten as a Transpose before it. Tessera's shapes are static, so the
/// arithmetic folds to constants here (batch 1), and a transpose to channels last is kept as
/// a note on the map that the dense layer reading its flattened form undoes in its weights.
extension ONNXLowering {
    /// Shape: the activation's dims as ONNX sees them (batch 1).
    mutating func lowerShape(_ node: ONNXNode) throws(DiagnosticError) {
        let a = try activation(node, 0)
        let s = a.shape
        let dims = a.flat ? [1, s.count] : a.channelsLast ? [1, s.height, s.width, s.channels] : [1, s.channels, s.height, s.width]
        var values = dims.map(Double.init)
        if model.opset >= 15 {
            let rank = dims.count
            var start = try node.int("start", default: 0), end = try node.int("end", default: rank)
            if start < 0 { start += rank }
            if end < 0 { end += rank }
            (start, end) = (min(max(start, 0), rank), min(max(end, 0), rank))
            values = start < end ? Array(values[start..<end]) : []
        }
        defineConstant(node, dims: [values.count], values: values)
    }

    /// Gather of a constant vector at constant indices (axis 0).
    mutating func lowerGather(_ node: ONNXNode) throws(DiagnosticError) {
        let data = try shapeConstant(node, 0, what: "data")
        let indexTensor = try constant(node, 1, what: "indices")
        let indices = try node.integers(indexTensor, what: "indices")
        guard try node.int("axis", default: 0) == 0, data.dims.count <= 1 else {
            throw node.error("gathers from '\(data.name)' (dims \(data.dims)) on another axis than 0 of a vector; Tessera folds Gather only on shape vectors")
        }
        var picked: [Double] = []
        for i in indices {
            let k = i < 0 ? i + data.values.count : i
            guard data.values.indices.contains(k) else { throw node.error("index \(i) is outside '\(data.name)' of \(data.values.count) values") }
            picked.append(data.values[k])
        }
        defineConstant(node, dims: indexTensor.dims, values: picked)
    }

    /// Cast of a constant: to an integer type the values are truncated toward zero.
    mutating func lowerCast(_ node: ONNXNode) throws(DiagnosticError) {
        let t = try shapeConstant(node, 0, what: "input")
        // TensorProto.DataType: 1 float, 10 float16, 11 double, 16 bfloat16; the rest whole.
        let to = try node.int("to", default: 1)
        let values = [1, 10, 11, 16].contains(to) ? t.values : t.values.map { $0.rounded(.towardZero) }
        defineConstant(node, dims: t.dims, values: values)
    }

    /// Slice of a constant vector (opset 10+: starts, ends, axes and steps as inputs).
    mutating func lowerSlice(_ node: ONNXNode) throws(DiagnosticError) {
        let data = try shapeConstant(node, 0, what: "data")
        guard data.dims.count <= 1 else { throw node.error("slices '\(data.name)' of dims \(data.dims); Tessera folds Slice only on shape vectors") }
        func list(_ k: Int, _ what: String) throws(DiagnosticError) -> [Int]? {
            guard node.input(k) != nil else { return nil }
            return try node.integers(try constant(node, k, what: what), what: what)
        }
        guard let starts = try list(1, "starts"), let ends = try list(2, "ends"), starts.count == 1, ends.count == 1 else {
            throw node.error("needs one start and one end (inputs 1 and 2) to slice a vector")
        }
        if let axes = try list(3, "axes"), axes != [0] && axes != [-1] { throw node.error("slices axes \(axes) of a vector") }
        let step = try list(4, "steps")?.first ?? 1
        guard step == 1 else { throw node.error("step \(step); Tessera folds Slice with step 1") }
        let n = data.values.count
        func clamp(_ i: Int) -> Int { min(max(i < 0 ? i + n : i, 0), n) }
        let (from, to) = (clamp(starts[0]), clamp(ends[0]))
        let values = from < to ? Array(data.values[from..<to]) : []
        defineConstant(node, dims: [values.count], values: values)
    }

    /// Concat of constant vectors (the shape a Reshape is given).
    mutating func lowerConstantConcat(_ node: ONNXNode) throws(DiagnosticError) {
        var values: [Double] = []
        for k in node.proto.input.indices {
            let t = try shapeConstant(node, k, what: "input \(k)")
            guard t.dims.count <= 1 else { throw node.error("concatenates constants of dims \(t.dims); Tessera folds Concat only of vectors") }
            values += t.values
        }
        defineConstant(node, dims: [values.count], values: values)
    }

    /// Transpose of a map to channels last (perm 0, 2, 3, 1) and back (0, 3, 1, 2); the
    /// identity passes it on. The layer is the same: only the order ONNX holds it in moves.
    mutating func lowerTranspose(_ node: ONNXNode) throws(DiagnosticError) {
        var a = try activation(node, 0)
        let rank = a.flat ? 2 : 4
        let perm = try node.ints("perm") ?? Array((0..<rank).reversed())
        if perm == Array(0..<rank) {
            define(node, .activation(a))
            return
        }
        guard !a.flat, perm == (a.channelsLast ? [0, 3, 1, 2] : [0, 2, 3, 1]) else {
            throw node.error("permutes the axes of a \(a.flat ? "vector" : a.channelsLast ? "channels-last map" : "map") by \(perm); Tessera lowers a Transpose of a map to channels last (0, 2, 3, 1) and back, as Keras' Flatten needs")
        }
        a.channelsLast.toggle()
        a.producer = "Transpose '\(node.proto.name)' of \(a.producer)"
        define(node, .activation(a))
    }

    /// The constant at input `k` of a shape op (a vector of at most a few values).
    func shapeConstant(_ node: ONNXNode, _ k: Int, what: String) throws(DiagnosticError) -> ONNXTensor {
        let t = try constant(node, k, what: what)
        guard t.values.count <= 64 else { throw node.error("its \(what) '\(t.name)' holds \(t.values.count) values; Tessera folds shape arithmetic on short vectors only") }
        return t
    }

    mutating func defineConstant(_ node: ONNXNode, dims: [Int], values: [Double]) {
        define(node, .constant(ONNXTensor(name: node.proto.output.first ?? node.proto.name, dims: dims, values: values)))
    }
}
