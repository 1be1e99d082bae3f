import Foundation
import TensorCore

extension MiniCPM {
    /// Loads a model from a GGUF file of architecture `llama` or `minicpm` (llama.cpp's format).
    ///
    /// The configuration comes from the metadata (see ``MiniCPMConfiguration/init(gguf:)``); a
    /// `llama` file runs with the scales of 1 that make the MiniCPM forward the Llama forward. Tensors
    /// are matched by llama.cpp's names:
    ///
    /// | GGUF | parameter |
    /// | --- | --- |
    /// | `token_embd.weight` | `model.embed_tokens.weight` |
    /// | `blk.N.attn_norm.weight` | `model.layers.N.input_layernorm.weight` |
    /// | `blk.N.attn_q/attn_k/attn_v/attn_output.weight` | `….self_attn.q_proj/k_proj/v_proj/o_proj.weight` |
    /// | `blk.N.ffn_norm.weight` | `….post_attention_layernorm.weight` |
    /// | `blk.N.ffn_gate/ffn_up/ffn_down.weight` | `….mlp.gate_proj/up_proj/down_proj.weight` |
    /// | `output_norm.weight` | `model.norm.weight` |
    /// | `output.weight` (absent: tied) | `lm_head.weight` |
    ///
    /// Every shape is checked (GGUF lists dimensions fastest-first; a `[out, in]` weight has ggml
    /// dimensions `[in, out]`). Any other tensor is an error, not silently ignored: for example
    /// `rope_freqs.weight` (Llama 3 frequency factors) or biases would change the forward pass.
    ///
    /// llama.cpp's converter permutes the rows of each head of `attn_q` and `attn_k` so that its
    /// RoPE can rotate adjacent pairs `(2i, 2i+1)`; this model, like Hugging Face, rotates
    /// `(i, i + head_dim/2)`, so the loader undoes that permutation.
    ///
    /// Weights are converted to `Float` as they are loaded: F32 tensors are used in place from the
    /// memory-mapped file (except Q and K, which are reordered), F16, BF16 and the quantised types
    /// ``GGUFTensorType/isDequantizable`` lists are dequantised exactly as ggml does, each tensor in
    /// parallel chunks. (Keeping quantised weights quantised awaits the Quantization layer.)
    ///
    /// - Throws: the configuration's errors, ``CheckpointError/unexpectedTensor(name:file:)``,
    ///   ``CheckpointError/missingTensor(name:)`` and ``CheckpointError/shapeMismatch(name:expected:found:)``
    ///   with the GGUF tensor name, ``CheckpointError/gguf(_:)`` for a tensor type that is not
    ///   dequantised, and ``CheckpointError/invalidMetadata(key:value:reason:path:)`` for a
    ///   mixture-of-experts file (not supported yet).
    public init(gguf file: GGUFFile) throws(CheckpointError) {
        let configuration = try MiniCPMConfiguration(gguf: file)
        let path = file.url.path
        if configuration.expertCount > 0 {
            let architecture = file.string(forKey: "general.architecture") ?? "llama"
            throw .invalidMetadata(key: "\(architecture).expert_count", value: "\(configuration.expertCount)",
                                   reason: "mixture-of-experts models are not supported yet", path: path)
        }
        // Every tensor is checked before anything is dequantised: unknown names, then each expected
        // tensor's presence, shape and type.
        let expected = GGUFTensorNaming.tensors(for: configuration)
        let expectedNames = Set(expected.map(\.name))
        if let extra = file.tensorNames.first(where: { !expectedNames.contains($0) }) {
            throw .unexpectedTensor(name: extra, file: file.url.lastPathComponent)
        }
        for (name, shape) in expected {
            guard file.contains(name) else { throw .missingTensor(name: name) }
            let info: GGUFTensorInfo
            do { info = try file.info(named: name) } catch { throw .gguf(error) }
            guard info.shape == shape else { throw .shapeMismatch(name: name, expected: shape, found: info.shape) }
            guard info.type.isDequantizable else {
                throw .gguf(.unsupportedTensorType(path: path, tensor: name, type: info.type))
            }
        }
        self.init(configuration: configuration) { name, shape, _ in
            guard let ggufName = GGUFTensorNaming.ggufName(forParameter: name),
                  let tensor = try? file.tensor(named: ggufName), tensor.shape == shape else {
                preconditionFailure("parameter \(name) \(shape) was not checked against the GGUF file")
            }
            if let heads = GGUFTensorNaming.permutedHeadCount(ofParameter: name, configuration) {
                return GGUFTensorNaming.rotateHalfRows(fromGGUF: tensor, heads: heads)
            }
            return tensor
        }
    }

