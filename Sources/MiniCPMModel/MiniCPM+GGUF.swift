import Foundation
import TensorCore

extension MiniCPM {
    /// Loads a model from a GGUF file of architecture `llama` or `minicpm` (llama.cpp's format).
    ///
    /// The configuration comes from the metadata (see ``MiniCPMConfiguration/init(gguf:)``); a
    /// `llama` file runs with the scales of 1 that make the MiniCPM forward the Llama forward. Tensors
    /// are matched by llama.cpp's names, which the modules' ``Module/parts`` declare beside the
    /// Hugging Face ones (``TensorDeclaration/ggufName``):
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
    /// `GGUFTensorType/isDequantizable` lists are dequantised exactly as ggml does, each tensor in
    /// parallel chunks. (Keeping quantised weights quantised awaits the Quantization layer.)
    ///
    /// - Throws: the configuration's errors, ``CheckpointError/unexpectedTensor(name:file:)``,
    ///   ``CheckpointError/missingTensor(name:)`` and ``CheckpointError/shapeMismatch(name:expected:found:)``
    ///   with the GGUF tensor name, ``CheckpointError/gguf(_:)`` for a tensor type that is not
    ///   dequantised, and ``CheckpointError/invalidMetadata(key:value:reason:path:)`` for a
    ///   mixture-of-experts file (not supported yet).
    public init(gguf file: GGUFFile) throws(CheckpointError) {
        try self.init(gguf: file, keeping: nil)
    }

