import Foundation

/// The shape and scaling hyper-parameters of a MiniCPM decoder, as in a Hugging Face `config.json`
/// (`MiniCPMConfig`). Coding keys are the original snake-case names.
///
/// Defaults follow the original `MiniCPMConfig` for every key it defaults; the five structural sizes
/// (`vocab_size`, `hidden_size`, `intermediate_size`, `num_hidden_layers`, `num_attention_heads`)
/// are required when decoding, because a checkpoint without them cannot be meant to use
/// Llama-7B's sizes. Call ``validate()`` (decoding does) to check consistency.
public struct MiniCPMConfiguration: Codable, Sendable, Equatable {
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var attentionHeadCount: Int
    /// Key/value heads for grouped-query attention; defaults to ``attentionHeadCount``.
    public var keyValueHeadCount: Int
    public var hiddenActivation: String = "silu"
    public var maxPositionEmbeddings: Int = 2048
    public var initializerRange: Float = 0.02
    public var rmsNormEpsilon: Float = 1e-6
    public var ropeTheta: Float = 10_000
    public var ropeScaling: RopeScaling? = nil
    /// Multiplier of the token embeddings (`scale_emb`).
    public var embeddingScale: Float = 1
    /// Residual increments are multiplied by `scale_depth / sqrt(num_hidden_layers)`.
    public var depthScale: Float = 1
    /// The width the muP hyper-parameters were tuned at (`dim_model_base`); logits are computed from
    /// `h / (hidden_size / dim_model_base)`.
    public var baseModelDimension: Float = 1
    public var tieWordEmbeddings: Bool = true
    public var bosTokenID: Int? = 1
    /// End-of-sequence ids (`eos_token_id` may be a number or a list).
    public var eosTokenIDs: [Int] = [2]
    /// Experts of the MoE feed-forward block (0: dense).
    public var expertCount: Int = 0
    /// Experts each token is routed to.
    public var expertsPerToken: Int = 0

    /// A configuration with the given sizes and MiniCPM's scaling defaults of 1 (a plain Llama-style
    /// decoder); set the muP fields for MiniCPM proper.
    public init(vocabularySize: Int, hiddenSize: Int, intermediateSize: Int, layerCount: Int,
                attentionHeadCount: Int, keyValueHeadCount: Int? = nil) {
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.attentionHeadCount = attentionHeadCount
        self.keyValueHeadCount = keyValueHeadCount ?? attentionHeadCount
    }

