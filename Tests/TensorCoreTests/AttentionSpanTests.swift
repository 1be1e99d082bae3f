import XCTest
@testable import TensorCore

/// The online softmax of the attention kernels across several key spans: a row's running maximum
/// and sum carried from span to span and its output rescaled (forward), and the tiled backward
/// with `δ = dO · O`, against the Double reference, finite differences and attention composed from
/// core operations.
final class AttentionSpanTests: XCTestCase {
    /// Runs `body` with spans of `keys` keys instead of 256.
    private func withSpan(_ keys: Int, _ body: () -> Void) {
        let saved = AttentionKernels.keysPerSpan
        AttentionKernels.keysPerSpan = keys
        defer { AttentionKernels.keysPerSpan = saved }
        body()
    }

    func testForwardAcrossSpansMatchesReference() {
        var data = RandomInputs(seed: 1401)
        // Spans of 3, 16 and the default, causal with a cache offset and not, GQA, Dv ≠ D.
        let q = data.normal([2, 70, 4, 12]), k = data.normal([2, 90, 2, 12]), v = data.normal([2, 90, 2, 7])
        for span in [3, 16, 256] {
            withSpan(span) {
                for isCausal in [true, false] {
                    let out = scaledDotProductAttention(query: q, key: k, value: v, isCausal: isCausal)
                    let expected = DoubleReference.attention(q: q.scalars, k: k.scalars, v: v.scalars, batch: 2, tq: 70, tk: 90,
                                                             hq: 4, hkv: 2, d: 12, dv: 7, isCausal: isCausal)
                    assertClose(out.scalars, expected, relativeTolerance: 1e-5, absoluteTolerance: 2e-6,
                                "span \(span) causal \(isCausal)")
                }
            }
        }
    }

    /// A span whose scores are all far below a later span's maximum: its contribution is rescaled
    /// to nearly nothing, and a later span with a larger maximum rescales the earlier output.
    func testRescalingWhenLaterSpansHoldLargerScores() {
        var data = RandomInputs(seed: 1411)
        let d = 8
        let q = data.normal([1, 2, 1, d])
        var keys = data.normal([1, 40, 1, d]).scalars
        for i in 0..<d { keys[37 * d + i] = 6 * q.scalars[d + i] }      // key 37: a large score for query row 1
        let k = Tensor(shape: [1, 40, 1, d], scalars: keys), v = data.normal([1, 40, 1, d])
        withSpan(5) {
            let out = scaledDotProductAttention(query: q, key: k, value: v)
            let expected = DoubleReference.attention(q: q.scalars, k: k.scalars, v: v.scalars, batch: 1, tq: 2, tk: 40,
                                                     hq: 1, hkv: 1, d: d, dv: d, isCausal: true)
            assertClose(out.scalars, expected, relativeTolerance: 1e-5, absoluteTolerance: 2e-6)
        }
    }

    func testGradientsAcrossSpansMatchFiniteDifferences() {
        var data = RandomInputs(seed: 1421)
        let q = data.normal([2, 3, 2, 4]), k = data.normal([2, 6, 1, 4]), v = data.normal([2, 6, 1, 3])
        withSpan(2) {
            assertGradientsMatchFiniteDifferences([q, k, v]) {
                scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2])
            }
            assertGradientsMatchFiniteDifferences([q, k, v]) {
                scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], isCausal: false, scale: 0.7)
            }
        }
    }

    /// Larger sizes than finite differences allow: several 64-row blocks and spans of 48 keys
    /// (not a multiple of the block), against the gradients of attention composed from matmul,
    /// mask and softmax.
    func testGradientsAcrossSpansMatchComposedAttention() {
        var data = RandomInputs(seed: 1431)
        let q = data.normal([1, 70, 4, 16]), k = data.normal([1, 150, 2, 16]), v = data.normal([1, 150, 2, 16])
        let seed = data.normal([1, 70, 4, 16])
        withSpan(48) { assertGradientsMatchComposedAttention(q, k, v, seed: seed) }
    }
}
