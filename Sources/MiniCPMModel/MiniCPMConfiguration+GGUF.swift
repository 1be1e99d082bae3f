import Foundation
import TensorCore

extension MiniCPMConfiguration {
    /// The GGUF architectures (`general.architecture`) whose files ``init(gguf:)`` reads.
    public static let ggufArchitectures: Set<String> = ["llama", "minicpm"]

    /// The configuration a GGUF file describes, read from its metadata as llama.cpp reads it
    /// (keys prefixed with the architecture, `llama.` or `minicpm.`):
    ///
    /// | GGUF key | field | when absent |
    /// | --- | --- | --- |
    /// | `{arch}.block_count` | ``layerCount`` | error |
    /// | `{arch}.embedding_length` | ``hiddenSize`` | error |
    /// | `{arch}.feed_forward_length` | ``intermediateSize`` | error |
    /// | `{arch}.attention.head_count` | ``attentionHeadCount`` | error |
    /// | `{arch}.attention.head_count_kv` | ``keyValueHeadCount`` | the head count |
    /// | `{arch}.context_length` | ``maxPositionEmbeddings`` | error |
    /// | `{arch}.attention.layer_norm_rms_epsilon` | ``rmsNormEpsilon`` | error |
    /// | `{arch}.rope.freq_base` | ``ropeTheta`` | 10000 |
    /// | `{arch}.rope.scaling.type`, `.factor` (or the older `rope.scale_linear`) | ``ropeScaling`` (`linear` only) | none |
    /// | `{arch}.vocab_size` | ``vocabularySize`` | `tokenizer.ggml.tokens` count, else `token_embd` rows |
    /// | `{arch}.expert_count`, `expert_used_count` (`1 ≤ used ≤ count`) | ``expertCount``, ``expertsPerToken`` | 0 (dense) |
    /// | `minicpm.embedding_scale` | ``embeddingScale`` | error (`llama`: 1) |
    /// | `minicpm.residual_scale` (`scale_depth / √L`) | ``depthScale`` = value · √L | error (`llama`: √L) |
    /// | `minicpm.logit_scale` (`hidden / dim_model_base`) | ``baseModelDimension`` = hidden / value | error (`llama`: hidden) |
    /// | `tokenizer.ggml.bos_token_id` | ``bosTokenID`` | 1 |
    /// | `tokenizer.ggml.eos_token_id`, `eot_token_id`, `eom_token_id` | ``eosTokenIDs`` | `[2]` |
    ///
    /// Each of the `block_count` layers must have a tensor (`blk.N.`), so that a forged
    /// count fails at once instead of building millions of layers; the other sizes are checked
    /// against the tensor shapes by the loader before any tensor is read.
    ///
    /// ``tieWordEmbeddings`` is true when the file has no `output.weight` tensor. A `llama` file gets
    /// the scales of 1 (`scale_emb` 1, `scale_depth` √L, `dim_model_base` = hidden size) that make the
    /// MiniCPM forward exactly the Llama forward. Per-layer arrays (as some converters write for the
    /// feed-forward length and head counts) are accepted when all layers agree.
    ///
    /// - Throws: ``CheckpointError/unsupportedArchitecture(_:path:)`` for another architecture,
    ///   ``CheckpointError/missingMetadata(key:path:)`` for a required key,
    ///   ``CheckpointError/invalidMetadata(key:value:reason:path:)`` for a value of the wrong type or
    ///   an impossible one, or for what this model does not run (partial rotary dimensions, separate
    ///   key/value head sizes, rope scaling other than linear), and
    ///   ``CheckpointError/configuration(_:)`` when the resulting configuration does not validate.
    public init(gguf file: GGUFFile) throws(CheckpointError) {
        let reader = GGUFMetadataReader(file: file)
        let architecture = try reader.architecture()
        func key(_ suffix: String) -> String { "\(architecture).\(suffix)" }

        let layers = try reader.positiveInteger(key("block_count"))
        // Checked against the tensors before anything is built per layer (see StoredLayerCount).
        let storedLayers = StoredLayerCount(names: file.tensorNames, prefix: "blk.")
        guard storedLayers.covers(layers) else {
            throw .invalidMetadata(key: key("block_count"), value: "\(layers)",
                                   reason: "the file does not hold that many layers: \(storedLayers.summary)", path: reader.path)
        }
        let hidden = try reader.positiveInteger(key("embedding_length"))
        let feedForward = try reader.positiveInteger(key("feed_forward_length"), perLayer: true)
        let heads = try reader.positiveInteger(key("attention.head_count"), perLayer: true)
        let keyValueHeads = try reader.positiveIntegerIfPresent(key("attention.head_count_kv"), perLayer: true) ?? heads
        let vocabulary: Int
        if let v = try reader.positiveIntegerIfPresent(key("vocab_size")) {
            vocabulary = v
        } else if let tokens = file.metadata["tokenizer.ggml.tokens"]?.arrayValue, !tokens.isEmpty {
            vocabulary = tokens.count
        } else if let embedding = try? file.info(named: "token_embd.weight"), embedding.shape.count == 2 {
            vocabulary = embedding.shape[0]
        } else {
            throw .missingMetadata(key: key("vocab_size"), path: reader.path)
        }

        self.init(vocabularySize: vocabulary, hiddenSize: hidden, intermediateSize: feedForward, layerCount: layers,
                  attentionHeadCount: heads, keyValueHeadCount: keyValueHeads)
        maxPositionEmbeddings = try reader.positiveInteger(key("context_length"))
        rmsNormEpsilon = try reader.positiveFloat(key("attention.layer_norm_rms_epsilon"))
        ropeTheta = try reader.positiveFloatIfPresent(key("rope.freq_base")) ?? 10_000
        ropeScaling = try reader.ropeScaling(architecture: architecture)
        (expertCount, expertsPerToken) = try reader.experts(architecture: architecture)

        let rootOfLayers = Float(layers).squareRoot()
        if architecture == "minicpm" {
            embeddingScale = try reader.positiveFloat(key("embedding_scale"))
            depthScale = try reader.positiveFloat(key("residual_scale")) * rootOfLayers
            baseModelDimension = Float(hidden) / (try reader.positiveFloat(key("logit_scale")))
        } else {
            embeddingScale = 1
            depthScale = rootOfLayers
            baseModelDimension = Float(hidden)
        }

        tieWordEmbeddings = !file.contains("output.weight")
        if let bos = try reader.integerIfPresent("tokenizer.ggml.bos_token_id") { bosTokenID = bos }
        var endTokens: [Int] = []
        for name in ["eos", "eot", "eom"] {
            if let id = try reader.integerIfPresent("tokenizer.ggml.\(name)_token_id"), !endTokens.contains(id) {
                endTokens.append(id)
            }
        }
        if !endTokens.isEmpty { eosTokenIDs = endTokens }

        do { try validate() } catch { throw .configuration(error.in(file: reader.path)) }

        // The model rotates whole heads and uses one head size for queries, keys and values.
        for suffix in ["rope.dimension_count", "attention.key_length", "attention.value_length"] {
            if let value = try reader.integerIfPresent(key(suffix)), value != headDimension {
                throw .invalidMetadata(key: key(suffix), value: "\(value)",
                                       reason: "only a head size of hidden_size / head_count = \(headDimension), fully rotated, is supported",
                                       path: reader.path)
            }
        }
    }