    /// Loads a model from a GGUF file as ``init(gguf:)`` does, except that each linear weight (and
    /// the tied output layer's table) whose type `kept` lists is handed to `kept` instead of being
    /// converted to `Float`: the seam through which a module above this one (Quantization) keeps
    /// the weights in their stored blocks. Tensors of other types load as ``init(gguf:)`` loads them.
    ///
    /// - Throws: the errors of ``init(gguf:)``; an error of `kept.makeLayer` as
    ///   ``CheckpointError/invalidTensor(name:reason:)``.
    public init(gguf file: GGUFFile, keeping kept: GGUFLinearLayerBuilder?) throws(CheckpointError) {
        let configuration = try MiniCPMConfiguration(gguf: file)
        let path = file.url.path
        if configuration.expertCount > 0 {
            let architecture = file.string(forKey: "general.architecture") ?? "llama"
            throw .invalidMetadata(key: "\(architecture).expert_count", value: "\(configuration.expertCount)",
                                   reason: "mixture-of-experts GGUF files are not supported yet (llama.cpp stacks a layer's experts into ffn_*_exps tensors, which this loader does not read); load the Hugging Face checkpoint instead",
                                   path: path)
        }
        // The embedding_length sizes what is built before any tensor is checked (the rotary frequency
        // table has embedding_length / head_count / 2 entries): check it, with the vocabulary, first.
        let expectedEmbedding = [configuration.vocabularySize, configuration.hiddenSize]
        guard file.contains("token_embd.weight") else { throw .missingTensor(name: "token_embd.weight") }
        let foundEmbedding: [Int]
        do { foundEmbedding = try file.info(named: "token_embd.weight").shape } catch { throw .gguf(error) }
        guard foundEmbedding == expectedEmbedding else {
            throw .shapeMismatch(name: "token_embd.weight", expected: expectedEmbedding, found: foundEmbedding)
        }
        // Every tensor is checked before anything is dequantised: unknown names, then each declared
        // tensor's presence, shape and type.
        let declarations: [TensorDeclaration]
        do { declarations = try MiniCPM.tensorDeclarations(for: configuration) } catch { throw .configuration(error) }
        let expectedNames = Set(declarations.compactMap(\.ggufName))
        if let extra = file.tensorNames.first(where: { !expectedNames.contains($0) }) {
            throw .unexpectedTensor(name: extra, file: file.url.lastPathComponent)
        }
        for declaration in declarations {
            guard let name = declaration.ggufName else { continue }
            guard file.contains(name) else { throw .missingTensor(name: name) }
            let info: GGUFTensorInfo
            do { info = try file.info(named: name) } catch { throw .gguf(error) }
            guard info.shape == declaration.shape else {
                throw .shapeMismatch(name: name, expected: declaration.shape, found: info.shape)
            }
            let keptHere = declaration.role == .linearWeight && kept?.types.contains(info.type) == true
            guard info.type.isDequantizable || keptHere else {
                throw .gguf(.unsupportedTensorType(path: path, tensor: name, type: info.type))
            }
        }
        do {
            let makeTensor: (TensorDeclaration) throws -> Tensor = { declaration in
                guard let name = declaration.ggufName else { throw CheckpointError.missingTensor(name: declaration.name) }
                let tensor = try file.tensor(named: name)
                guard let heads = declaration.ggufPermutedHeadCount else { return tensor }
                return GGUFRowOrder.rotateHalfRows(fromGGUF: tensor, heads: heads)
            }
            func keptLayer(_ name: String, permutedHeadCount: Int?) throws -> (any LinearLayer)? {
                guard let kept, kept.types.contains(try file.info(named: name).type) else { return nil }
                do { return try kept.makeLayer(file, name, permutedHeadCount) } catch {
                    throw CheckpointError.invalidTensor(name: name, reason: "\(error)")
                }
            }
            try self.init(configuration: configuration, factory: ParameterFactory(makeTensor: makeTensor, makeLinear: { declaration in
                if let name = declaration.ggufName,
                   let layer = try keptLayer(name, permutedHeadCount: declaration.ggufPermutedHeadCount) { return layer }
                return Linear(weight: try makeTensor(declaration))
            }))
            // A tied output layer is the embedding table read the other way, and the largest
            // matrix-vector product of a decode step: it reads the kept table too (the lookup keeps
            // the float table, one row per token).
            if configuration.tieWordEmbeddings, outputHead == nil,
               let name = declarations.first(where: { $0.role == .embedding })?.ggufName,
               let layer = try keptLayer(name, permutedHeadCount: nil) {
                outputHead = layer
            }
        } catch let error as CheckpointError {
            throw error
        } catch let error as GGUFError {
            throw .gguf(error)
        } catch let error as MiniCPMConfigurationError {
            throw .configuration(error)
        } catch {
            throw .gguf(.cannotOpenFile(path: path, reason: "\(error)"))
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
    /// `rope.dimension_count` and the special token ids added), the tokenizer's metadata, norm gains
    /// as F32 and matrices as `type`, with `attn_q`/`attn_k` rows permuted for llama.cpp's RoPE.
    ///
    /// `type` is F32, F16 or BF16, or one of llama.cpp's block types Q4_0, Q4_1 and Q8_0
    /// (`general.file_type` 2, 3 and 7, llama.cpp's `LLAMA_FTYPE_MOSTLY_*`), quantised bit for bit as
    /// llama.cpp's reference quantisers do (``GGUFQuantization``). For the block types the choices
    /// follow `llama-quantize`: a matrix whose rows are not whole blocks of 32 is stored as F16; the
    /// output layer (`output.weight`, or `token_embd.weight` when the embeddings are tied) is Q8_0
    /// under Q4_0 and Q4_1, because `llama-quantize` gives it more bits (Q6_K, which this library
    /// does not write, or Q8_0 when the row length is not a multiple of 256, as for SmolLM2's 576);
    /// an untied `token_embd.weight` has `type`.
    ///
    /// `tokenizer` is the `tokenizer.*` metadata llama.cpp needs to run the file (`tokenizer.ggml.model`
    /// `"llama"` or `"gpt2"`, `tokens`, `scores`, `token_type`, `merges`, special ids, chat template),
    /// for example ``GGUFFile/metadata(withPrefix:)`` of the file the model was loaded from; its
    /// values replace the special token ids the configuration gives. Without one the file says
    /// `tokenizer.ggml.model = "none"`, which llama.cpp loads as a model without a vocabulary.
    ///
    /// ``init(gguf:)`` reads the file back to the same parameters exactly for F32, and to their
    /// rounded or dequantised values otherwise.
    /// - Throws: ``CheckpointError/unsupportedDType(name:dtype:)`` for another `type`,
    ///   ``CheckpointError/invalidMetadata(key:value:reason:path:)`` for a tokenizer key outside
    ///   `tokenizer.` or a tokenizer without a string `tokenizer.ggml.model`, and
    ///   ``CheckpointError/writeFailed(path:reason:)`` for a rope scaling GGUF cannot express here
    ///   (dynamic, LongRoPE), a mixture-of-experts model, a parameter without a GGUF name or a declared tensor without a `Float`
    ///   parameter (both: a substituted linear layer), a matrix
    ///   with a NaN or infinite element to quantise (naming it) or a failed write.
    public func saveGGUF(to url: URL, type: GGUFTensorType = .f32,
                         tokenizer: [(key: String, value: GGUFValue)] = []) throws(CheckpointError) {
        let fileType: UInt32
        switch type {
        case .f32: fileType = 0        // LLAMA_FTYPE_ALL_F32
        case .f16: fileType = 1        // LLAMA_FTYPE_MOSTLY_F16
        case .q4_0: fileType = 2       // LLAMA_FTYPE_MOSTLY_Q4_0
        case .q4_1: fileType = 3       // LLAMA_FTYPE_MOSTLY_Q4_1
        case .q8_0: fileType = 7       // LLAMA_FTYPE_MOSTLY_Q8_0
        case .bf16: fileType = 32      // LLAMA_FTYPE_MOSTLY_BF16
        default: throw .unsupportedDType(name: "(save)", dtype: "\(type)")
        }
        guard configuration.expertCount == 0 else {
            throw .writeFailed(path: url.path, reason: "mixture-of-experts models are not written as GGUF yet (llama.cpp stacks a layer's experts into ffn_*_exps tensors); save the Hugging Face checkpoint instead")
        }
        if let (key, value) = tokenizer.first(where: { !$0.key.hasPrefix("tokenizer.") }) {
            throw .invalidMetadata(key: key, value: "\(value)", reason: "tokenizer metadata keys start with \"tokenizer.\"", path: url.path)
        }
        if !tokenizer.isEmpty, !tokenizer.contains(where: { $0.key == "tokenizer.ggml.model" && $0.value.stringValue != nil }) {
            throw .invalidMetadata(key: "tokenizer.ggml.model", value: "(missing)",
                                   reason: "a tokenizer names its model (\"llama\", \"gpt2\", ...) as a string", path: url.path)
        }
        var writer = GGUFWriter()
        do {
            for (key, value) in try configuration.ggufMetadata(path: url.path) {
                try writer.setValue(value, forKey: key)
            }
            try writer.setValue(.uint32(fileType), forKey: "general.file_type")
            if GGUFQuantization.quantizableTypes.contains(type) {
                // GGML_QNT_VERSION: the block layouts of current ggml, which gguf-py's writer records too.
                try writer.setValue(.uint32(2), forKey: "general.quantization_version")
            }
            if tokenizer.isEmpty {
                try writer.setValue(.string("none"), forKey: "tokenizer.ggml.model")
            }
            for (key, value) in tokenizer {
                try writer.setValue(value, forKey: key)
            }
            let declared = Dictionary(tensorDeclarations.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            // Every parameter must be a declared GGUF tensor, and every declared tensor present: a
            // substituted linear layer (int4, GGUF blocks) renames its weight or holds no Float weight
            // at all. Say so before anything is quantised rather than write a file llama.cpp refuses.
            let parameters = namedParameters
            if let (name, _) = parameters.first(where: { declared[$0.name]?.ggufName == nil || declared[$0.name]?.shape != $0.value.shape }) {
                throw CheckpointError.writeFailed(path: url.path, reason: "parameter \(name) has no GGUF tensor name")
            }
            let present = Set(parameters.map(\.name))
            if let missing = tensorDeclarations.first(where: { $0.ggufName != nil && !present.contains($0.name) }) {
                throw CheckpointError.writeFailed(path: url.path, reason: "\(missing.ggufName!) (\(missing.name)) has no Float weight to save: a substituted linear layer is not written; save the float model")
            }
            let outputName = configuration.tieWordEmbeddings ? "token_embd.weight" : "output.weight"
            for (name, tensor) in parameters {
                guard let declaration = declared[name], let ggufName = declaration.ggufName else { continue }   // checked above
                let stored = declaration.ggufPermutedHeadCount.map { GGUFRowOrder.adjacentPairRows(fromHF: tensor, heads: $0) } ?? tensor
                let storedType = Self.ggufType(of: ggufName, shape: stored.shape, fileType: type, outputName: outputName)
                if GGUFQuantization.quantizableTypes.contains(storedType) {
                    let blocks = try GGUFQuantization.quantize(stored, named: ggufName, as: storedType)
                    try writer.addTensor(named: ggufName, shape: stored.shape, type: storedType, blocks: blocks)
                } else {
                    try writer.addTensor(stored, named: ggufName, as: storedType)
                }
            }
            try writer.write(to: url)
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw .writeFailed(path: url.path, reason: "\(error)")
        }
    }

    /// The type ``saveGGUF(to:type:tokenizer:)`` stores a tensor as, in a file of `fileType`
    /// (llama-quantize's choices; see there).
    static func ggufType(of name: String, shape: [Int], fileType: GGUFTensorType, outputName: String) -> GGUFTensorType {
        guard shape.count >= 2 else { return .f32 }
        guard GGUFQuantization.quantizableTypes.contains(fileType) else { return fileType }
        guard shape[shape.count - 1] % fileType.blockSize == 0 else { return .f16 }
        if name == outputName, fileType != .q8_0 { return .q8_0 }
        return fileType
    }
}

/// What ``MiniCPM/init(gguf:keeping:)`` keeps in its stored form: the tensor types, and the layer
/// that computes on a tensor of one of them (given the open file, the GGUF tensor name and, for
/// `attn_q`/`attn_k`, the head count of llama.cpp's row permutation, which the layer must undo).
public struct GGUFLinearLayerBuilder {
    public var types: Set<GGUFTensorType>
    public var makeLayer: (GGUFFile, String, Int?) throws -> any LinearLayer

    public init(types: Set<GGUFTensorType>, makeLayer: @escaping (GGUFFile, String, Int?) throws -> any LinearLayer) {
        self.types = types
        self.makeLayer = makeLayer
    }
}

/// The row order llama.cpp's converter gives query and key weights, and its inverse.
enum GGUFRowOrder {
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
