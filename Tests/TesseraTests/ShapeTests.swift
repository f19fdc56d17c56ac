import Testing
@testable import Tessera

/// Output shapes of every shaped op, each worked out by hand with the formulas in the
/// comments (PyTorch's conventions), checked through the YAML frontend.
@Suite struct ShapeTests {
    static let yaml = """
    network: shapes
    inputs:
      x: { shape: [3, 32, 32] }
      t: { shape: [8, 6, 6] }
    init: { seed: 1 }
    layers:
      - { name: conv, op: conv2d, input: x, out: 8, kernel: 5, stride: 2, padding: 1 }
      - { name: dil, op: conv2d, input: x, out: 4, kernel: 3, dilation: 4 }
      - { name: rect, op: conv2d, input: x, out: 2, kernel: [3, 1], stride: [1, 2], padding: [0, 1] }
      - { name: grp, op: conv2d, input: conv, out: 8, kernel: 3, groups: 4, padding: 1 }
      - { name: tconv, op: convtranspose2d, input: conv, out: 5, kernel: 4, stride: 2, padding: 1 }
      - { name: tconv2, op: convtranspose2d, input: conv, out: 5, kernel: 3, stride: 3, output_padding: 1, dilation: 2 }
      - { name: avg, op: avgpool, input: x, kernel: 3, stride: 2 }
      - { name: sum, op: sumpool, input: x, kernel: 2 }
      - { name: pad, op: avgpool, input: x, kernel: 3, stride: 1, padding: 1 }
      - { name: up, op: upsample, input: conv, factor: 3 }
      - { name: bil, op: upsample, input: conv, factor: 2, mode: bilinear }
      - { name: corr, op: xcorr, template: t, search: grp }
      - { name: cat, op: concat, inputs: [conv, grp] }
      - { name: sum2, op: add, inputs: [conv, grp] }
      - { name: flat, op: flatten, input: cat }
      - { name: fc, op: dense, out: 7 }
    outputs: [dil, rect, tconv, tconv2, avg, sum, pad, up, bil, corr, sum2, fc]
    """

    @Test func shapesMatchHandComputedValues() throws {
        let net = try Network.load(yaml: Self.yaml, file: "shapes.yaml")
        let expected: [String: TensorShape] = [
            // conv: floor((32 + 2*1 - 5) / 2) + 1 = floor(29/2) + 1 = 15
            "conv": TensorShape(8, 15, 15),
            // dilated: extent 4*(3-1)+1 = 9; 32 - 9 + 1 = 24
            "dil": TensorShape(4, 24, 24),
            // height: 32 - 3 + 1 = 30; width: floor((32 + 2 - 1) / 2) + 1 = 17
            "rect": TensorShape(2, 30, 17),
            // grouped 3x3 same-padding keeps 15x15
            "grp": TensorShape(8, 15, 15),
            // transposed: (15-1)*2 - 2*1 + 4 = 30
            "tconv": TensorShape(5, 30, 30),
            // transposed: (15-1)*3 - 0 + 2*(3-1)+1 + 1 = 42 + 5 + 1 = 48
            "tconv2": TensorShape(5, 48, 48),
            // pool: floor((32 - 3) / 2) + 1 = 15
            "avg": TensorShape(3, 15, 15),
            // stride defaults to kernel: 32 / 2 = 16
            "sum": TensorShape(3, 16, 16),
            "pad": TensorShape(3, 32, 32),
            "up": TensorShape(8, 45, 45),
            "bil": TensorShape(8, 30, 30),
            // xcorr: 6x6 template over 15x15: 15 - 6 + 1 = 10, one channel
            "corr": TensorShape(1, 10, 10),
            "cat": TensorShape(16, 15, 15),
            "sum2": TensorShape(8, 15, 15),
            "flat": TensorShape(16 * 15 * 15, 1, 1),
            "fc": TensorShape(7, 1, 1),
        ]
        for (name, shape) in expected {
            #expect(net.shape(of: name) == shape, "layer \(name)")
        }
    }