    /// The metadata ``MiniCPM/saveGGUF(to:type:tokenizer:)`` writes: the keys of llama.cpp's `minicpm`
    /// architecture, as its converter writes them, and the special token ids.
    /// - Throws: ``CheckpointError/writeFailed(path:reason:)`` (naming `path`) for a rope scaling
    ///   that GGUF cannot express here (dynamic NTK, LongRoPE).
    func ggufMetadata(path: String) throws(CheckpointError) -> [(key: String, value: GGUFValue)] {
        let a = "minicpm"
        var pairs: [(key: String, value: GGUFValue)] = [
            ("general.architecture", .string(a)),
            ("\(a).block_count", .uint32(UInt32(layerCount))),
            ("\(a).context_length", .uint32(UInt32(maxPositionEmbeddings))),
            ("\(a).embedding_length", .uint32(UInt32(hiddenSize))),
            ("\(a).feed_forward_length", .uint32(UInt32(intermediateSize))),
            ("\(a).attention.head_count", .uint32(UInt32(attentionHeadCount))),
            ("\(a).attention.head_count_kv", .uint32(UInt32(keyValueHeadCount))),
        ]
        if expertCount > 0 {
            // As llama.cpp's converter writes them for num_experts / num_experts_per_tok.
            pairs.append(("\(a).expert_count", .uint32(UInt32(expertCount))))
            pairs.append(("\(a).expert_used_count", .uint32(UInt32(expertsPerToken))))
        }
        switch ropeScaling {
        case nil: break
        case let .linear(factor)?:
            pairs.append(("\(a).rope.scaling.type", .string("linear")))
            pairs.append(("\(a).rope.scaling.factor", .float32(factor)))
        case let other?:
            throw .writeFailed(path: path, reason: "rope_scaling \(other) has no GGUF equivalent that this library reads")
        }
        pairs += [
            ("\(a).rope.freq_base", .float32(ropeTheta)),
            ("\(a).attention.layer_norm_rms_epsilon", .float32(rmsNormEpsilon)),
            ("\(a).vocab_size", .uint32(UInt32(vocabularySize))),
            ("\(a).rope.dimension_count", .uint32(UInt32(headDimension))),
            ("\(a).embedding_scale", .float32(embeddingScale)),
            ("\(a).residual_scale", .float32(residualScale)),
            ("\(a).logit_scale", .float32(widthMultiplier)),
        ]
        if let bosTokenID { pairs.append(("tokenizer.ggml.bos_token_id", .uint32(UInt32(bosTokenID)))) }
        if let eos = eosTokenIDs.first { pairs.append(("tokenizer.ggml.eos_token_id", .uint32(UInt32(eos)))) }
        if eosTokenIDs.count > 1 { pairs.append(("tokenizer.ggml.eot_token_id", .uint32(UInt32(eosTokenIDs[1])))) }
        return pairs
    }
}

