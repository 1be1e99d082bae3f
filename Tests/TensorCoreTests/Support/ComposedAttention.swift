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
