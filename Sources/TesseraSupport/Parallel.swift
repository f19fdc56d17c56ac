import Dispatch
import class Foundation.NSLock

/// `body(0)` to `body(count - 1)` run at once, a thread each as far as the cores go, and
/// their results in that order: for independent candidates (two placements, two figures)
/// that would otherwise run one after the other on a machine with cores to spare. `body`
/// must share nothing mutable between calls.
///
///     let (a, b) = { let r = inParallel(2) { k in work(k) }; return (r[0], r[1]) }()
public func inParallel<T>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    let results = ParallelResults<T>(count)
    DispatchQueue.concurrentPerform(iterations: count) { k in results.set(k, body(k)) }
    return results.values.compactMap { $0 }
}

/// The results of ``inParallel(_:_:)``, each written by exactly one thread, read after all
/// have finished.
private final class ParallelResults<T>: @unchecked Sendable {
    private(set) var values: [T?]
    private let lock = NSLock()

    init(_ count: Int) { values = Array(repeating: nil, count: count) }

    func set(_ k: Int, _ value: T) {
        lock.lock()
        values[k] = value
        lock.unlock()
    }
}