/// Typed access to a GGUF file's metadata that throws ``CheckpointError``s naming the key and file.
struct GGUFMetadataReader {
    let file: GGUFFile
    var path: String { file.url.path }

    func architecture() throws(CheckpointError) -> String {
        let key = "general.architecture"
        guard let value = file.metadata[key] else { throw .missingMetadata(key: key, path: path) }
        guard let name = value.stringValue else { throw invalid(key, value, "expected a string") }
        guard MiniCPMConfiguration.ggufArchitectures.contains(name) else {
            throw .unsupportedArchitecture(name, path: path)
        }
        return name
    }

    func invalid(_ key: String, _ value: GGUFValue, _ reason: String) -> CheckpointError {
        .invalidMetadata(key: key, value: Self.describe(value), reason: reason, path: path)
    }

    /// An integer of any GGUF integer type; with `perLayer`, also an array of equal integers (one
    /// per layer).
    func integerIfPresent(_ key: String, perLayer: Bool = false) throws(CheckpointError) -> Int? {
        guard let value = file.metadata[key] else { return nil }
        if let i = value.intValue { return i }
        if perLayer, let values = value.intArray, let first = values.first {
            guard values.allSatisfy({ $0 == first }) else {
                throw invalid(key, value, "layers with different sizes are not supported")
            }
            return first
        }
        throw invalid(key, value, perLayer ? "expected an integer or an array of integers" : "expected an integer")
    }

