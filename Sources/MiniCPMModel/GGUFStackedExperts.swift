import TensorCore

/// llama.cpp's layout of MiniCPM-MoE experts in GGUF: all `E` experts of layer `N` share one 3-D
/// tensor per projection,
///
/// | GGUF | ggml dimensions (`ne0` fastest) | row-major shape | expert `e`'s slice |
/// | --- | --- | --- | --- |
/// | `blk.N.ffn_gate_exps.weight` | `[hidden, intermediate, E]` | `[E, intermediate, hidden]` | `experts.e.w1.weight` |
/// | `blk.N.ffn_up_exps.weight` | `[hidden, intermediate, E]` | `[E, intermediate, hidden]` | `experts.e.w3.weight` |
/// | `blk.N.ffn_down_exps.weight` | `[intermediate, hidden, E]` | `[E, hidden, intermediate]` | `experts.e.w2.weight` |
///
/// that is, `numpy.stack` of the Hugging Face `[out, in]` weights: the expert index varies slowest,
/// so expert `e` is the contiguous `e`-th `1/E` of the tensor's bytes, whole rows of whole blocks
/// for every ggml type (a row is `ne0` elements). The router, `blk.N.ffn_gate_inp.weight`
/// (`[E, hidden]`), is a plain 2-D tensor declared by ``MixtureOfExperts`` itself. llama.cpp builds
/// these tensors for `minicpm` (and `llama`) files whose `{arch}.expert_count` is positive
/// (`llama-model.cpp`), and runs them with softmax routing over all experts, top-`expert_used_count`,
/// renormalised weights: MiniCPM-MoE's block.
enum GGUFStackedExperts {
    /// The stacked tensor's suffix for each Hugging Face projection of an ``Expert``.
    static let projections: [(huggingFace: String, gguf: String)] = [
        ("w1", "ffn_gate_exps"), ("w3", "ffn_up_exps"), ("w2", "ffn_down_exps"),
    ]

    /// The stacked tensor and expert index that hold `name`, a Hugging Face parameter
    /// `model.layers.N.mlp.experts.E.wK.weight`; `nil` for any other name.
    static func location(ofParameter name: String) -> (ggufName: String, expert: Int)? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 8, parts[0] == "model", parts[1] == "layers", let layer = Int(parts[2]),
              parts[3] == "mlp", parts[4] == "experts", let expert = Int(parts[5]), parts[7] == "weight",
              let projection = projections.first(where: { $0.huggingFace == parts[6] }) else { return nil }
        return ("blk.\(layer).\(projection.gguf).weight", expert)
    }

    /// The stacked tensors a configuration's model has, in file order, with their row-major shapes
    /// (none without experts).
    static func tensors(for configuration: MiniCPMConfiguration) -> [(name: String, shape: [Int])] {
        guard configuration.expertCount > 0 else { return [] }
        let (e, h, i) = (configuration.expertCount, configuration.hiddenSize, configuration.intermediateSize)
        return (0 ..< configuration.layerCount).flatMap { layer in [
            ("blk.\(layer).ffn_gate_exps.weight", [e, i, h]),
            ("blk.\(layer).ffn_up_exps.weight", [e, i, h]),
            ("blk.\(layer).ffn_down_exps.weight", [e, h, i]),
        ] }
    }

    /// Expert `expert`'s `[rows, columns]` matrix of the stacked tensor `name` (row-major
    /// `[experts, rows, columns]`), converted to `Float` exactly as ggml dequantises it; only that
    /// expert's bytes are read.
    /// - Throws: ``GGUFError`` for a missing tensor or a type that is not dequantised.
    static func matrix(of file: GGUFFile, named name: String, expert: Int) throws -> Tensor {
        let info = try file.info(named: name)
        guard info.type.isDequantizable else {
            throw GGUFError.unsupportedTensorType(path: file.url.path, tensor: name, type: info.type)
        }
        let shape = info.shape
        precondition(shape.count == 3 && (0 ..< shape[0]).contains(expert), "\(name) \(shape) has no expert \(expert)")
        let (rows, columns) = (shape[1], shape[2])
        let type = info.type
        let rowBytes = columns / type.blockSize * type.bytesPerBlock
        return try file.withUnsafeRawBytes(ofTensorNamed: name) { bytes in
            let start = expert * rows * rowBytes
            return Tensor(shape: [rows, columns]) { out in
                guard let base = bytes.baseAddress, let target = out.baseAddress else { return }
                let (source, destination) = (UncheckedSendableAddress(base + start), UncheckedSendableAddress(UnsafeRawPointer(target)))
                Parallelism.forEachChunk(count: rows, minimumChunk: max(1, 65_536 / columns)) { chunk in
                    let from = UnsafeRawBufferPointer(start: source.pointer + chunk.lowerBound * rowBytes, count: chunk.count * rowBytes)
                    let into = UnsafeMutableBufferPointer(
                        start: UnsafeMutableRawPointer(mutating: destination.pointer).assumingMemoryBound(to: Float.self) + chunk.lowerBound * columns,
                        count: chunk.count * columns)
                    GGUFDequantization.dequantize(type, from: from, into: into)
                }
            }
        }
    }

    /// The `[E, rows, columns]` stacked tensor of `experts`' weights (each `[rows, columns]`), in
    /// expert order, as ``MiniCPM/saveGGUF(to:type:tokenizer:)`` writes it.
    static func stack(_ experts: [Tensor]) -> Tensor {
        let shape = experts[0].shape
        let joined = experts.count == 1 ? experts[0] : Tensor.concatenate(experts, alongAxis: 0)
        return joined.reshaped([experts.count] + shape)
    }
}

/// An address read by the worker threads of one call, which all finish before the call returns.
private struct UncheckedSendableAddress: @unchecked Sendable {
    let pointer: UnsafeRawPointer
    init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }
}
