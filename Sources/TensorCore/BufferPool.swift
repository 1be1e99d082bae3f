import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A cache of large freed tensor buffers, so that a training or generation loop that allocates the
/// same shapes every step reuses memory that is already faulted in instead of paying the kernel to
/// unmap and re-fault it (glibc serves blocks of this size with mmap/munmap).
///
/// Only blocks of at least ``minimumPooledBytes`` are pooled; smaller ones go straight to malloc,
/// which already recycles them well. The pool holds at most ``capacityBytes`` of idle memory and
/// drops the oldest idle blocks beyond that.
///
/// A training step is the case this is sized for: it allocates several GB of activations and
/// gradients, frees all of them by the end of the step, and allocates the same sizes again in the
/// next. With only part of them kept, every step faulted the rest in afresh, 4 KiB at a time (36M
/// wind-tunnel model, batch 16 × 512: 1.7 million page faults and 15 s of kernel time in a 65 s
/// step). Blocks of at least ``hugePageBytes`` also ask Linux for transparent huge pages, so
/// whatever still has to be faulted in comes 2 MiB at a time.
public enum BufferPool {
    /// Blocks smaller than this are never pooled.
    public static let minimumPooledBytes = 256 * 1024

    struct State {
        var idle: [Int: [UInt]] = [:]   // addresses as integers: they cross the lock as Sendable values   // byte size -> blocks
        var order: [(bytes: Int, pointer: UInt)] = []
        var idleBytes = 0
        var capacityBytes = BufferPool.defaultCapacityBytes
    }

    /// A quarter of the machine's memory, at least 1 GiB: enough to keep a training step's
    /// activations between steps (they are freed and reallocated every step) on a machine that can
    /// hold them at all.
    static var defaultCapacityBytes: Int {
        #if canImport(Glibc)
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        if pages > 0 && pageSize > 0 { return Swift.max(1 << 30, pages * pageSize / 4) }
        #endif
        return 1 << 30
    }

    /// Blocks of at least this size (one x86-64 huge page) are 2 MiB-aligned and marked
    /// `MADV_HUGEPAGE`, so a first touch faults in 2 MiB instead of 4 KiB (this machine's THP mode
    /// is `madvise`: nothing gets huge pages without asking).
    public static let hugePageBytes = 2 << 20

    static let state = Mutex(State())

    /// The most idle memory the pool keeps, in bytes (default a quarter of physical memory, at
    /// least 1 GiB). Setting it releases any excess.
    public static var capacityBytes: Int {
        get { state.withLock { $0.capacityBytes } }
        set {
            let released: [(UInt, Int)] = state.withLock { s in
                s.capacityBytes = max(0, newValue)
                return evict(&s)
            }
            released.forEach(free)
        }
    }

    /// Idle bytes currently held.
    public static var idleBytes: Int { state.withLock { $0.idleBytes } }

    /// Frees every idle block.
    public static func drain() {
        let released: [(UInt, Int)] = state.withLock { s in
            let all = s.order.map { ($0.pointer, $0.bytes) }
            s = State(capacityBytes: s.capacityBytes)
            return all
        }
        released.forEach(free)
    }

    /// Rounds a request up to its size class: 64 bytes for small requests; for pooled ones, eight
    /// classes per power of two (at most 12.5 % more than asked; the steps are whole pages). A loop
    /// whose shapes change a little from call to call (an evaluation's prompts, a growing context)
    /// then reuses a few blocks. With sizes rounded only to pages every new length was a new block:
    /// `minicpm eval` on HellaSwag with a 135M model held 6.5 GiB, nearly all of it idle blocks
    /// used once, on its way to the pool's capacity.
    static func roundedBytes(_ bytes: Int) -> Int {
        guard bytes >= minimumPooledBytes else { return max(64, (bytes + 63) / 64 * 64) }
        let step = 1 << (Int.bitWidth - 4 - bytes.leadingZeroBitCount)   // an eighth of the power of two at or below
        return (bytes + step - 1) / step * step
    }

    static func allocate(bytes requested: Int) -> UnsafeMutableRawPointer {
        let bytes = roundedBytes(requested)
        if bytes >= minimumPooledBytes {
            let reused: UInt? = state.withLock { s in
                guard var blocks = s.idle[bytes], let p = blocks.popLast() else { return nil }
                s.idle[bytes] = blocks.isEmpty ? nil : blocks
                if let i = s.order.lastIndex(where: { $0.pointer == p }) { s.order.remove(at: i) }
                s.idleBytes -= bytes
                return p
            }
            if let reused, let p = UnsafeMutableRawPointer(bitPattern: reused) { return p }
        }
        #if canImport(Glibc)
        if bytes >= hugePageBytes {
            var p: UnsafeMutableRawPointer? = nil
            if posix_memalign(&p, hugePageBytes, bytes) == 0, let p {
                _ = madvise(p, bytes, 14 /* MADV_HUGEPAGE */)   // advice only: ignored where THP is off
                return p
            }
        }
        #endif
        return UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    }

    /// Returns a block to the system, the way ``allocate(bytes:)`` obtained it.
    private static func free(_ block: (pointer: UInt, bytes: Int)) {
        guard let p = UnsafeMutableRawPointer(bitPattern: block.pointer) else { return }
        #if canImport(Glibc)
        if block.bytes >= hugePageBytes { Glibc.free(p); return }
        #endif
        p.deallocate()
    }

    static func release(_ pointer: UnsafeMutableRawPointer, bytes requested: Int) {
        let bytes = roundedBytes(requested)
        guard bytes >= minimumPooledBytes else { pointer.deallocate(); return }
        let released: [(UInt, Int)] = state.withLock { s in
            let address = UInt(bitPattern: pointer)
            s.idle[bytes, default: []].append(address)
            s.order.append((bytes, address))
            s.idleBytes += bytes
            return evict(&s)
        }
        released.forEach(free)
    }

    private static func evict(_ s: inout State) -> [(UInt, Int)] {
        var out: [(UInt, Int)] = []
        var dropCount = 0
        while s.idleBytes > s.capacityBytes, dropCount < s.order.count {
            let (bytes, p) = s.order[dropCount]
            dropCount += 1
            if var blocks = s.idle[bytes], let i = blocks.firstIndex(of: p) {
                blocks.remove(at: i)
                s.idle[bytes] = blocks.isEmpty ? nil : blocks
            }
            s.idleBytes -= bytes
            out.append((p, bytes))
        }
        s.order.removeFirst(dropCount)
        return out
    }
}
