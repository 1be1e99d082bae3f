import XCTest
@testable import TensorCore

/// The flash-decoding path of single-query attention: keys split into ranges whose partial maxima,
/// sums and weighted values are combined, against the Double reference and one range.
final class SplitDecodeAttentionTests: XCTestCase {
    /// Runs the single-query kernel with `splits` key ranges (nil: its own choice).
    private func decode(_ q: Tensor, _ k: Tensor, _ v: Tensor, splits: Int?) -> [Float] {
        let g = AttentionKernels.Geometry(query: q.shape, key: k.shape, value: v.shape, isCausal: true)
        var out = [Float](repeating: .nan, count: g.outputShape.reduce(1, *))
        q.withUnsafeBufferPointer { pq in
            k.withUnsafeBufferPointer { pk in
                v.withUnsafeBufferPointer { pv in
                    out.withUnsafeMutableBufferPointer { po in
                        AttentionKernels.singleQueryForward(pq.baseAddress!, pk.baseAddress!, pv.baseAddress!, geometry: g,
                                                            scale: 1 / Float(g.d).squareRoot(), output: po.baseAddress!,
                                                            splits: splits)
                    }
                }
            }
        }
        return out
    }

    private func check(batch: Int, tk: Int, hq: Int, hkv: Int, d: Int, dv: Int, splits: [Int], seed: UInt64,
                       file: StaticString = #filePath, line: UInt = #line) {
        var data = RandomInputs(seed: seed)
        let q = data.normal([batch, 1, hq, d]), k = data.normal([batch, tk, hkv, d]), v = data.normal([batch, tk, hkv, dv])
        let expected = DoubleReference.attention(q: q.scalars, k: k.scalars, v: v.scalars, batch: batch, tq: 1, tk: tk,
                                                 hq: hq, hkv: hkv, d: d, dv: dv, isCausal: true)
        let plain = decode(q, k, v, splits: 1)
        for s in splits {
            let split = decode(q, k, v, splits: s)
            assertClose(split, expected, relativeTolerance: 1e-5, absoluteTolerance: 2e-6,
                        "Tk \(tk) Hq \(hq) Hkv \(hkv) splits \(s)", file: file, line: line)
            assertClose(split, plain.map(Double.init), relativeTolerance: 1e-5, absoluteTolerance: 1e-6,
                        "against the unsplit path, splits \(s)", file: file, line: line)
        }
    }

    func testSplitsMatchReferenceWithGroupedHeads() {
        // SmolLM2's 9 query heads over 3 KV heads of 64, and MiniCPM-1.2B's 24 over 8.
        check(batch: 1, tk: 700, hq: 9, hkv: 3, d: 64, dv: 64, splits: [2, 3, 7], seed: 1301)
        check(batch: 1, tk: 300, hq: 24, hkv: 8, d: 64, dv: 64, splits: [2, 5], seed: 1302)
        // Odd sizes, a batch, more splits than keys (clamped to one key each), a single key.
        check(batch: 2, tk: 37, hq: 6, hkv: 2, d: 5, dv: 19, splits: [3, 36, 37, 50], seed: 1303)
        check(batch: 1, tk: 1, hq: 4, hkv: 1, d: 8, dv: 8, splits: [2], seed: 1304)
    }

    /// Partial sums of ranges whose maxima differ widely are rescaled exactly: one key far above the
    /// rest sits in one range and dominates.
    func testRangesWithVeryDifferentMaxima() {
        var data = RandomInputs(seed: 1311)
        let (tk, d) = (200, 16)
        let q = data.normal([1, 1, 2, d])
        var keys = data.normal([1, tk, 1, d]).scalars
        for i in 0..<d { keys[150 * d + i] = 8 * q.scalars[i] }          // key 150: a score near 8|q|²/4
        let k = Tensor(shape: [1, tk, 1, d], scalars: keys), v = data.normal([1, tk, 1, d])
        let expected = DoubleReference.attention(q: q.scalars, k: k.scalars, v: v.scalars, batch: 1, tq: 1, tk: tk,
                                                 hq: 2, hkv: 1, d: d, dv: d, isCausal: true)
        assertClose(decode(q, k, v, splits: 4), expected, relativeTolerance: 1e-5, absoluteTolerance: 2e-6)
    }

