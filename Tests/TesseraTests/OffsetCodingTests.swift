import Foundation
import Testing
@testable import CoreMap
@testable import Emulator
@testable import Hardware
@testable import Mapping
@testable import Tessera

/// Offset-coded partial sums (docs/mapping.md, "Offset coding"): what a merge neuron has
/// received from its parts stays within half a step per part of their true accumulated
/// current, after any number of ticks.
@Suite struct OffsetCodingTests {
    static let tiny = FanInSplitTests.tiny
    static let truenorth = NeuronModeTests.tiny.core

    /// step, offset, start; merge weight, threshold, leak, start; bounded (1) or not (0).
    static func fields(_ c: OffsetCode) -> [Int] {
        [c.step, c.offset, c.start, c.mergeWeight, c.mergeThreshold, c.mergeLeak, c.mergeStart, c.bounded ? 1 : 0]
    }

    /// By hand, θ = 1 (the merge keeps it): a part whose weights sum to +20 and -24 has
    /// per-tick currents in -24...20, so the step is 44, the offset 24 and the partial
    /// neuron starts at 22; the merge adds 44 a spike and removes 3 x 24 a tick, and starts
    /// 72 higher because the first tick's offsets arrive a tick late.
    @Test func codeByHandSmallThreshold() {
        let code = OffsetCode(threshold: 1, bias: 0, positive: 20, negative: 24, parts: 3, spec: Self.truenorth)
        #expect(Self.fields(code) == [44, 24, 22, 44, 1, -72, 72, 1])
        // A bias of -5 stays on the merge neuron, exactly.
        let biased = OffsetCode(threshold: 1, bias: -5, positive: 20, negative: 24, parts: 3, spec: Self.truenorth)
        #expect(biased.mergeLeak == -77 && biased.offset == 24)
    }

    /// Staggered by hand, the same part (θ = 1, +20 and -24, 3 parts). Two partial neurons
    /// per part: step 44 (already even), phases start at 11 and 33 ((p + 1/2) x 44 / 2), and
    /// each spike adds 22; the merge's leak and start are unchanged (the two neurons together
    /// carry one offset). Three: the step is rounded up to 45, phases start at 7, 22 and 37,
    /// and a spike adds 15, which 45 / 3 gives exactly.
    @Test func codeByHandStaggered() {
        let two = OffsetCode(threshold: 1, bias: 0, positive: 20, negative: 24, parts: 3, stagger: 2, spec: Self.truenorth)
        #expect(Self.fields(two) == [44, 24, 11, 22, 1, -72, 72, 1])
        #expect([0, 1].map { two.start(phase: $0) } == [11, 33])
        let three = OffsetCode(threshold: 1, bias: 0, positive: 20, negative: 24, parts: 3, stagger: 3, spec: Self.truenorth)
        #expect(Self.fields(three) == [45, 24, 7, 15, 1, -72, 72, 1])
        #expect([0, 1, 2].map { three.start(phase: $0) } == [7, 22, 37])
    }

    /// By hand, θ = 481 = 13 x 37, ranges +400 and -300, 2 parts. A step of 700 does not fit
    /// one weight (255), so step and offset count in quanta of t = 13, the smallest divisor
    /// of θ with ceil(700 / t) <= 255: 54 quanta, a step of 702. The offset wants
    /// ceil(300 / 13) = 24 quanta, 312, but a leak is at most 255: 19 quanta, 247 (so the
    /// bound is not guaranteed for the most negative currents). The merge counts in units
    /// of t / q with q = floor(255 / 54) = 4: threshold 4 x 37 = 148, weight 4 x 54 = 216,
    /// leak -2 x 4 x 19 = -152. Exact: 216 / 148 = 702 / 481 and 76 / 148 = 247 / 481.
    @Test func codeByHandLargeThreshold() {
        let code = OffsetCode(threshold: 481, bias: 0, positive: 400, negative: 300, parts: 2, spec: Self.truenorth)
        #expect(Self.fields(code) == [702, 247, 351, 216, 148, -152, 152, 0])
        #expect(216 * 481 == 702 * 148 && 76 * 481 == 247 * 148)
        #expect(OffsetCode.divisors(of: 481) == [1, 13, 37, 481] && OffsetCode.divisors(of: 36) == [1, 2, 3, 4, 6, 9, 12, 18, 36])
    }

