@testable import TensorCore

/// Attention composed from core operations (permute, gather, matmul, mask add, softmax), as a
/// second, independent implementation for the gradients at sizes too large for finite differences.
func composedAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, isCausal: Bool) -> Tensor {
    let (tq, hq, d) = (q.shape[1], q.shape[2], q.shape[3])
    let (tk, hkv) = (k.shape[1], k.shape[2])
    let heads = (0..<hq).map { $0 / (hq / hkv) }
    func perHead(_ x: Tensor) -> Tensor {      // [B, T, Hkv, E] -> [B, Hq, T, E]
        x.permuted([2, 0, 1, 3]).gatheringRows(heads).permuted([1, 0, 2, 3])
    }
    var scores = matmul(q.permuted([0, 2, 1, 3]), perHead(k), transposeB: true) * (1 / Float(d).squareRoot())
    if isCausal {
        let mask = Tensor(shape: [tq, tk], scalars: (0..<(tq * tk)).map { i in
            i % tk <= i / tk + tk - tq ? 0 : -Float.infinity
        })
        scores = scores + mask
    }
    return matmul(scores.softmax(), perHead(v)).permuted([0, 2, 1, 3])
}

/// Asserts that the fused attention's output and its gradients for `seed` match
/// ``composedAttention(_:_:_:isCausal:)``'s, causal and not.
func assertGradientsMatchComposedAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, seed: Tensor,
                                           file: StaticString = #filePath, line: UInt = #line) {
    for isCausal in [true, false] {
        let fused = [q, k, v].map { $0.requiringGradient() }
        let composed = [q, k, v].map { $0.requiringGradient() }
        let a = scaledDotProductAttention(query: fused[0], key: fused[1], value: fused[2], isCausal: isCausal)
        let b = composedAttention(composed[0], composed[1], composed[2], isCausal: isCausal)
        assertClose(a.scalars, b.scalars.map(Double.init), relativeTolerance: 1e-4, absoluteTolerance: 1e-5,
                    file: file, line: line)
        a.backward(seed: seed)
        b.backward(seed: seed)
        for i in 0..<3 {
            assertClose(fused[i].gradient!.scalars, composed[i].gradient!.scalars.map(Double.init),
                        relativeTolerance: 1e-3, absoluteTolerance: 1e-4, "input \(i) causal \(isCausal)", file: file, line: line)
        }
    }
}
