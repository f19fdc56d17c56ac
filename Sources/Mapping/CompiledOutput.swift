import CoreMap
import Dispatch
import Foundation
import TesseraSupport

extension Compiled {
    /// Writes the core map to `path`: v2 (an `.npz` archive) when the name ends in `.npz`,
    /// else JSON v1 (the bytes equal `map.json`). Either way cores are built a bounded
    /// chunk at a time and dropped once written, so the map is never held whole.
    /// `progress` is told the cores written so far.
    @discardableResult
    public func write(to path: String, progress: ((Int) -> Void)? = nil) throws(DiagnosticError) -> ArchiveSummary? {
        if CoreMapFile.writesArchive(path: path) { return try writeArchive(to: path, progress: progress) }
        try CoreMapWriter.write(header, coreCount: recipes.count, core: core, to: path)
        return nil
    }

    /// Core map v2, built in chunks of cores on every CPU and appended in core order (so
    /// the bytes do not depend on the threads).
    func writeArchive(to path: String, progress: ((Int) -> Void)?) throws(DiagnosticError) -> ArchiveSummary {
        let writer = try CoreMapArchiveWriter(path: path, header: header)
        let count = recipes.count
        let chunk = 4096
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var next = 0
        while next < count {
            let range = next..<min(count, next + chunk)
            let built = CoreChunk(count: range.count)
            DispatchQueue.concurrentPerform(iterations: min(workers, range.count)) { w in
                var c = range.lowerBound + w
                while c < range.upperBound {
                    built.set(c - range.lowerBound, core(c))
                    c += workers
                }
            }
            for k in 0..<range.count {
                guard let core = built.get(k) else { continue }
                try writer.append(core)
            }
            next = range.upperBound
            progress?(next)
        }
        return try writer.finish()
    }
}

/// The cores of one chunk, each slot written by exactly one worker before any is read.
private final class CoreChunk: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<CoreConfig?>
    private let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: max(count, 1))
        slots.initialize(repeating: nil, count: max(count, 1))
    }

    deinit {
        slots.deinitialize(count: max(count, 1))
        slots.deallocate()
    }

    func set(_ k: Int, _ core: CoreConfig) { slots[k] = core }

    func get(_ k: Int) -> CoreConfig? { slots[k] }
}
