#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Room for a fixed number of floats that is reserved as address space up front and backed by
/// memory only as it is written: an anonymous private mapping with `MAP_NORESERVE`, whose pages the
/// kernel commits one at a time on first touch (reading an untouched page gives zeros).
///
/// ``KVCache`` keeps each layer's keys and values in one of these sized for its
/// ``KVCache/maximumLength``, so appending never moves what is cached: the rows stay contiguous
/// at a fixed address, attention reads them through strided views without copying, and memory
/// grows with the tokens actually cached rather than with the maximum. (Fixed-size chunks would
/// also avoid the copy, but attention would then need a gather or a loop over chunks for every
/// key range; doubling, which the cache did before, copies everything cached each time and
/// briefly holds 1.5× its size.) On 64-bit address space is plentiful: 32 K tokens of
/// MiniCPM-1.2B's 52 layers reserve 6.5 GiB of it and commit only what is written.
final class ReservedFloatBuffer {
    /// The first float.
    let baseAddress: UnsafeMutablePointer<Float>
    /// Floats reserved.
    let count: Int
    /// Bytes reserved (a whole number of pages).
    let byteCount: Int
    private let isMapped: Bool

    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    init(count: Int) {
        self.count = count
        let bytes = Swift.max(1, count * MemoryLayout<Float>.stride)
        byteCount = (bytes + Self.pageSize - 1) / Self.pageSize * Self.pageSize
        #if canImport(Glibc)
        let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE
        #else
        let flags = MAP_PRIVATE | MAP_ANON
        #endif
        let p = mmap(nil, byteCount, PROT_READ | PROT_WRITE, flags, -1, 0)
        if let p, p != MAP_FAILED {
            baseAddress = p.bindMemory(to: Float.self, capacity: byteCount / MemoryLayout<Float>.stride)
            isMapped = true
        } else {
            // A system that refuses the reservation (strict overcommit, a small address-space
            // limit) gets an ordinary allocation; large ones are still committed lazily by malloc.
            baseAddress = .allocate(capacity: byteCount / MemoryLayout<Float>.stride)
            isMapped = false
        }
    }

    deinit {
        if isMapped { munmap(UnsafeMutableRawPointer(baseAddress), byteCount) } else { baseAddress.deallocate() }
    }

    /// Bytes of the pages that hold the first `floats` floats: what writing them commits.
    func committedBytes(forFirst floats: Int) -> Int {
        let bytes = Swift.min(byteCount, floats * MemoryLayout<Float>.stride)
        return (bytes + Self.pageSize - 1) / Self.pageSize * Self.pageSize
    }

    /// Returns to the system the pages that lie wholly after the first `floats` floats (their
    /// contents become zeros), so that trimming or resetting a cache gives its memory back.
    func release(after floats: Int) {
        guard isMapped else { return }
        let keep = committedBytes(forFirst: floats)
        guard keep < byteCount else { return }
        _ = madvise(UnsafeMutableRawPointer(baseAddress) + keep, byteCount - keep, MADV_DONTNEED)
    }
}
