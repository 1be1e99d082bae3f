import Foundation
import Synchronization

/// The suite's own threads for its kernels: `threadCount − 1` workers that, with the calling thread,
/// take the chunks of one job at a time.
///
/// Three properties matter for batch-1 decoding, where a step is hundreds of calls of tens of
/// microseconds each:
/// - **Cheap hand-off.** After a job a worker spins for ``spinDuration`` before it parks on a
///   condition variable, so the next call of a decode step finds it awake (a futex wake-up costs
///   about as much as a small matrix-vector product).
/// - **No stall on a late thread.** Chunks are claimed one at a time from a shared counter and the
///   caller claims too, so a worker that the scheduler has not run yet (another process holds its
///   core) simply finds nothing left; the caller waits only for chunks already started.
/// - **No spinning forever.** Unlike OpenBLAS's threads, idle workers sleep after the spin, so a
///   machine with a busy core keeps its time for whoever runs there.
///
/// A job's chunks may run on any thread in any order; kernels give each chunk disjoint output, so
/// results do not depend on which thread ran what.
final class WorkerPool: @unchecked Sendable {
    /// The pool sized for `Parallelism.threadCount` (grown when that grows; never shrunk, since
    /// idle workers cost nothing once parked).
    static let shared = WorkerPool()

    /// How long an idle worker polls for the next job before it parks.
    static let spinDuration: UInt64 = 100_000   // nanoseconds

    // The job state in one word, so that claiming a chunk also proves the job is still the one
    // the claimer read: generation (bits 40...63) | chunk count (bits 20...39) | next chunk (0...19).
    private let state = Atomic<UInt64>(0)
    private let completed = Atomic<Int>(0)
    private let jobAddress = Atomic<UInt>(0)
    private let sleepers = Atomic<Int>(0)
    /// How many workers the current job may use (`threads − 1`): a pool grown for a larger
    /// `threadCount` earlier keeps its extra workers parked.
    private let allowedWorkers = Atomic<Int>(0)
    private let workerCount = Mutex<Int>(0)
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Held by the caller whose job the pool runs; one job runs at a time.
    private let callerLock = Mutex<Void>(())

    static let maximumChunks = (1 << 20) - 1

    private init() {
        pthread_mutex_init(lock, nil)
        pthread_cond_init(wake, nil)
    }

    /// Runs `body(i)` for every `i` in `0..<chunks` on up to `threads` threads (the caller among
    /// them) and returns when all have finished.
    func run(chunks: Int, threads: Int, _ body: (Int) -> Void) {
        precondition(chunks <= Self.maximumChunks, "too many chunks: \(chunks)")
        if chunks <= 0 { return }
        if threads <= 1 || chunks == 1 {
            for i in 0..<chunks { body(i) }
            return
        }
        // A second caller (another Swift thread, or a chunk of this job calling a kernel) runs
        // inline rather than wait for the pool.
        let ranOnPool: Bool? = callerLock.withLockIfAvailable { _ in
            ensureWorkers(threads - 1)
            runJob(chunks: chunks, threads: threads, body)
            return true
        }
        if ranOnPool == nil { for i in 0..<chunks { body(i) } }
    }

    private func runJob(chunks: Int, threads: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            var job = Job(body: body)
            withUnsafeMutablePointer(to: &job) { jobPointer in
                completed.store(0, ordering: .relaxed)
                allowedWorkers.store(threads - 1, ordering: .relaxed)
                jobAddress.store(UInt(bitPattern: jobPointer), ordering: .releasing)
                let generation = (state.load(ordering: .relaxed) >> 40 &+ 1) & 0xFF_FFFF
                state.store(generation << 40 | UInt64(chunks) << 20, ordering: .sequentiallyConsistent)
                if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                    pthread_mutex_lock(lock)
                    pthread_cond_broadcast(wake)
                    pthread_mutex_unlock(lock)
                }
                var ran = 0
                while let index = claim() {
                    jobPointer.pointee.body(index)
                    ran += 1
                }
                completed.add(ran, ordering: .acquiringAndReleasing)
                // Chunks still running belong to workers that may have lost their core: after a
                // short spin, yield it to them rather than burn the time they need.
                var polls = 0
                while completed.load(ordering: .acquiring) < chunks {
                    polls += 1
                    if polls > 256 { sched_yield() } else { spinPause() }
                }
                jobAddress.store(0, ordering: .relaxed)
            }
        }
    }

    /// Claims the next chunk of the current job, or returns nil when none is left.
    private func claim() -> Int? {
        var current = state.load(ordering: .acquiring)
        while true {
            let next = Int(current & 0xF_FFFF), count = Int(current >> 20 & 0xF_FFFF)
            if next >= count { return nil }
            let (exchanged, original) = state.compareExchange(expected: current, desired: current + 1,
                                                              ordering: .acquiringAndReleasing)
            if exchanged { return next }
            current = original
        }
    }

    /// Whether the current job has chunks left that worker `index` may take.
    private func hasWork(for index: Int) -> Bool {
        let current = state.load(ordering: .sequentiallyConsistent)
        return current & 0xF_FFFF < current >> 20 & 0xF_FFFF && index < allowedWorkers.load(ordering: .relaxed)
    }

    private func ensureWorkers(_ wanted: Int) {
        workerCount.withLock { count in
            while count < wanted {
                let index = count
                let thread = Thread { [unowned self] in self.workerLoop(index: index) }
                thread.name = "minicpm-worker-\(count)"
                thread.stackSize = 8 << 20
                thread.start()
                count += 1
            }
        }
    }

    private func workerLoop(index: Int) {
        while true {
            waitForWork(index: index)
            while let chunk = claim() {
                // A successful claim keeps the job alive (its caller waits for this chunk), so the
                // job address read after it is that job's.
                let job = UnsafeMutablePointer<Job>(bitPattern: jobAddress.load(ordering: .acquiring))!
                job.pointee.body(chunk)
                // Count each chunk as it finishes so the caller is never held up by a later claim.
                completed.add(1, ordering: .acquiringAndReleasing)
            }
        }
    }

    /// Spins for ``spinDuration`` waiting for a job with chunks left, then parks until one comes.
    private func waitForWork(index: Int) {
        let deadline = DispatchTime.now().uptimeNanoseconds + Self.spinDuration
        var polls = 0
        while !hasWork(for: index) {
            polls += 1
            // Yield now and then, so a spinning worker gives way to any thread (the caller's, or
            // another process's) that wants its core.
            if polls & 63 == 0 { sched_yield() }
            if polls & 255 == 0 && DispatchTime.now().uptimeNanoseconds > deadline {
                pthread_mutex_lock(lock)
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while !hasWork(for: index) { pthread_cond_wait(wake, lock) }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(lock)
                return
            }
            spinPause()
        }
    }

    @inline(__always) private func spinPause() {
        // No portable pause instruction in Swift; a relaxed load keeps the loop from being hoisted.
        _ = sleepers.load(ordering: .relaxed)
    }

    private struct Job {
        let body: (Int) -> Void
    }
}