    /// Input trains of three kinds: independent rates per input, whole-frame bursts (every
    /// input of a tick at once, so a part's current reaches both ends of its range) and
    /// alternating halves (even inputs on even ticks, odd inputs on odd ticks).
    static func input(count: Int, ticks: Int, pattern: Int, seed: UInt64) -> SpikeInput {
        var rng = SeededRandom(seed: seed &+ 11)
        let rates = (0..<count).map { _ in rng.nextUnit() }
        var events: [SpikeInput.Event] = []
        for t in 0..<ticks {
            let burst = rng.nextUnit() < 0.5
            for i in 0..<count {
                let on = switch pattern {
                case 0: rng.nextUnit() < rates[i]
                case 1: burst
                default: i % 2 == t % 2
                }
                if on { events.append(.init(tick: t, index: i)) }
            }
        }
        return SpikeInput(ticks: ticks, spikes: ["x": events])
    }

    /// The true current of every element of layer c in every tick, from the weights and the
    /// input spikes alone: the conv's 2x2 window over 4x6x6 (no padding), or the dense
    /// layer's 64 inputs (FanInSplitTests.network).
    static func currents(_ graph: SpikeGraph, _ input: SpikeInput, ticks: Int, dense: Bool) throws -> [[Int]] {
        guard case let .loaded(tensor, _)? = graph.parameters["c.weight"] else { throw DiagnosticError("no weights") }
        let w = tensor.values.map { Int($0) }
        var frames = [[Bool]](repeating: [Bool](repeating: false, count: 144), count: ticks)
        for e in input.spikes["x"] ?? [] where e.tick < ticks { frames[e.tick][e.index] = true }
        return frames.map { x in
            if dense { return (0..<3).map { o in (0..<64).reduce(0) { $0 + (x[$1] ? w[o * 64 + $1] : 0) } } }
            var out: [Int] = []
            for o in 0..<3 {
                for y in 0..<5 {
                    for xx in 0..<5 {
                        var sum = 0
                        for c in 0..<4 { for ky in 0..<2 { for kx in 0..<2 where x[(c * 6 + y + ky) * 6 + xx + kx] { sum += w[((o * 4 + c) * 2 + ky) * 2 + kx] } } }
                        out.append(sum)
                    }
                }
            }
            return out
        }
    }

    /// What each merge neuron has received after every tick, with the offsets removed, in
    /// the layer's units: from its potential (traced), its firings and its parameters,
    /// A = (θ / θm) (V + θm n - V0 - λm), which with no bias is the sum of its partial spikes'
    /// worth less the offsets of the ticks they cover. Keyed by element.
    static func received(_ compiled: Compiled, _ input: SpikeInput, ticks: Int, threshold: (Int) -> Int) throws -> [Int: [Int]] {
        let map = compiled.map
        let emulator = try Emulator(map: map, target: compiled.compiler.target)
        var result: [Int: [Int]] = [:]
        let neuronsPerCore = compiled.compiler.target.core.neurons
        for (c, recipe) in compiled.recipes.enumerated() {
            guard recipe.stage == .merge, case let .merge(elements) = recipe.body else { continue }
            let run = emulator.run(input, ticks: ticks, traceCore: c, recordFired: true)
            let trace = try #require(run.trace)
            let fired = try #require(run.fired)
            // Neuron i is the first copy of the i-th element that has copies (CoreMapBuilder).
            var local = 0
            for j in elements {
                let copies = compiled.routes[recipe.layer]?.copies(j) ?? 0
                guard copies > 0 else { continue }
                defer { local += copies }
                let neuron = try #require(map.cores[c].neurons.first { $0.index == local })
                let k = try #require(trace.neurons.firstIndex(of: local))
                let theta = threshold(j)
                #expect(theta % neuron.threshold == 0)
                var count = 0
                let index = Int32(c * neuronsPerCore + local)
                result[j] = (0..<ticks).map { t in
                    count += fired[t].contains(index) ? 1 : 0
                    return theta / neuron.threshold * (trace.potentials[t][k] + neuron.threshold * count - neuron.initialPotential - neuron.leak)
                }
            }
        }
        return result
    }

