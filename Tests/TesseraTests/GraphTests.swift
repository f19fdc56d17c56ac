import Testing
@testable import Tessera

@Suite struct GraphTests {
    /// Two instances of one block share parameter keys, so they read the same tensors.
    @Test func blockInstancesShareWeights() throws {
        let net = try Network.load(TestSupport.example("siamsnn/siamsnn.yaml"))
        let z = try #require(net.graph.layer(named: "z/conv3"))
        let x = try #require(net.graph.layer(named: "x/conv3"))
        #expect(z.parameterKey == "backbone/conv3" && x.parameterKey == "backbone/conv3")
        #expect(net.graph.parameters.keys.filter { $0.hasPrefix("backbone/conv3") } == ["backbone/conv3.bias", "backbone/conv3.weight"])
    }

    /// A residual block: a graph (not a chain) inside a block, the block's input used twice,
    /// instances referenced by name, and a layer that reads a later-defined one.
    @Test func graphsBlocksAndForwardReferences() throws {
        let net = try Network.load(yaml: """
            network: res
            inputs: { x: { shape: [4, 8, 8] } }
            init: { seed: 3 }
            blocks:
              residual:
                input: in
                layers:
                  - { name: a, op: conv2d, out: 4, kernel: 3, padding: 1 }
                  - { name: b, op: conv2d, out: 4, kernel: 3, padding: 1 }
                  - { name: sum, op: add, inputs: [b, in] }
            layers:
              - { name: head, op: avgpool, input: r2, kernel: 2 }
              - { name: r1, block: residual, input: x }
              - { name: r2, block: residual, input: r1 }
            outputs: [head]
            """, file: "res.yaml")
        let order = net.graph.layers.map(\.name)
        #expect(order == ["x", "r1/a", "r1/b", "r1/sum", "r2/a", "r2/b", "r2/sum", "head"])
        #expect(net.graph.layer(named: "r1/sum")?.inputs == ["r1/b", "x"])
        #expect(net.graph.layer(named: "r2/a")?.inputs == ["r1/sum"])
        #expect(net.graph.layer(named: "head")?.inputs == ["r2/sum"])
        #expect(net.shape(of: "head") == TensorShape(4, 4, 4))
    }

    @Test func syntheticWeightsAreSeededAndDeterministic() throws {
        let yaml = { (seed: Int) in """
            network: t
            inputs: { x: { shape: [16] } }
            init: { seed: \(seed) }
            layers: [{ name: fc, op: dense, out: 4 }, { name: fc2, op: dense, out: 4, init: { seed: 99 } }]
            outputs: [fc2]
            """ }
        let a = try Network.load(yaml: yaml(1)).graph.parameters
        let b = try Network.load(yaml: yaml(1)).graph.parameters
        let c = try Network.load(yaml: yaml(2)).graph.parameters
        let w = try #require(a.tensor("fc.weight"))
        #expect(w == b.tensor("fc.weight"))
        #expect(w != c.tensor("fc.weight"))
        #expect(a.tensor("fc2.weight") == c.tensor("fc2.weight"))  // the layer's own seed wins
        // PyTorch's default range: |w| <= 1/sqrt(fan-in) = 1/4.
        #expect(w.values.allSatisfy { abs($0) <= 0.25 })
        #expect(Set(w.values).count == w.count)
    }

    @Test func unusedLayersAreWarnings() throws {
        let net = try Network.load(yaml: """
            network: t
            inputs: { x: { shape: [4] } }
            init: { seed: 1 }
            layers: [{ name: a, op: dense, out: 2 }, { name: b, op: dense, input: x, out: 2 }]
            outputs: [a]
            """)
        #expect(net.warnings.map(\.message) == ["layer 'b' does not lead to any output"])
    }

    @Test func printerShowsOneLinePerLayerAndTotals() throws {
        let net = try Network.load(TestSupport.example("digits-mlp.yaml"))
        let lines = net.text.split(separator: "\n").map(String.init)
        // 8x8 image flattened to 64; h1 = 64 neurons with 64*64 synapses; out = 10 with 64*10.
        #expect(lines.contains { $0.hasPrefix("h1") && $0.contains("64x1x1") && $0.contains("4,096") && $0.contains("4,160") })
        #expect(lines.contains { $0.hasPrefix("out") && $0.contains("10x1x1") && $0.contains("640") && $0.contains("th=2") })
        #expect(lines.last == "total: 74 neurons, 4,736 synapses, 4,810 parameters")
    }

    /// The verifier is usable on graphs built in code, not only through the frontend.
    @Test func verifierOnHandBuiltGraph() throws {
        let graph = SpikeGraph(name: "g", layers: [
            Layer(name: "in", op: .input(shape: TensorShape(1, 4, 4), encoding: .rate)),
            Layer(name: "p", op: .sumpool(Pooling(vertical: Window(kernel: 2, stride: 2), horizontal: Window(kernel: 2, stride: 2))), inputs: ["in"], neuron: NeuronModel()),
        ], outputs: ["p", "q"])
        do {
            _ = try Verifier.verify(graph)
            Issue.record("unknown output accepted")
        } catch {
            #expect(error.diagnostics.map(\.message) == ["output 'q' is not a layer of this network; did you mean 'p'?"])
        }
    }
}