    /// Elements per attention head.
    public var headDimension: Int { hiddenSize / max(1, attentionHeadCount) }
    /// Elements of one token's keys (or values): `num_key_value_heads · head dimension`.
    public var keyValueWidth: Int { keyValueHeadCount * headDimension }
    /// The factor `scale_depth / sqrt(L)` applied to every residual increment.
    public var residualScale: Float { depthScale / Float(layerCount).squareRoot() }
    /// The width multiplier `d_m / d_base` of muP (logit divisor, init and learning-rate scale).
    public var widthMultiplier: Float { Float(hiddenSize) / baseModelDimension }

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers", attentionHeadCount = "num_attention_heads"
        case keyValueHeadCount = "num_key_value_heads", hiddenActivation = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings", initializerRange = "initializer_range"
        case rmsNormEpsilon = "rms_norm_eps", ropeTheta = "rope_theta", ropeScaling = "rope_scaling"
        case embeddingScale = "scale_emb", depthScale = "scale_depth", baseModelDimension = "dim_model_base"
        case tieWordEmbeddings = "tie_word_embeddings", bosTokenID = "bos_token_id", eosTokenIDs = "eos_token_id"
        case expertCount = "num_experts", expertsPerToken = "num_experts_per_tok"
        case modelType = "model_type", architectures, torchDType = "torch_dtype", dtype
        case attentionBias = "attention_bias", mlpBias = "mlp_bias"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try Self.checkFamilyAndDType(c)
        func required(_ key: CodingKeys) throws -> Int {
            guard c.contains(key) else { throw MiniCPMConfigurationError.missingKey(key.stringValue) }
            return try Self.decodeInt(c, key)
        }
        vocabularySize = try required(.vocabularySize)
        hiddenSize = try required(.hiddenSize)
        intermediateSize = try required(.intermediateSize)
        layerCount = try required(.layerCount)
        attentionHeadCount = try required(.attentionHeadCount)
        keyValueHeadCount = try Self.decodeIntIfPresent(c, .keyValueHeadCount) ?? attentionHeadCount
        hiddenActivation = try Self.decode(c, .hiddenActivation) ?? hiddenActivation
        maxPositionEmbeddings = try Self.decodeIntIfPresent(c, .maxPositionEmbeddings) ?? maxPositionEmbeddings
        initializerRange = try Self.decode(c, .initializerRange) ?? initializerRange
        rmsNormEpsilon = try Self.decode(c, .rmsNormEpsilon) ?? rmsNormEpsilon
        ropeTheta = try Self.decode(c, .ropeTheta) ?? ropeTheta
        ropeScaling = try Self.decode(c, .ropeScaling)
        embeddingScale = try Self.decode(c, .embeddingScale) ?? embeddingScale
        depthScale = try Self.decode(c, .depthScale) ?? depthScale
        baseModelDimension = try Self.decode(c, .baseModelDimension) ?? baseModelDimension
        tieWordEmbeddings = try Self.decode(c, .tieWordEmbeddings) ?? tieWordEmbeddings
        if c.contains(.bosTokenID) { bosTokenID = try Self.decode(c, .bosTokenID) }
        if c.contains(.eosTokenIDs), try !c.decodeNil(forKey: .eosTokenIDs) {
            if let single = try? c.decode(Int.self, forKey: .eosTokenIDs) {
                eosTokenIDs = [single]
            } else if let list = try? c.decode([Int].self, forKey: .eosTokenIDs) {
                eosTokenIDs = list
            } else {
                throw MiniCPMConfigurationError.invalidValue(key: "eos_token_id", value: "not an integer or a list of integers")
            }
        }
        expertCount = try Self.decodeIntIfPresent(c, .expertCount) ?? 0
        expertsPerToken = try Self.decodeIntIfPresent(c, .expertsPerToken) ?? 0
        try validate()
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(["MiniCPMForCausalLM"], forKey: .architectures)
        try c.encode("minicpm", forKey: .modelType)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(layerCount, forKey: .layerCount)
        try c.encode(attentionHeadCount, forKey: .attentionHeadCount)
        try c.encode(keyValueHeadCount, forKey: .keyValueHeadCount)
        try c.encode(hiddenActivation, forKey: .hiddenActivation)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(initializerRange, forKey: .initializerRange)
        try c.encode(rmsNormEpsilon, forKey: .rmsNormEpsilon)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        try c.encode(ropeScaling, forKey: .ropeScaling)
        try c.encode(embeddingScale, forKey: .embeddingScale)
        try c.encode(depthScale, forKey: .depthScale)
        try c.encode(baseModelDimension, forKey: .baseModelDimension)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        try c.encode(bosTokenID, forKey: .bosTokenID)
        if eosTokenIDs.count == 1 { try c.encode(eosTokenIDs[0], forKey: .eosTokenIDs) } else { try c.encode(eosTokenIDs, forKey: .eosTokenIDs) }
        if expertCount > 0 {
            try c.encode(expertCount, forKey: .expertCount)
            try c.encode(expertsPerToken, forKey: .expertsPerToken)
        }
    }

    /// Checks that the sizes are positive and consistent and that the activation is supported.
    public func validate() throws(MiniCPMConfigurationError) {
        for (key, value) in [("vocab_size", vocabularySize), ("hidden_size", hiddenSize),
                             ("intermediate_size", intermediateSize), ("num_hidden_layers", layerCount),
                             ("num_attention_heads", attentionHeadCount), ("num_key_value_heads", keyValueHeadCount),
                             ("max_position_embeddings", maxPositionEmbeddings)] where value <= 0 {
            throw .invalidValue(key: key, value: "\(value) (must be positive)")
        }
        guard hiddenSize % attentionHeadCount == 0 else {
            throw .inconsistent("num_attention_heads \(attentionHeadCount) does not divide hidden_size \(hiddenSize)")
        }
        guard attentionHeadCount % keyValueHeadCount == 0 else {
            throw .inconsistent("num_key_value_heads \(keyValueHeadCount) does not divide num_attention_heads \(attentionHeadCount)")
        }
        guard headDimension % 2 == 0 else {
            throw .inconsistent("head dimension \(headDimension) is odd; rotary embeddings need an even one")
        }
        guard hiddenActivation == "silu" else {
            throw .unsupportedActivation(hiddenActivation)
        }
        for (key, value) in [("rms_norm_eps", rmsNormEpsilon), ("rope_theta", ropeTheta), ("scale_emb", embeddingScale),
                             ("scale_depth", depthScale), ("dim_model_base", baseModelDimension)]
        where !(value > 0) || !value.isFinite {
            throw .invalidValue(key: key, value: "\(value) (must be positive and finite)")
        }
        if expertCount < 0 || expertsPerToken < 0 || (expertCount > 0 && !(1...expertCount).contains(expertsPerToken)) {
            throw .inconsistent("num_experts_per_tok \(expertsPerToken) must lie in 1...num_experts \(expertCount)")
        }
        if let ropeScaling { try ropeScaling.validate(headDimension: headDimension) }
    }

    /// Reads and validates a `config.json`.
    public static func load(contentsOf url: URL) throws(MiniCPMConfigurationError) -> MiniCPMConfiguration {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .unreadable(path: url.path, reason: error.localizedDescription)
        }
        do {
            return try JSONDecoder().decode(MiniCPMConfiguration.self, from: data)
        } catch let error as MiniCPMConfigurationError {
            throw error.in(file: url.path)
        } catch let DecodingError.dataCorrupted(context) {
            throw MiniCPMConfigurationError.unreadable(path: url.path, reason: context.debugDescription)
        } catch let DecodingError.typeMismatch(_, context) {
            throw MiniCPMConfigurationError.invalidValue(key: context.codingPath.map(\.stringValue).joined(separator: "."),
                                                         value: context.debugDescription).in(file: url.path)
        } catch {
            throw .unreadable(path: url.path, reason: "\(error)")
        }
    }

    // MARK: Lenient number decoding (config files write 12 and 12.0 alike)

    private static func decodeInt(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Int {
        if let i = try? c.decode(Int.self, forKey: key) { return i }
        if let d = try? c.decode(Double.self, forKey: key), d == d.rounded(), abs(d) < 1e15 { return Int(d) }
        throw MiniCPMConfigurationError.invalidValue(key: key.stringValue, value: "not an integer")
    }

    private static func decodeIntIfPresent(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Int? {
        guard c.contains(key), try !c.decodeNil(forKey: key) else { return nil }
        return try decodeInt(c, key)
    }

    private static func decode<T: Decodable>(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> T? {
        guard c.contains(key), try !c.decodeNil(forKey: key) else { return nil }
        do { return try c.decode(T.self, forKey: key) } catch let error as MiniCPMConfigurationError {
            throw error
        } catch {
            throw MiniCPMConfigurationError.invalidValue(key: key.stringValue, value: "not a valid \(T.self)")
        }
    }
}

/// A problem with a MiniCPM configuration, naming the key or file at fault.
public enum MiniCPMConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case missingKey(String)
    case invalidValue(key: String, value: String)
    case inconsistent(String)
    case unsupportedActivation(String)
    case unsupportedRopeScaling(String)
    /// A valid key whose value asks for something this version does not build yet.
    case notSupported(key: String, value: String, reason: String)
    /// One of the other errors, found in a file.
    indirect case inFile(path: String, MiniCPMConfigurationError)

    func `in`(file path: String) -> MiniCPMConfigurationError {
        if case .inFile = self { return self }
        return .inFile(path: path, self)
    }

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read configuration \(path): \(reason)"
        case let .missingKey(key): return "configuration is missing the required key \"\(key)\""
        case let .invalidValue(key, value): return "configuration key \"\(key)\" has an invalid value: \(value)"
        case let .inconsistent(what): return "inconsistent configuration: \(what)"
        case let .unsupportedActivation(name): return "unsupported hidden_act \"\(name)\" (MiniCPM uses \"silu\")"
        case let .unsupportedRopeScaling(what): return "unsupported rope_scaling: \(what)"
        case let .notSupported(key, value, reason): return "configuration key \"\(key)\" = \(value) is not supported: \(reason)"
        case let .inFile(path, error): return "\(path): \(error.description)"
        }
    }
}

extension MiniCPMConfigurationError: LocalizedError {
    public var errorDescription: String? { description }
}
