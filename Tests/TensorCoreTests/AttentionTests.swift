import XCTest
@testable import TensorCore

final class AttentionTests: XCTestCase {
    /// Runs attention on random inputs and compares with the Double reference.
    private func check(batch: Int?, tq: Int, tk: Int, hq: Int, hkv: Int, d: Int, dv: Int? = nil,
                       isCausal: Bool, scale: Float? = nil, seed: UInt64,
                       file: StaticString = #filePath, line: UInt = #line) {
        var data = RandomInputs(seed: seed)
        let dv = dv ?? d
        let lead = batch.map { [$0] } ?? []
        let q = data.normal(lead + [tq, hq, d]), k = data.normal(lead + [tk, hkv, d])
        let v = data.normal(lead + [tk, hkv, dv])
        let out = scaledDotProductAttention(query: q, key: k, value: v, isCausal: isCausal, scale: scale)
        XCTAssertEqual(out.shape, lead + [tq, hq, dv], file: file, line: line)
        let expected = DoubleReference.attention(
            q: q.scalars, k: k.scalars, v: v.scalars, batch: batch ?? 1, tq: tq, tk: tk, hq: hq, hkv: hkv,
            d: d, dv: dv, isCausal: isCausal, scale: scale.map(Double.init))
        assertClose(out.scalars, expected, relativeTolerance: 1e-5, absoluteTolerance: 2e-6,
                    "B \(batch as Any) Tq \(tq) Tk \(tk) Hq \(hq) Hkv \(hkv) D \(d) causal \(isCausal)",
                    file: file, line: line)
    }

    func testMatchesDoubleReference() {
        var seed: UInt64 = 100
        for d in [1, 7, 16, 17, 33] {
            for isCausal in [true, false] {
                seed += 1
                check(batch: 2, tq: 5, tk: 5, hq: 4, hkv: 2, d: d, isCausal: isCausal, seed: seed)
            }
        }
    }

    func testRankThreeAndBatchOne() {
        check(batch: nil, tq: 6, tk: 6, hq: 3, hkv: 3, d: 8, isCausal: true, seed: 201)
        check(batch: nil, tq: 6, tk: 9, hq: 3, hkv: 1, d: 8, isCausal: false, seed: 202)
        check(batch: 1, tq: 7, tk: 7, hq: 2, hkv: 2, d: 5, isCausal: true, seed: 203)
    }

    func testCacheOffsetAndSingleQuery() {
        check(batch: 2, tq: 3, tk: 8, hq: 4, hkv: 2, d: 6, isCausal: true, seed: 211)
        check(batch: 2, tq: 1, tk: 8, hq: 4, hkv: 1, d: 6, isCausal: true, seed: 212)
        check(batch: 1, tq: 1, tk: 1, hq: 2, hkv: 2, d: 3, isCausal: true, seed: 213)
        check(batch: 1, tq: 1, tk: 17, hq: 6, hkv: 3, d: 16, isCausal: false, seed: 214)
    }

    func testValueHeadSizeAndCustomScale() {
        check(batch: 2, tq: 4, tk: 6, hq: 2, hkv: 1, d: 12, dv: 5, isCausal: true, scale: 0.3, seed: 221)
        check(batch: 1, tq: 4, tk: 3, hq: 2, hkv: 2, d: 4, dv: 9, isCausal: false, scale: 1.5, seed: 222)
    }

    func testSeveralQueryBlocks() {
        // More than one 64-row block, causal and not, with a cache offset.
        check(batch: 1, tq: 100, tk: 100, hq: 2, hkv: 1, d: 8, isCausal: true, seed: 231)
        check(batch: 1, tq: 70, tk: 90, hq: 2, hkv: 2, d: 8, isCausal: true, seed: 232)
        check(batch: 1, tq: 70, tk: 20, hq: 1, hkv: 1, d: 8, isCausal: false, seed: 233)
    }

    func testSeveralKeyTiles() {
        // Head size 64 gives 64-key tiles for 64-row blocks, so 150 keys take three tiles.
        check(batch: 1, tq: 70, tk: 150, hq: 2, hkv: 1, d: 64, isCausal: true, seed: 234)
        check(batch: 1, tq: 70, tk: 150, hq: 2, hkv: 1, d: 64, isCausal: false, seed: 235)
        check(batch: 1, tq: 1, tk: 150, hq: 2, hkv: 2, d: 64, dv: 40, isCausal: true, seed: 236)
    }

    func testRecordingGradientsGivesTheSameOutput() {
        // The recording path keeps all probabilities; the inference path uses per-block scratch.
        var data = RandomInputs(seed: 241)
        let q = data.normal([2, 80, 4, 64]), k = data.normal([2, 150, 2, 64]), v = data.normal([2, 150, 2, 64])
        let plain = scaledDotProductAttention(query: q, key: k, value: v)
        let recorded = scaledDotProductAttention(query: q.requiringGradient(), key: k, value: v)
        XCTAssert(recorded.requiresGradient)
        XCTAssertEqual(plain.scalars, recorded.scalars)
    }

