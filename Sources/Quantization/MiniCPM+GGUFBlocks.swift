import Foundation
import MiniCPMModel
import TensorCore

extension MiniCPM {
    /// Loads a GGUF model as `MiniCPM.init(gguf:)` does, but keeps every linear weight stored as
    /// Q4_0, Q4_1, Q8_0, Q4_K, Q6_K, F16 or BF16 (``GGUFBlockLinear/supportedTypes``) in that form:
    /// such a layer becomes a ``GGUFBlockLinear`` that reads the file's mapping in place (so the
    /// model stays about the file's size in memory). A tied output layer reads the embedding table's
    /// blocks the same way (SmolLM2: 30 MB a decoded token in Q8_0 instead of 113 MB in float32).
    /// A mixture of experts' weights, stacked by llama.cpp into one `ffn_*_exps` tensor per layer and
    /// projection, become one such layer per expert over that expert's byte range of the tensor.
    ///
    /// Everything else (the embedding lookup, norm gains, and linear weights of any other type, such
    /// as F32) is converted to `Float` by `MiniCPM.init(gguf:keeping:)`, the float
    /// loader itself, including the reordering of `attn_q`/`attn_k` rows llama.cpp applies (block
    /// layers read their rows through an index map instead). The resulting model runs inference
    /// (``logits(for:cache:)``, generation); its block layers have no trainable parameters.
    ///
    /// - Throws: `CheckpointError`, as `MiniCPM.init(gguf:)` throws it; a block layer's
    ///   ``QuantizationError`` as `CheckpointError.invalidTensor(name:reason:)`.
    public init(keepingQuantizedBlocksOf file: GGUFFile) throws {
        try self.init(gguf: file, keeping: GGUFLinearLayerBuilder(types: GGUFBlockLinear.supportedTypes) { file, name, heads in
            try GGUFBlockLinear(file: file, tensorNamed: name, permutedHeadCount: heads)
        } makeExpertLayer: { file, name, expert in
            // Each expert reads its own byte range of the stacked ffn_*_exps tensor in place.
            try GGUFBlockLinear(file: file, tensorNamed: name, expert: expert)
        })
    }

    /// Opens the GGUF file at `url` and loads it keeping its block weights (see
    /// ``init(keepingQuantizedBlocksOf:)``).
    public init(keepingQuantizedBlocksOfGGUFAt url: URL) throws {
        try self.init(keepingQuantizedBlocksOf: try GGUFFile(contentsOf: url))
    }
}