    /// Opens the GGUF file at `url` and loads it (see ``init(gguf:)``).
    /// - Throws: ``CheckpointError/gguf(_:)`` when the file cannot be opened or is malformed, and the
    ///   errors of ``init(gguf:)``.
    public init(ggufFile url: URL) throws(CheckpointError) {
        let file: GGUFFile
        do { file = try GGUFFile(contentsOf: url) } catch { throw .gguf(error) }
        try self.init(gguf: file)
    }

    /// Saves the model as a GGUF file of llama.cpp's `minicpm` architecture, atomically: the
    /// metadata its converter writes for this configuration (with `vocab_size`,
    /// `rope.dimension_count` and the special token ids added), matrices as `type` (F32, F16 or BF16)
    /// and norm gains as F32, `attn_q`/`attn_k` rows permuted for llama.cpp's RoPE. The file carries
    /// no tokenizer, so llama.cpp itself needs one added before it runs it; ``init(gguf:)`` reads it
    /// back to the same parameters (exactly for F32).
    /// - Throws: ``CheckpointError/unsupportedDType(name:dtype:)`` for another `type`, and
    ///   ``CheckpointError/writeFailed(path:reason:)`` for a rope scaling GGUF cannot express here
    ///   (dynamic, LongRoPE), a parameter without a GGUF name (a substituted linear layer) or a failed
    ///   write.
    public func saveGGUF(to url: URL, type: GGUFTensorType = .f32) throws(CheckpointError) {
        let fileType: UInt32
        switch type {
        case .f32: fileType = 0        // LLAMA_FTYPE_ALL_F32
        case .f16: fileType = 1        // LLAMA_FTYPE_MOSTLY_F16
        case .bf16: fileType = 32      // LLAMA_FTYPE_MOSTLY_BF16
        default: throw .unsupportedDType(name: "(save)", dtype: "\(type)")
        }
        var writer = GGUFWriter()
        do {
            for (key, value) in try configuration.ggufMetadata(path: url.path) {
                try writer.setValue(value, forKey: key)
            }
            try writer.setValue(.uint32(fileType), forKey: "general.file_type")
            for (name, tensor) in namedParameters {
                guard let ggufName = GGUFTensorNaming.ggufName(forParameter: name) else {
                    throw CheckpointError.writeFailed(path: url.path, reason: "parameter \(name) has no GGUF tensor name")
                }
                var stored = tensor
                if let heads = GGUFTensorNaming.permutedHeadCount(ofParameter: name, configuration) {
                    stored = GGUFTensorNaming.adjacentPairRows(fromHF: tensor, heads: heads)
                }
                try writer.addTensor(stored, named: ggufName, as: stored.rank == 1 ? .f32 : type)
            }
            try writer.write(to: url)
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw .writeFailed(path: url.path, reason: "\(error)")
        }
    }
}

/// llama.cpp's tensor names for the model's parameters, and the Q/K row order its RoPE needs.
enum GGUFTensorNaming {
    /// Per-layer parameter names (after `model.layers.N.`, before `.weight`) and their GGUF names
    /// (after `blk.N.`).
    static let layerParts: [(parameter: String, gguf: String)] = [
        ("input_layernorm", "attn_norm"),
        ("self_attn.q_proj", "attn_q"), ("self_attn.k_proj", "attn_k"),
        ("self_attn.v_proj", "attn_v"), ("self_attn.o_proj", "attn_output"),
        ("post_attention_layernorm", "ffn_norm"),
        ("mlp.gate_proj", "ffn_gate"), ("mlp.up_proj", "ffn_up"), ("mlp.down_proj", "ffn_down"),
    ]