    /// Property: on random split layers (conv and dense, tiny target), driven by each kind
    /// of input train, every merge neuron's received current after tick τ is within
    /// parts x step / 2 of the true current of ticks 0..<τ (its partial spikes arrive a
    /// tick late), at every τ up to 1,000: the bound does not grow with the run. With two
    /// staggered partial neurons per part the bound is parts x floor(step / 2 / 2): a part's
    /// two counts are its running sum rounded to half a step (``OffsetCode``).
    @Test(arguments: 0..<4, 0..<3)
    func mergeReceivesTheTrueSumWithinTheBound(seed: Int, pattern: Int) throws {
        for stagger in [1, 2] { try mergeReceivesTheTrueSum(seed: seed, pattern: pattern, stagger: stagger) }
    }

    private func mergeReceivesTheTrueSum(seed: Int, pattern: Int, stagger: Int) throws {
        let dense = seed % 2 == 1
        let graph = try Verifier.verify(FanInSplitTests.network(seed: UInt64(seed), dense: dense)).graph
        let network = try IntegerNetwork.check(graph, target: Self.tiny)
        let compiled = try Compiler(network, options: Compiler.Options(partialSums: .offset, partialStagger: stagger)).compile()
        let k = try #require(compiled.compiler.layers.firstIndex { $0.name == "c" })
        let codes = try #require(compiled.offsetCodes[k])
        let layout = compiled.layouts[k]
        #expect(layout.offset && layout.parts > 1 && layout.stagger == stagger)
        let ticks = 1_000
        let input = Self.input(count: dense ? 64 : 144, ticks: ticks, pattern: pattern, seed: UInt64(seed))
        let truth = try Self.currents(graph, input, ticks: ticks, dense: dense)
        let channel: (Int) -> Int = { dense ? $0 : $0 / 25 }
        let theta = Int(graph.layers.last?.neuron?.threshold ?? 1)
        let received = try Self.received(compiled, input, ticks: ticks) { _ in theta }
        #expect(received.count == (dense ? 3 : 75))
        let widest = Self.widestError(received, truth: truth, ticks: ticks) { j in
            let code = codes[channel(j)]
            #expect(code.bounded && code.stagger == stagger && code.step % stagger == 0)
            return layout.parts * (code.step / stagger / 2)
        }
        #expect(widest > 0)
    }

    /// Checks that each merge's received current after every tick τ (`received`, keyed by
    /// element) is within `bound(element)` of the true current of ticks 0..<τ (`truth`, per
    /// tick and element), and returns the widest error seen (stopping at an element's first
    /// miss).
    static func widestError(_ received: [Int: [Int]], truth: [[Int]], ticks: Int, bound: (Int) -> Int) -> Int {
        var widest = 0
        for (j, series) in received.sorted(by: { $0.key < $1.key }) {
            let limit = bound(j)
            var sum = 0
            for tau in 0..<ticks {
                let error = series[tau] - sum
                widest = max(widest, abs(error))
                #expect(abs(error) <= limit, "element \(j) after tick \(tau): received \(series[tau]), true \(sum), bound \(limit)")
                if abs(error) > limit { break }
                sum += truth[tau][j]
            }
        }
        return widest
    }