    func positiveIntegerIfPresent(_ key: String, perLayer: Bool = false) throws(CheckpointError) -> Int? {
        guard let i = try integerIfPresent(key, perLayer: perLayer) else { return nil }
        guard i > 0, i <= Int(Int32.max) else { throw invalid(key, file.metadata[key]!, "must be a positive 32-bit integer") }
        return i
    }

    func positiveInteger(_ key: String, perLayer: Bool = false) throws(CheckpointError) -> Int {
        guard let i = try positiveIntegerIfPresent(key, perLayer: perLayer) else { throw .missingMetadata(key: key, path: path) }
        return i
    }

    func positiveFloatIfPresent(_ key: String) throws(CheckpointError) -> Float? {
        guard let value = file.metadata[key] else { return nil }
        guard let d = value.doubleValue else { throw invalid(key, value, "expected a number") }
        let f = Float(d)
        guard f > 0, f.isFinite else { throw invalid(key, value, "must be positive and finite") }
        return f
    }

    func positiveFloat(_ key: String) throws(CheckpointError) -> Float {
        guard let f = try positiveFloatIfPresent(key) else { throw .missingMetadata(key: key, path: path) }
        return f
    }

    /// `{arch}.expert_count` and `{arch}.expert_used_count`: both absent or 0 (a dense model), or
    /// `1 ≤ expert_used_count ≤ expert_count`, each error naming the key and value.
    func experts(architecture: String) throws(CheckpointError) -> (count: Int, used: Int) {
        let countKey = "\(architecture).expert_count", usedKey = "\(architecture).expert_used_count"
        let count = try integerIfPresent(countKey) ?? 0
        guard count >= 0, count <= Int(Int32.max) else { throw invalid(countKey, file.metadata[countKey]!, "must be a non-negative 32-bit integer") }
        let used = try integerIfPresent(usedKey)
        guard count > 0 else {
            if let used, used != 0 { throw invalid(usedKey, file.metadata[usedKey]!, "experts are used but \(countKey) is 0 or absent") }
            return (0, 0)
        }
        guard let used else { throw .missingMetadata(key: usedKey, path: path) }
        guard (1 ... count).contains(used) else {
            throw invalid(usedKey, file.metadata[usedKey]!, "must lie in 1...\(countKey) = \(count)")
        }
        return (count, used)
    }

    /// `{arch}.rope.scaling.type` with `.factor`, or the older `{arch}.rope.scale_linear`.
    func ropeScaling(architecture: String) throws(CheckpointError) -> RopeScaling? {
        let typeKey = "\(architecture).rope.scaling.type"
        let factorKey = "\(architecture).rope.scaling.factor"
        if let value = file.metadata[typeKey] {
            guard let type = value.stringValue else { throw invalid(typeKey, value, "expected a string") }
            switch type {
            case "none": return nil
            case "linear":
                let factor = try positiveFloat(factorKey)
                return factor == 1 ? nil : .linear(factor: factor)
            default:
                throw invalid(typeKey, value, "only linear rope scaling is supported")
            }
        }
        let legacyKey = "\(architecture).rope.scale_linear"
        if let factor = try positiveFloatIfPresent(legacyKey), factor != 1 { return .linear(factor: factor) }
        return nil
    }

    /// A short rendering of a value for messages (arrays abbreviated).
    static func describe(_ value: GGUFValue) -> String {
        switch value {
        case let .string(s): return "\"\(s)\""
        case let .array(type, elements):
            let shown = elements.prefix(4).map(describe).joined(separator: ", ")
            return "[\(shown)\(elements.count > 4 ? ", … (\(elements.count) \(type) elements)" : "")]"
        case let .uint8(v): return "\(v)"
        case let .int8(v): return "\(v)"
        case let .uint16(v): return "\(v)"
        case let .int16(v): return "\(v)"
        case let .uint32(v): return "\(v)"
        case let .int32(v): return "\(v)"
        case let .uint64(v): return "\(v)"
        case let .int64(v): return "\(v)"
        case let .float32(v): return "\(v)"
        case let .float64(v): return "\(v)"
        case let .bool(v): return "\(v)"
        }
    }
}
