import Foundation

/// Wall time and peak memory of a run's stages, in order: what `tessera compile --profile`
/// prints, so that a change to a full-size compile is aimed at the stage that costs most.
///
///     var profile = StageProfile()
///     let graph = buildGraph()
///     profile.lap("graph build")
///     let cut = partition(graph)
///     profile.lap("METIS")
///     profile.stages.map(\.name)  // ["graph build", "METIS"]
///
/// Peak memory is the process's (`getrusage`'s maximum resident set), read at the end of
/// each stage: it only grows, so a stage that raised it is the one whose figure is above
/// its predecessor's.
public struct StageProfile: Sendable, Equatable {
    /// One stage: its name, its wall time in seconds and the process's peak resident bytes
    /// when it ended. A detail is a step of the stage before it that ran alongside others
    /// (threads), so its time is not added to the total.
    public struct Stage: Sendable, Equatable {
        public var name: String
        public var seconds: Double
        public var peakBytes: Int
        public var detail: Bool

        public init(name: String, seconds: Double, peakBytes: Int, detail: Bool = false) {
            self.name = name
            self.seconds = seconds
            self.peakBytes = peakBytes
            self.detail = detail
        }
    }

    public private(set) var stages: [Stage] = []
    private var started: ContinuousClock.Instant

    /// A profile whose first stage starts now.
    public init() { started = ContinuousClock.now }

    /// Ends the current stage as `name` and starts the next one.
    public mutating func lap(_ name: String) {
        let now = ContinuousClock.now
        stages.append(Stage(name: name, seconds: (now - started).seconds, peakBytes: Self.peakResidentBytes()))
        started = now
    }

    /// Appends the stages of a profile that ran inside this one's current stage, their
    /// names prefixed (as in "placement: METIS"), and starts the next stage now. As
    /// details, they are steps of the stage before them that overlapped in time.
    public mutating func append(_ inner: StageProfile, prefix: String, asDetails: Bool = false) {
        stages += inner.stages.map { Stage(name: prefix + $0.name, seconds: $0.seconds, peakBytes: $0.peakBytes, detail: $0.detail || asDetails) }
        started = ContinuousClock.now
    }

    /// Total wall time of the stages (details left out: their time is their stage's).
    public var seconds: Double { stages.reduce(0) { $0 + ($1.detail ? 0 : $1.seconds) } }

    #if canImport(Glibc)
    private static let RUSAGE_SELF_WHO = __rusage_who_t(RUSAGE_SELF.rawValue)
    #else
    private static let RUSAGE_SELF_WHO = RUSAGE_SELF
    #endif

    /// The process's peak resident memory so far, in bytes (0 where it cannot be read).
    public static func peakResidentBytes() -> Int {
        var usage = rusage()
        guard getrusage(Self.RUSAGE_SELF_WHO, &usage) == 0 else { return 0 }
        #if canImport(Darwin)
        return Int(usage.ru_maxrss)
        #else
        return Int(usage.ru_maxrss) * 1024
        #endif
    }

    /// The table as text lines: stage, seconds, share of the total, peak memory in GB.
    ///
    ///     stage        seconds  share   peak GB
    ///     analysis        0.41    0.7%     0.35
    public var table: [String] {
        let total = max(seconds, 1e-9)
        let width = max(5, stages.map { $0.name.count + ($0.detail ? 2 : 0) }.max() ?? 0)
        func padded(_ s: String) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
        var lines = [padded("stage") + "  seconds   share  peak GB"]
        for s in stages {
            lines.append(padded((s.detail ? "  " : "") + s.name) + String(format: "  %7.2f  %5.1f%%  %7.2f", s.seconds, 100 * s.seconds / total, Double(s.peakBytes) / 1e9))
        }
        lines.append(padded("total") + String(format: "  %7.2f", seconds))
        return lines
    }
}
