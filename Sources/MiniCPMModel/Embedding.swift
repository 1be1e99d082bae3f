import TensorCore

/// A token embedding table `[vocabularySize, hiddenSize]`.
public struct Embedding: Module {
    public var weight: Tensor

    public init(weight: Tensor) {
        precondition(weight.rank == 2, "an embedding table must be 2-D, got \(weight.shape)")
        self.weight = weight
    }

    public static var parts: [any ModulePart<Embedding>] {[
        TensorPart("weight", gguf: "weight", \.weight, role: .embedding, shape: [\.vocabularySize, \.hiddenSize]),
    ]}

    public var vocabularySize: Int { weight.shape[0] }

    /// Rows for `ids` (validated by the caller), shape `[ids.count, hiddenSize]`.
    public func callAsFunction(_ ids: [Int]) -> Tensor { weight.gatheringRows(ids) }
}
