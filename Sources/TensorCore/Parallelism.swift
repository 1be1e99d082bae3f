import CBLAS
import Synchronization

/// How many threads TensorCore's kernels and OpenBLAS use.
///
/// Kernels split work across the suite's own worker threads (`WorkerPool`: chunks claimed one at a
/// time, so a thread the scheduler runs late does not hold up a call, and idle workers park rather
/// than spin); OpenBLAS keeps its own pool for matrix products, sized together with ours so the two
/// never oversubscribe the cores.
public enum Parallelism {
    private static let threads = Atomic<Int>(defaultThreadCount())

    private static func defaultThreadCount() -> Int {
        let n = max(1, ProcessInfoCores.activeProcessorCount)
        openblas_set_num_threads(Int32(n))
        return n
    }

    /// The number of threads kernels may use (at least 1). Setting it also sets OpenBLAS's.
    public static var threadCount: Int {
        get { threads.load(ordering: .relaxed) }
        set {
            let n = max(1, newValue)
            threads.store(n, ordering: .relaxed)
            openblas_set_num_threads(Int32(n))
        }
    }

    /// Chunks per thread of a split call: more than one, so that when a thread starts late the
    /// others take its share instead of waiting for it.
    static let chunksPerThread = 4

    /// Runs `body` over `0..<count` split into contiguous chunks of at least `minimumChunk` elements
    /// each (a few per thread, taken by whichever thread is free); runs inline when one chunk
    /// suffices. Chunks are disjoint and each runs once; which thread runs which is not fixed.
    public static func forEachChunk(count: Int, minimumChunk: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let threads = threadCount
        let pieces = count / max(1, minimumChunk)
        if threads <= 1 || pieces <= 1 { body(0..<count); return }
        let chunks = min(threads * chunksPerThread, pieces)
        // Chunk boundaries are multiples of 16 so SIMD loops stay aligned within each chunk.
        let per = ((count + chunks - 1) / chunks + 15) / 16 * 16
        WorkerPool.shared.run(chunks: (count + per - 1) / per, threads: threads) { c in
            body(c * per ..< min(count, c * per + per))
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count` on the pool's threads, one piece at a time to
    /// whichever thread is free; for many small pieces of known, uniform size.
    static func forEachPiece(count: Int, _ body: (Int) -> Void) {
        let threads = threadCount
        if threads <= 1 || count <= 1 || count > WorkerPool.maximumChunks {
            for i in 0..<count { body(i) }
            return
        }
        WorkerPool.shared.run(chunks: count, threads: threads, body)
    }

    /// Runs `body(i)` for every `i` in `0..<count`, spread over ``threadCount`` threads when the
    /// estimated work (`count * costPerItem`, in elements touched) is large enough to pay for it.
    public static func forEach(count: Int, costPerItem: Int, _ body: (Int) -> Void) {
        guard count > 0 else { return }
        let threads = threadCount
        if threads <= 1 || count == 1 || count * costPerItem < 32_768 {
            for i in 0..<count { body(i) }
            return
        }
        if count <= WorkerPool.maximumChunks {
            WorkerPool.shared.run(chunks: count, threads: threads, body)
        } else {
            let chunks = threads * chunksPerThread
            WorkerPool.shared.run(chunks: chunks, threads: threads) { c in
                var i = c
                while i < count { body(i); i += chunks }
            }
        }
    }
}

/// The number of cores this process may run on (affinity-aware on Linux).
enum ProcessInfoCores {
    static var activeProcessorCount: Int {
        #if canImport(Glibc)
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return 1
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#endif
