import Foundation

extension MiniCPMConfiguration {
    /// `model_type` values whose forward pass ``MiniCPM`` computes exactly.
    ///
    /// - `minicpm`: MiniCPM 1/2/4 and MiniCPM-MoE (`MiniCPMForCausalLM`, the model this library is).
    /// - `llama`: a Llama decoder is MiniCPM with every muP scale at 1, which is what the absent
    ///   `scale_emb`, `scale_depth` and `dim_model_base` keys default to (SmolLM2, TinyLlama, ...);
    ///   its `attention_bias` / `mlp_bias` variants are refused separately.
    ///
    /// Left out on purpose: `mistral` (sliding-window attention differs from full attention past the
    /// window), `qwen2` (biased q/k/v projections), `minicpm3` (multi-head latent attention),
    /// `minicpmv` (a vision tower) and every other family: loading them would compute something else
    /// without an error.
    static let supportedModelTypes: Set<String> = ["minicpm", "llama"]

    /// `architectures` entries (Hugging Face class names) of the supported families, with an LM head.
    static let supportedArchitectures: Set<String> = ["MiniCPMForCausalLM", "LlamaForCausalLM"]

    /// `torch_dtype` (or `dtype`, its name since transformers 4.56) values of the checkpoints this
    /// library reads: the weight types the loaders convert (F32, F16, BF16).
    static let supportedDTypes: Set<String> = ["float32", "float16", "bfloat16"]

    /// Refuses a `config.json` written for another model family or a weight type that does not
    /// exist, before anything else is read: such a file would otherwise load as MiniCPM (all its
    /// other keys have defaults) and produce confident nonsense. Absent or `null` keys pass.
    static func checkFamilyAndDType(_ c: KeyedDecodingContainer<CodingKeys>) throws(MiniCPMConfigurationError) {
        func strings(_ key: CodingKeys) throws(MiniCPMConfigurationError) -> [String]? {
            guard c.contains(key), (try? c.decodeNil(forKey: key)) == false else { return nil }
            if let single = try? c.decode(String.self, forKey: key) { return [single] }
            if key == .architectures, let list = try? c.decode([String].self, forKey: key) { return list }
            throw .invalidValue(key: key.stringValue, value: key == .architectures ? "not a list of strings" : "not a string")
        }
        func listed(_ set: Set<String>) -> String { set.sorted().map { "\"\($0)\"" }.joined(separator: ", ") }
        if let type = try strings(.modelType)?.first, !supportedModelTypes.contains(type) {
            throw .notSupported(key: "model_type", value: "\"\(type)\"",
                                reason: "this library runs the model types \(listed(supportedModelTypes)) only")
        }
        for name in try strings(.architectures) ?? [] where !supportedArchitectures.contains(name) {
            throw .notSupported(key: "architectures", value: "\"\(name)\"",
                                reason: "this library runs \(listed(supportedArchitectures)) only")
        }
        for key in [CodingKeys.torchDType, .dtype] {
            if let dtype = try strings(key)?.first, !supportedDTypes.contains(dtype) {
                throw .invalidValue(key: key.stringValue, value: "\"\(dtype)\" (expected \(listed(supportedDTypes)))")
            }
        }
        for key in [CodingKeys.attentionBias, .mlpBias] {
            if (try? c.decodeIfPresent(Bool.self, forKey: key)) == true {
                throw .notSupported(key: key.stringValue, value: "true", reason: "the projections of this model have no biases")
            }
        }
    }
}