    /// Through the public entry point at 2 threads: a long enough SmolLM2-shaped context (3 KV
    /// heads) takes the split path by itself (7 ranges of about 570 keys, more than its 9 heads'
    /// scores need to fit L1) and still matches the
    /// reference.
    func testPublicPathSplitsLongContextsOnTwoThreads() {
        let saved = Parallelism.threadCount
        defer { Parallelism.threadCount = saved }
        Parallelism.threadCount = 2
        let (tk, hq, hkv, d) = (4000, 9, 3, 64)
        XCTAssertGreaterThanOrEqual(hq * tk * 2 * d, AttentionKernels.singleQueryParallelWork)
        XCTAssertEqual(AttentionKernels.sequenceSplits(batches: 1, keys: tk, threads: 2), 7)
        var data = RandomInputs(seed: 1321)
        let q = data.normal([1, 1, hq, d]), k = data.normal([1, tk, hkv, d]), v = data.normal([1, tk, hkv, d])
        let out = scaledDotProductAttention(query: q, key: k, value: v)
        let expected = DoubleReference.attention(q: q.scalars, k: k.scalars, v: v.scalars, batch: 1, tq: 1, tk: tk,
                                                 hq: hq, hkv: hkv, d: d, dv: d, isCausal: true)
        assertClose(out.scalars, expected, relativeTolerance: 1e-5, absoluteTolerance: 2e-6)
    }

    func testSplitChoice() {
        // One sequence on 2 threads: enough ranges for about 4 pieces a thread, none under 512 keys.
        XCTAssertEqual(AttentionKernels.sequenceSplits(batches: 1, keys: 16_384, threads: 2), 8)
        XCTAssertEqual(AttentionKernels.sequenceSplits(batches: 1, keys: 1_000, threads: 2), 1)
        XCTAssertEqual(AttentionKernels.sequenceSplits(batches: 3, keys: 16_384, threads: 2), 3)
        // A batch of many sequences already gives every thread several pieces; one thread never splits.
        XCTAssertEqual(AttentionKernels.sequenceSplits(batches: 8, keys: 16_384, threads: 2), 1)
        XCTAssertEqual(AttentionKernels.sequenceSplits(batches: 1, keys: 16_384, threads: 1), 1)
    }

    func testLongContextsGoInRangesWhoseScoresFitL1() {
        // 24 heads (MiniCPM-1.2B): 256 keys a range, on one thread as on two; 9 heads: 682.
        XCTAssertEqual(AttentionKernels.singleQuerySplits(batches: 1, keys: 16_384, heads: 24, threads: 1, parallel: false), 64)
        XCTAssertEqual(AttentionKernels.singleQuerySplits(batches: 1, keys: 16_384, heads: 24, threads: 2, parallel: true), 64)
        XCTAssertEqual(AttentionKernels.singleQuerySplits(batches: 1, keys: 16_384, heads: 9, threads: 1, parallel: false), 24)
        XCTAssertEqual(AttentionKernels.singleQuerySplits(batches: 1, keys: 256, heads: 24, threads: 1, parallel: false), 1)
        // Threads ask for more ranges than the cache does: the threads' count wins.
        XCTAssertEqual(AttentionKernels.singleQuerySplits(batches: 1, keys: 4_000, heads: 9, threads: 2, parallel: true), 7)
        XCTAssertEqual(AttentionKernels.singleQuerySplits(batches: 1, keys: 3, heads: 64_000, threads: 1, parallel: false), 3,
                       "never more ranges than keys")

        // Through the public entry point on one thread, 24 heads over 1,000 keys: 4 ranges, and the
        // result still matches the reference.
        let saved = Parallelism.threadCount
        defer { Parallelism.threadCount = saved }
        Parallelism.threadCount = 1
        let (tk, hq, hkv, d) = (1000, 24, 8, 64)
        XCTAssertEqual(AttentionKernels.singleQuerySplits(batches: 1, keys: tk, heads: hq, threads: 1, parallel: false), 4)
        var data = RandomInputs(seed: 1322)
        let q = data.normal([1, 1, hq, d]), k = data.normal([1, tk, hkv, d]), v = data.normal([1, tk, hkv, d])
        let expected = DoubleReference.attention(q: q.scalars, k: k.scalars, v: v.scalars, batch: 1, tq: 1, tk: tk,
                                                 hq: hq, hkv: hkv, d: d, dv: d, isCausal: true)
        assertClose(scaledDotProductAttention(query: q, key: k, value: v).scalars, expected,
                    relativeTolerance: 1e-5, absoluteTolerance: 2e-6)
    }
}