    func testTokenByTokenDecodingEqualsFullSequence() {
        var data = RandomInputs(seed: 251)
        let t = 7, hq = 4, hkv = 2, d = 10
        let q = data.normal([2, t, hq, d]), k = data.normal([2, t, hkv, d]), v = data.normal([2, t, hkv, d])
        let full = scaledDotProductAttention(query: q, key: k, value: v).scalars
        func rows(_ x: Tensor, _ range: Range<Int>) -> Tensor { x.sliced(alongAxis: 1, range) }
        for step in 0..<t {
            let out = scaledDotProductAttention(query: rows(q, step..<(step + 1)),
                                                key: rows(k, 0..<(step + 1)), value: rows(v, 0..<(step + 1)))
            XCTAssertEqual(out.shape, [2, 1, hq, d])
            for b in 0..<2 {
                let expected = Array(full[((b * t + step) * hq * d)..<((b * t + step + 1) * hq * d)])
                let actual = Array(out.scalars[(b * hq * d)..<((b + 1) * hq * d)])
                assertClose(actual, expected.map(Double.init), relativeTolerance: 1e-5, absoluteTolerance: 1e-6,
                            "step \(step)")
            }
        }
    }

    func testGroupedQueryAttentionEqualsRepeatedKeyValueHeads() {
        var data = RandomInputs(seed: 261)
        let (b, t, hq, hkv, d) = (2, 5, 6, 2, 7)
        let q = data.normal([b, t, hq, d]), k = data.normal([b, t, hkv, d]), v = data.normal([b, t, hkv, d])
        // repeat_kv: head j of the repeated tensor is KV head j / (hq / hkv).
        func repeated(_ x: Tensor) -> Tensor {
            let s = x.scalars
            var out = [Float]()
            for bt in 0..<(b * t) {
                for j in 0..<hq {
                    let kv = j / (hq / hkv)
                    out += s[((bt * hkv + kv) * d)..<((bt * hkv + kv + 1) * d)]
                }
            }
            return Tensor(shape: [b, t, hq, d], scalars: out)
        }
        for isCausal in [true, false] {
            let grouped = scaledDotProductAttention(query: q, key: k, value: v, isCausal: isCausal)
            let explicit = scaledDotProductAttention(query: q, key: repeated(k), value: repeated(v), isCausal: isCausal)
            XCTAssertEqual(grouped.scalars, explicit.scalars)
        }
    }

    func testStableWithLargeScores() {
        var data = RandomInputs(seed: 271)
        let q = data.normal([1, 4, 2, 8], standardDeviation: 30), k = data.normal([1, 4, 2, 8], standardDeviation: 30)
        let v = data.normal([1, 4, 2, 8])
        let out = scaledDotProductAttention(query: q, key: k, value: v)
        XCTAssert(out.scalars.allSatisfy(\.isFinite))
        assertClose(out.scalars, DoubleReference.attention(q: q.scalars, k: k.scalars, v: v.scalars, batch: 1, tq: 4,
                                                           tk: 4, hq: 2, hkv: 2, d: 8, dv: 8, isCausal: true),
                    relativeTolerance: 1e-4, absoluteTolerance: 1e-4)
    }

    func testEmptyInputs() {
        let out = scaledDotProductAttention(query: .zeros([2, 0, 2, 4]), key: .zeros([2, 0, 1, 4]), value: .zeros([2, 0, 1, 3]))
        XCTAssertEqual(out.shape, [2, 0, 2, 3])
        let noKeys = scaledDotProductAttention(query: .ones([3, 2, 4]), key: .zeros([0, 1, 4]), value: .zeros([0, 1, 4]),
                                               isCausal: false)
        XCTAssertEqual(noKeys.scalars, [Float](repeating: 0, count: 24))
    }

    func testGradientsMatchComposedImplementationOnSeveralTiles() {
        var data = RandomInputs(seed: 291)
        let q = data.normal([2, 70, 4, 64]), k = data.normal([2, 150, 2, 64]), v = data.normal([2, 150, 2, 48])
        let seed = data.normal([2, 70, 4, 48])
        assertGradientsMatchComposedAttention(q, k, v, seed: seed)
    }

    func testGradientsMatchFiniteDifferences() {
        var data = RandomInputs(seed: 281)
        // GQA, causal with a cache offset, batch of 2.
        let q = data.normal([2, 3, 4, 5]), k = data.normal([2, 4, 2, 5]), v = data.normal([2, 4, 2, 5])
        assertGradientsMatchFiniteDifferences([q, k, v]) {
            scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2])
        }
        // Rank 3, not causal, value head size differs, custom scale, more queries than keys.
        let q3 = data.normal([4, 2, 6]), k3 = data.normal([3, 1, 6]), v3 = data.normal([3, 1, 3])
        assertGradientsMatchFiniteDifferences([q3, k3, v3]) {
            scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], isCausal: false, scale: 0.6)
        }
        // Only some inputs differentiable.
        assertGradientsMatchFiniteDifferences([k]) {
            scaledDotProductAttention(query: q, key: $0[0], value: v)
        }
        assertGradientsMatchFiniteDifferences([v]) {
            scaledDotProductAttention(query: q, key: k, value: $0[0])
        }
    }
}