    /// The GGUF name of a parameter (Hugging Face name), or `nil` for a name outside the model.
    static func ggufName(forParameter name: String) -> String? {
        switch name {
        case "model.embed_tokens.weight": return "token_embd.weight"
        case "model.norm.weight": return "output_norm.weight"
        case "lm_head.weight": return "output.weight"
        default: break
        }
        let prefix = "model.layers.", suffix = ".weight"
        guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
        let rest = name.dropFirst(prefix.count).dropLast(suffix.count)
        guard let dot = rest.firstIndex(of: "."), let layer = Int(rest[..<dot]) else { return nil }
        let part = rest[rest.index(after: dot)...]
        guard let gguf = layerParts.first(where: { $0.parameter == part })?.gguf else { return nil }
        return "blk.\(layer).\(gguf).weight"
    }

    /// Every tensor a GGUF file of this configuration holds, with its row-major shape (the shapes
    /// ``MiniCPM/init(configuration:makeTensor:)`` asks for).
    static func tensors(for c: MiniCPMConfiguration) -> [(name: String, shape: [Int])] {
        let d = c.hiddenSize, kv = c.keyValueHeadCount * c.headDimension, ff = c.intermediateSize
        var tensors: [(name: String, shape: [Int])] = [("token_embd.weight", [c.vocabularySize, d])]
        let layerShapes = ["attn_norm": [d], "attn_q": [d, d], "attn_k": [kv, d], "attn_v": [kv, d], "attn_output": [d, d],
                           "ffn_norm": [d], "ffn_gate": [ff, d], "ffn_up": [ff, d], "ffn_down": [d, ff]]
        for layer in 0..<c.layerCount {
            tensors += layerParts.map { ("blk.\(layer).\($0.gguf).weight", layerShapes[$0.gguf]!) }
        }
        tensors.append(("output_norm.weight", [d]))
        if !c.tieWordEmbeddings { tensors.append(("output.weight", [c.vocabularySize, d])) }
        return tensors
    }

    /// The head count whose rows llama.cpp permutes in this parameter (queries: all heads; keys:
    /// the key/value heads), or `nil`.
    static func permutedHeadCount(ofParameter name: String, _ c: MiniCPMConfiguration) -> Int? {
        if name.hasSuffix(".self_attn.q_proj.weight") { return c.attentionHeadCount }
        if name.hasSuffix(".self_attn.k_proj.weight") { return c.keyValueHeadCount }
        return nil
    }

    /// Undoes llama.cpp's permutation: within each head of `d` rows, GGUF row `2i + j` holds
    /// Hugging Face row `j·d/2 + i` (`j` ∈ {0, 1}), so HF row `r` is GGUF row `2(r mod d/2) + r div (d/2)`.
    static func rotateHalfRows(fromGGUF w: Tensor, heads: Int) -> Tensor {
        permuteRows(w, heads: heads) { r, half in 2 * (r % half) + r / half }
    }

    /// llama.cpp's `permute(w, n_head, n_head)`: `w.reshape(heads, 2, d/2, in).swapaxes(1, 2)`, so
    /// GGUF row `2i + j` of a head is Hugging Face row `j·d/2 + i`.
    static func adjacentPairRows(fromHF w: Tensor, heads: Int) -> Tensor {
        permuteRows(w, heads: heads) { r, half in (r % 2) * half + r / 2 }
    }

    /// A `[rows, columns]` matrix whose row `h·d + r` is row `h·d + source(r, d/2)` of `w`.
    private static func permuteRows(_ w: Tensor, heads: Int, source: (Int, Int) -> Int) -> Tensor {
        precondition(w.rank == 2 && heads > 0 && w.shape[0] % (2 * heads) == 0,
                     "cannot split \(w.shape) into \(heads) heads of pairs")
        let (rows, columns) = (w.shape[0], w.shape[1])
        let rowsPerHead = rows / heads, half = rowsPerHead / 2
        return w.withUnsafeBufferPointer { src in
            Tensor(shape: w.shape) { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                for head in 0..<heads {
                    let base = head * rowsPerHead
                    for r in 0..<rowsPerHead {
                        (d + (base + r) * columns).initialize(from: s + (base + source(r, half)) * columns, count: columns)
                    }
                }
            }
        }
    }
}
