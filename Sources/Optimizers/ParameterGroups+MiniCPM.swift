import TensorCore

extension ParameterGroups {
    /// MiniCPM's muP ("Tensor Program") learning-rate groups (paper §3 and Appendix A.1), from the
    /// role each parameter is declared with (``ParameterRole``):
    ///
    /// | group        | roles                                                            | learning rate         | weight decay |
    /// |--------------|------------------------------------------------------------------|-----------------------|--------------|
    /// | `matrices`   | `linearWeight` (attention, MLP, an untied `lm_head`) and `router` | `lr / widthMultiplier` | `weightDecay` |
    /// | `embeddings` | `embedding` (`model.embed_tokens.weight`, also the output layer when tied) | `lr`          | `embeddingWeightDecay ?? weightDecay` |
    /// | `norms`      | `normGain`                                                       | `lr`                  | 0 |
    /// | `biases`     | `bias`                                                           | `lr`                  | 0 |
    ///
    /// `widthMultiplier` is `hidden_size / dim_model_base` (`MiniCPMConfiguration.widthMultiplier`),
    /// so the paper's tuned base rate of 0.01 carries over to every width. Empty groups are left out.
    ///
    /// **The embedding's decay.** By default the embedding table is decayed like the matrices (as
    /// Megatron-LM and nanoGPT treat every 2-D tensor, and as a tied table also serves as the output
    /// layer), but at the base learning rate, so its effective per-step decay `lr · wd` is
    /// `widthMultiplier` times that of the matrices. Pass `embeddingWeightDecay: 0` to exempt it.
    /// Norm gains are never decayed: pulling them towards 0 rather than 1 only fights the
    /// normalisation.
    ///
    /// ```swift
    /// let groups = ParameterGroups.miniCPM(model.parameterRoles,
    ///                                      widthMultiplier: Double(model.configuration.widthMultiplier),
    ///                                      weightDecay: 0.1)
    /// ```
    ///
    /// - Precondition: `widthMultiplier` is finite and positive; the decays finite and non-negative;
    ///   parameter names are unique.
    public static func miniCPM(_ roles: [(name: String, role: ParameterRole)], widthMultiplier: Double,
                               weightDecay: Double, embeddingWeightDecay: Double? = nil) -> ParameterGroups {
        precondition(widthMultiplier.isFinite && widthMultiplier > 0,
                     "ParameterGroups.miniCPM: width multiplier must be finite and positive, got \(widthMultiplier)")
        var names: [ParameterRole: [String]] = [:]
        for (name, role) in roles {
            names[role == .router ? .linearWeight : role, default: []].append(name)
        }
        let candidates = [
            ParameterGroup(name: "matrices", parameterNames: names[.linearWeight] ?? [],
                           learningRateMultiplier: 1 / widthMultiplier, weightDecay: weightDecay),
            ParameterGroup(name: "embeddings", parameterNames: names[.embedding] ?? [],
                           learningRateMultiplier: 1, weightDecay: embeddingWeightDecay ?? weightDecay),
            ParameterGroup(name: "norms", parameterNames: names[.normGain] ?? [], learningRateMultiplier: 1, weightDecay: 0),
            ParameterGroup(name: "biases", parameterNames: names[.bias] ?? [], learningRateMultiplier: 1, weightDecay: 0),
        ]
        do {
            return try ParameterGroups(candidates.filter { !$0.parameterNames.isEmpty })
        } catch {
            preconditionFailure("ParameterGroups.miniCPM: \(error)")
        }
    }

    /// MiniCPM's muP groups for every parameter of `parameters`, by the roles it declares
    /// (``ParameterContainer/parameterRoles``); see the overload that takes roles for the rule.
    public static func miniCPM(_ parameters: some ParameterContainer, widthMultiplier: Double,
                               weightDecay: Double, embeddingWeightDecay: Double? = nil) -> ParameterGroups {
        miniCPM(parameters.parameterRoles, widthMultiplier: widthMultiplier, weightDecay: weightDecay,
                embeddingWeightDecay: embeddingWeightDecay)
    }
}
