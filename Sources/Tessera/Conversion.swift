import Frontend
import Hardware
import Passes
import SpikeIR
import TesseraSupport

/// A network after the conversion passes: the converted network, and each pass's graph and
/// log in order (for `--print-after-each-pass`).
///
/// ```swift
/// let net = try Network.load("Tests/TesseraTests/Fixtures/digits/mlp.yaml")
/// var settings = net.conversion
/// settings.quantise = .init(format: .bits(4), granularity: .channel)
/// let converted = try net.convert(settings).network     // integer weights, ready to compile
/// ```
public struct Conversion: Sendable {
    public var stages: [ConversionPipeline.Stage]
    public var network: Network
}

extension Network {
    /// Runs the conversion passes that `settings` (by default the file's `compile:` section)
    /// enable. Balancing reads its calibration set from the settings' `.npy` files unless
    /// `calibration` is given. With a `target`, quantisation keeps biases and thresholds
    /// within its leak and threshold widths.
    public func convert(_ settings: ConversionSettings? = nil, calibration: [[String: [Double]]]? = nil,
                        target: Target? = nil) throws(DiagnosticError) -> Conversion {
        let settings = settings ?? conversion
        var samples = calibration ?? []
        if calibration == nil, let files = settings.balance?.calibration, !files.isEmpty {
            samples = try SampleSet.load(files, for: graph, relativeTo: settings.baseDirectory).samples
        }
        if let asked = settings.calibrate?.samples {
            let files = (settings.balance?.calibration ?? [:]).sorted { $0.key < $1.key }.map(\.value).joined(separator: ", ")
            if samples.isEmpty {
                throw DiagnosticError("bias calibration needs calibration samples: give balance's calibration set (compile.balance.calibration, or --calibration PATH.npy)")
            }
            if samples.count < asked {
                throw DiagnosticError("\(calibration == nil ? files : "the calibration set"): calibration asks for \(asked) samples, but it holds \(samples.count)")
            }
        }
        let limits = target.map { t in
            QuantiseWeights.Limits(bias: CoreSpec.signedRange(bits: t.core.leakBits).upperBound, threshold: t.core.thresholdRange.upperBound)
        }
        let stages = try ConversionPipeline(settings, limits: limits).run(graph, calibration: samples)
        var converted = self
        converted.graph = stages.last?.result.graph ?? graph
        return Conversion(stages: stages, network: converted)
    }
}
