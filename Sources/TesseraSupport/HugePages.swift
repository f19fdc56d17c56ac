#if canImport(Glibc)
import Glibc
#endif

/// Large buffers backed by 2 MiB pages where the kernel allows it (Linux transparent huge
/// pages in `madvise` mode, the default on Debian). The emulator reaches the pending spikes,
/// membrane potentials and destinations of millions of cores at random: with 4 KiB pages
/// nearly every such access also misses the TLB (2 GB of pending spikes is half a million
/// pages; 2 MiB pages cover it with a thousand entries).
///
/// Advice only: where huge pages are off, or on other systems, nothing changes.
///
///     let p = UnsafeMutablePointer<UInt64>.allocate(capacity: n)
///     HugePages.advise(p, bytes: n * 8)      // before the memory is first touched
///     p.initialize(repeating: 0, count: n)
public enum HugePages {
    public static let pageSize = 2 << 20

    /// Advises the whole 2 MiB pages inside `bytes` bytes from `base`; call it before the
    /// memory is first written, so that the page faults take huge pages.
    public static func advise(_ base: UnsafeMutableRawPointer?, bytes: Int) {
        #if os(Linux)
        guard let base, bytes >= 2 * pageSize else { return }
        let mask = UInt(pageSize - 1)
        let start = (UInt(bitPattern: base) + mask) & ~mask
        let end = (UInt(bitPattern: base) + UInt(bytes)) & ~mask
        guard end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(aligned, Int(end - start), Int32(MADV_HUGEPAGE))
        #endif
    }

    public static func advise<T>(_ base: UnsafeMutablePointer<T>, count: Int) {
        advise(UnsafeMutableRawPointer(base), bytes: count * MemoryLayout<T>.stride)
    }

    /// An array of `count` elements made by `element`, its storage advised before it is
    /// written.
    public static func array<T>(count: Int, _ element: (Int) -> T) -> [T] {
        [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard let base = buffer.baseAddress else { initialized = 0; return }
            advise(base, count: count)
            for k in 0..<count { (base + k).initialize(to: element(k)) }
            initialized = count
        }
    }

    /// `count` copies of `value`, the storage advised before it is written.
    public static func array<T>(repeating value: T, count: Int) -> [T] {
        [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress {
                advise(base, count: count)
                base.initialize(repeating: value, count: count)
            }
            initialized = count
        }
    }
}
