import Foundation
import Tessera

/// What `tessera evaluate --report` writes.
struct AccuracyReport: Encodable {
    struct Point: Encodable {
        var ticks: Int
        var ticksPerFrame: Int
        /// Classification: fraction correct.
        var accuracy: Double?
        /// Segmentation: against the masks, and mean IoU against the float network's maps.
        var meanIou: Double?
        var pixelAccuracy: Double?
        var meanIouVsFloat: Double?
        /// Segmentation of event input: mean IoU and the share of pixels as `reference` reads them.
        var meanIouVsReference: Double?
        var pixelsAsReference: Double?
    }
    struct Pass: Encodable {
        var pass: String
        var log: [String]
    }
    var network: String
    var target: String
    var samples: Int
    var encoding: String
    var floatAccuracy: Double?
    var floatMeanIou: Double?
    var floatPixelAccuracy: Double?
    /// Event input: what the chip was compared with, "framework" (its own output counts) or
    /// "float" (Tessera's float reading of the file); the framework's scores; the share of
    /// pixels where the float reading reads as the framework.
    var reference: String?
    var frameworkMeanIou: Double?
    var frameworkPixelAccuracy: Double?
    var floatPixelsAsReference: Double?
    var cores: Int
    var latency: Int
    var curve: [Point]
    var passes: [Pass]

    func save(to path: String) throws(DiagnosticError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        do { try encoder.encode(self).write(to: URL(fileURLWithPath: path)) } catch {
            throw DiagnosticError("cannot write report '\(path)': \(error.localizedDescription)")
        }
    }
}