    /// By hand: 32 inputs -> dense 1, weight +1 on even inputs and -1 on odd ones, θ = 2. On
    /// tiny (16 axons) the planner gives an input 2 lanes, so 4 parts of 8 inputs, each +4
    /// and -4: step 8, offset 4, start 4; merge weight 8, threshold 2, leak -4 x 4 = -16,
    /// start 16. Even ticks 3 even inputs of each part fire (+3 a part), odd ticks 2 odd
    /// ones (-2): +12 then -8 in all. A partial neuron goes 4 -> 11 (fires) 3 -> 5 -> 12
    /// (fires) 4 -> 6 -> 13 ... and stays in 0..<8, so the merge is never more than 4 x 4 away
    /// from the true sum. The net scheme's floored neurons (step 2) each fire once every two
    /// ticks, +2 then -2: the merge sees nothing while the true sum grows by 4 every two ticks.
    @Test func alternatingCurrentReachesTheMerge() throws {
        var store = ParameterStore()
        store["c.weight"] = .loaded(try #require(Tensor(shape: [1, 32], values: (0..<32).map { $0 % 2 == 0 ? 1.0 : -1.0 })), origin: "by hand")
        store["c.bias"] = .loaded(Tensor(repeating: 0, shape: [1]), origin: "zero")
        let graph = try Verifier.verify(SpikeGraph(name: "alternating", layers: [
            Layer(name: "x", op: .input(shape: TensorShape(32, 1, 1), encoding: .rate)),
            Layer(name: "f", op: .flatten, inputs: ["x"]),
            Layer(name: "c", op: .dense(Dense(outFeatures: 1)), inputs: ["f"], neuron: NeuronModel(threshold: 2, reset: .subtract), parameterKey: "c"),
        ], outputs: ["c"], parameters: store)).graph
        let network = try IntegerNetwork.check(graph, target: Self.tiny)
        let ticks = 200
        // Part p reads inputs 8p ..< 8p + 8.
        var events: [SpikeInput.Event] = []
        for t in 0..<ticks {
            let fire = t % 2 == 0 ? [0, 2, 4] : [1, 3]
            for base in [0, 8, 16, 24] { for i in fire { events.append(.init(tick: t, index: base + i)) } }
        }
        let input = SpikeInput(ticks: ticks, spikes: ["x": events])
        let offset = try Compiler(network, options: Compiler.Options(partialSums: .offset)).compile()
        let k = try #require(offset.compiler.layers.firstIndex { $0.name == "c" })
        #expect(offset.layouts[k].parts == 4)
        #expect(offset.offsetCodes[k]?.map(Self.fields) == [[8, 4, 4, 8, 2, -16, 16, 1]])
        let series = try #require(try Self.received(offset, input, ticks: ticks) { _ in 2 }[0])
        let net = try #require(try Self.received(try Compiler(network, options: Compiler.Options(partialSums: .net)).compile(), input, ticks: ticks) { _ in 2 }[0])
        // True sum of ticks 0..<tau: +12 on each even tick, -8 on each odd one.
        func truth(_ tau: Int) -> Int { (tau + 1) / 2 * 12 - tau / 2 * 8 }
        for tau in 0..<ticks {
            #expect(abs(series[tau] - truth(tau)) <= 16, "tick \(tau): \(series[tau]) against \(truth(tau))")
        }
        #expect(truth(ticks - 1) == 408)
        #expect(abs(net[ticks - 1] - truth(ticks - 1)) >= 300, "net scheme: \(net[ticks - 1]) against \(truth(ticks - 1))")
        // Two staggered neurons per part, starting at 2 and 6 (step 8), each spike adding 4:
        // a part holds back at most 2, so the merge stays within 4 x 2 = 8 of the truth.
        let staggered = try Compiler(network, options: Compiler.Options(partialSums: .offset, partialStagger: 2)).compile()
        #expect(staggered.offsetCodes[k]?.map(Self.fields) == [[8, 4, 2, 4, 2, -16, 16, 1]])
        let fine = try #require(try Self.received(staggered, input, ticks: ticks) { _ in 2 }[0])
        var widest = 0
        for tau in 0..<ticks {
            widest = max(widest, abs(fine[tau] - truth(tau)))
            #expect(abs(fine[tau] - truth(tau)) <= 8, "tick \(tau): \(fine[tau]) against \(truth(tau))")
        }
        #expect(widest > 4)  // more than one part's residue: the bound is what holds
    }
}