    @Test func siamsnnShapes() throws {
        let net = try Network.load(TestSupport.example("siamsnn/siamsnn.yaml"))
        // Exemplar: 127 -> (127-11)/2+1 = 59 -> (59-3)/2+1 = 29 -> 25 -> (25-3)/2+1 = 12 -> 10 -> 8 -> 6.
        #expect(net.shape(of: "z/conv1") == TensorShape(96, 59, 59))
        #expect(net.shape(of: "z/pool2") == TensorShape(256, 12, 12))
        #expect(net.shape(of: "z/conv5") == TensorShape(256, 6, 6))
        // Search: 255 -> 123 -> 61 -> 57 -> 28 -> 26 -> 24 -> 22.
        #expect(net.shape(of: "x/conv1") == TensorShape(96, 123, 123))
        #expect(net.shape(of: "x/conv5") == TensorShape(256, 22, 22))
        // Response map: 22 - 6 + 1 = 17.
        #expect(net.shape(of: "score") == TensorShape(1, 17, 17))
    }

    @Test func deeplabShapes() throws {
        let net = try Network.load(TestSupport.example("deeplab/deeplab.yaml"))
        #expect(net.shape(of: "pool3") == TensorShape(256, 28, 28))     // 224 / 8
        #expect(net.shape(of: "conv5_3") == TensorShape(512, 28, 28))   // dilation 2, padding 2 keeps size
        #expect(net.shape(of: "fc6") == TensorShape(1024, 28, 28))      // dilation 12, padding 12 keeps size
        #expect(net.shape(of: "up") == TensorShape(21, 224, 224))       // 28 * 8
    }

    @Test func everyExampleChecks() throws {
        // The examples folder and its workload folders (siamsnn/, deeplab/, fcn/).
        let root = TestSupport.packageRoot.appendingPathComponent("examples").path
        let examples = (FileManager.default.subpaths(atPath: root) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(examples.count >= 8)
        for folder in ["siamsnn/siamsnn.yaml", "deeplab/deeplab.yaml", "deeplab/deeplab-small.yaml", "deeplab/dl-vgg9.yaml", "deeplab/dl-vgg9-ddd17.yaml", "fcn/fcn.yaml", "fcn/fcn-small.yaml"] {
            #expect(examples.contains(folder))
        }
        for example in examples {
            let run = try TestSupport.tessera(["check", "examples/\(example)"])
            #expect(run.status == 0, "\(example): \(run.stderr)")
            try Self.checkSummary(run.stdout, example)
        }
    }

    /// What `check` prints, worked out from its own table: each layer's neurons are the
    /// product of its shape for a layer with a neuron model (`| ...` in details) and 0
    /// otherwise; the totals are the columns' sums; the layer count is the rows'; and the
    /// core bound is the sum over layers of ceil(neurons / 256), on ceil(cores / 4,096)
    /// TrueNorth chips.
    static func checkSummary(_ stdout: String, _ example: String) throws {
        let lines = stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try #require(lines.firstIndex { $0.hasPrefix("layer ") && $0.contains(" neurons ") }, "\(example): no table")
        let rows = lines[(header + 1)...].prefix { !$0.isEmpty }.map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        func number(_ s: String) -> Int? { Int(s.replacingOccurrences(of: ",", with: "")) }
        var neurons = 0, synapses = 0, cores = 0
        for row in rows {
            try #require(row.count >= 7, "\(example): \(row)")
            let count = row[3].split(separator: "x").compactMap { Int($0) }.reduce(1, *)
            let n = try #require(number(row[4])), s = try #require(number(row[5]))
            #expect(n == (row.dropFirst(7).contains("|") ? count : 0), "\(example): \(row.joined(separator: " "))")
            neurons += n
            synapses += s
            cores += (n + 255) / 256
        }
        #expect(lines.contains { $0.hasPrefix("network ") && $0.contains(": \(rows.count) layers,") }, "\(example): \(rows.count) rows")
        func grouped(_ v: Int) -> String {
            let digits = Array(String(v))
            return String(digits.enumerated().flatMap { i, d in (i > 0 && (digits.count - i) % 3 == 0 ? [","] : []) + [d] })
        }
        #expect(lines.contains { $0.hasPrefix("total: \(grouped(neurons)) neurons, \(grouped(synapses)) synapses,") }, "\(example): \(neurons) neurons, \(synapses) synapses")
        let chips = (cores + 4095) / 4096
        #expect(lines.contains { $0.hasPrefix("target truenorth: at least \(cores) cores (ceil(neurons / 256) per layer) on at least \(chips) chip") },
                "\(example): \(cores) cores on \(chips) chips\n\(lines.suffix(2).joined(separator: "\n"))")
    }
}

import Foundation
