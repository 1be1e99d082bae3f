import Foundation
import Synchronization
import XCTest
@testable import TensorCore

/// The worker pool behind `Parallelism`: every chunk of every call runs exactly once, whatever the
/// thread count, nesting or number of concurrent callers.
final class ParallelismTests: XCTestCase {
    private var savedThreads = 1
    override func setUp() { savedThreads = Parallelism.threadCount }
    override func tearDown() { Parallelism.threadCount = savedThreads }

    /// Thousands of back-to-back calls of varied sizes (the pattern of a decode step) each cover
    /// `0..<count` exactly once with disjoint chunks.
    func testEveryElementRunsExactlyOnceAcrossManyCalls() {
        for threads in [1, 2, 3, 4] {
            Parallelism.threadCount = threads
            var generator = SystemRandomNumberGenerator()
            for call in 0..<3000 {
                let count = Int.random(in: 1...5000, using: &generator)
                let minimumChunk = Int.random(in: 1...64, using: &generator)
                let hits = UnsafeMutableBufferPointer<Int32>.allocate(capacity: count)
                hits.initialize(repeating: 0)
                defer { hits.deallocate() }
                let target = SendablePointer(hits.baseAddress!)
                Parallelism.forEachChunk(count: count, minimumChunk: minimumChunk) { range in
                    for i in range { target.pointer[i] += 1 }
                }
                if let wrong = hits.firstIndex(where: { $0 != 1 }) {
                    XCTFail("threads \(threads), call \(call): element \(wrong) of \(count) ran \(hits[wrong]) times")
                    return
                }
            }
        }
    }

    func testForEachRunsEveryItemOnce() {
        Parallelism.threadCount = 2
        for count in [2, 3, 17, 1000] {
            let hits = Mutex<[Int]>(Array(repeating: 0, count: count))
            Parallelism.forEach(count: count, costPerItem: 1 << 16) { i in hits.withLock { $0[i] += 1 } }
            XCTAssertEqual(hits.withLock { $0 }, Array(repeating: 1, count: count), "count \(count)")
        }
    }

    /// A kernel called from inside a chunk (on a worker or on the caller) runs inline rather than
    /// waiting for the pool it is part of.
    func testNestedCallsComplete() {
        Parallelism.threadCount = 2
        let total = Atomic<Int>(0)
        Parallelism.forEach(count: 8, costPerItem: 1 << 16) { _ in
            Parallelism.forEachChunk(count: 4096, minimumChunk: 16) { range in
                total.add(range.count, ordering: .relaxed)
            }
        }
        XCTAssertEqual(total.load(ordering: .relaxed), 8 * 4096)
    }

    /// Callers on several threads at once each get all their chunks run (one uses the pool, the
    /// others run inline).
    func testConcurrentCallersEachFinishTheirWork() {
        Parallelism.threadCount = 2
        let callers = 4, rounds = 300, count = 4096
        let sums = Mutex<[Int]>(Array(repeating: 0, count: callers))
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            for _ in 0..<rounds {
                Parallelism.forEachChunk(count: count, minimumChunk: 64) { range in
                    let part = range.reduce(0, +)
                    sums.withLock { $0[caller] += part }
                }
            }
        }
        let expected = rounds * (count * (count - 1) / 2)
        XCTAssertEqual(sums.withLock { $0 }, Array(repeating: expected, count: callers))
    }

    /// After a call at 4 threads grew the pool to 3 workers, a call at 2 threads runs its chunks on
    /// at most 2 threads (the extra workers stay parked).
    func testFewerThreadsThanWorkersUseOnlyThatMany() {
        Parallelism.threadCount = 4
        Parallelism.forEach(count: 64, costPerItem: 1 << 16) { _ in usleep(200) }
        Parallelism.threadCount = 2
        for _ in 0..<20 {
            let ranBy = Mutex<Set<UInt>>([])
            Parallelism.forEach(count: 32, costPerItem: 1 << 16) { _ in
                usleep(300)
                let me = UInt(pthread_self())
                ranBy.withLock { _ = $0.insert(me) }
            }
            XCTAssertLessThanOrEqual(ranBy.withLock { $0.count }, 2)
        }
    }

    /// A chunk that takes long on one thread does not stop the other chunks of the call from being
    /// taken by whoever is free: with one slow chunk among many, the rest finish on other threads.
    func testOtherThreadsTakeTheRemainingChunksOfASlowOne() {
        Parallelism.threadCount = 2
        let ranBy = Mutex<[Int: UInt]>([:])
        Parallelism.forEach(count: 16, costPerItem: 1 << 16) { i in
            if i == 0 { usleep(100_000) }
            let me = UInt(pthread_self())
            ranBy.withLock { $0[i] = me }
        }
        let threads = ranBy.withLock { $0 }
        XCTAssertEqual(threads.count, 16)
        XCTAssertEqual(Set(threads.values).count, 2, "both threads ran chunks: \(threads)")
        // Whoever took chunk 0 slept 100 ms; the other thread took (nearly) all of the other 15.
        let sleeper = threads[0]
        XCTAssertLessThanOrEqual(threads.values.filter { $0 == sleeper }.count, 4, "\(threads)")
    }
}

private struct SendablePointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}
