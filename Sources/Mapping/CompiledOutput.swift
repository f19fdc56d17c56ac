import CoreMap
import Dispatch
import Foundation
import TesseraSupport

extension Compiled {
    /// Writes the core map to `path`: v2 (an `.npz` archive) when the name ends in `.npz`,
    /// else JSON v1 (the bytes equal `map.json`). Either way cores are built a bounded
    /// chunk at a time and dropped once written, so the map is never held whole.
    /// `progress` is told the cores written so far. `threads` build v2's cores (nil: every
    /// CPU); the bytes are the same for any number.
    @discardableResult
    public func write(to path: String, threads: Int? = nil, progress: ((Int) -> Void)? = nil) throws(DiagnosticError) -> ArchiveSummary? {
        if CoreMapFile.writesArchive(path: path) { return try writeArchive(to: path, threads: threads, progress: progress) }
        try CoreMapWriter.write(header, coreCount: recipes.count, core: core, to: path)
        return nil
    }

    /// Core map v2, built in chunks of cores on every CPU and appended in core order (so
    /// the bytes do not depend on the threads). The next chunk is built while the current
    /// one is appended (interned and deflated).
    func writeArchive(to path: String, threads: Int?, progress: ((Int) -> Void)?) throws(DiagnosticError) -> ArchiveSummary {
        let writer = try CoreMapArchiveWriter(path: path, header: header)
        let outputIndex = outputPortIndex
        let count = recipes.count
        let chunk = 4096
        let workers = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let ranges = stride(from: 0, to: count, by: chunk).map { $0..<min(count, $0 + chunk) }
        let compiled = self
        @Sendable func build(_ range: Range<Int>) -> CoreChunk {
            let built = CoreChunk(count: range.count)
            DispatchQueue.concurrentPerform(iterations: min(workers, range.count)) { w in
                var c = range.lowerBound + w
                while c < range.upperBound {
                    built.set(c - range.lowerBound, compiled.packedCore(c, outputIndex: outputIndex))
                    c += workers
                }
            }
            return built
        }
        var current = ranges.first.map(build)
        var k = 0
        while let built = current {
            let ahead = ChunkBox()
            let group = DispatchGroup()
            if k + 1 < ranges.count {
                let range = ranges[k + 1]
                DispatchQueue.global().async(group: group) { ahead.chunk = build(range) }
            }
            defer { group.wait() }
            for i in 0..<built.count {
                guard let core = built.get(i) else { continue }
                try writer.append(core)
            }
            group.wait()
            progress?(ranges[k].upperBound)
            current = ahead.chunk
            k += 1
        }
        return try writer.finish()
    }
}

/// The cores of one chunk, each slot written by exactly one worker before any is read.
private final class CoreChunk: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<PackedCore?>
    let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: max(count, 1))
        slots.initialize(repeating: nil, count: max(count, 1))
    }

    deinit {
        slots.deinitialize(count: max(count, 1))
        slots.deallocate()
    }

    func set(_ k: Int, _ core: PackedCore) { slots[k] = core }

    func get(_ k: Int) -> PackedCore? { slots[k] }
}

/// The chunk built ahead, handed from the thread that built it once its group is done.
private final class ChunkBox: @unchecked Sendable {
    var chunk: CoreChunk?
}
