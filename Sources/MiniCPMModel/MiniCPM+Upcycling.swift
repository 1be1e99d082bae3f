import TensorCore

extension MiniCPM {
    /// Sparse upcycling (Komatsuzaki et al. 2022): the mixture-of-experts model whose every layer
    /// has `experts` copies of this dense model's MLP as its experts, routes each token to
    /// `activePerToken` of them, and has a fresh router `~ N(0, routerStandardDeviation²)` drawn
    /// from `seed`. Attention, norms, embeddings and head are shared with this model (copy-on-write).
    ///
    /// Since every expert computes the same function and the kept router weights are renormalised
    /// to sum to 1, the new model starts where the dense one is: exactly so with a zero router and
    /// `activePerToken` 1 or 2 (weights 1 or ½, exact in binary), within float rounding otherwise.
    /// Continued training then makes the experts diverge.
    ///
    /// ```swift
    /// let moe = try dense.upcycled(experts: 8, activePerToken: 2)
    /// try moe.save(to: directory)
    /// ```
    /// - Throws: ``MiniCPMConfigurationError/inconsistent(_:)`` when a layer's block is not a dense
    ///   ``MLP`` (the model already has experts, or another block was substituted), and the
    ///   configuration's validation errors for impossible counts (`activePerToken` outside
    ///   `1...experts`).
    public func upcycled(experts: Int, activePerToken: Int, routerStandardDeviation: Float = 0.01,
                         seed: UInt64 = 0) throws(MiniCPMConfigurationError) -> MiniCPM {
        var c = configuration
        c.expertCount = experts
        c.expertsPerToken = activePerToken
        guard experts > 0 else { throw .invalidValue(key: "num_experts", value: "\(experts) (upcycling needs at least one expert)") }
        try c.validate()
        guard routerStandardDeviation >= 0, routerStandardDeviation.isFinite else {
            throw .invalidValue(key: "router standard deviation", value: "\(routerStandardDeviation) (must be finite and non-negative)")
        }
        var rng = SeededRandom(seed: seed)
        var newLayers = layers
        for i in newLayers.indices {
            guard let mlp = newLayers[i].feedForward as? MLP else {
                throw .inconsistent("layer \(i)'s feed-forward block is \(type(of: newLayers[i].feedForward)), not a dense MLP to upcycle")
            }
            let router = Tensor.normal([experts, c.hiddenSize], standardDeviation: routerStandardDeviation, using: &rng)
            newLayers[i].feedForward = MixtureOfExperts(routerWeight: router,
                                                        experts: Array(repeating: Expert(copying: mlp), count: experts),
                                                        expertsPerToken: activePerToken)
        }
        var model = MiniCPM(configuration: c, embedding: embedding, layers: newLayers, finalNorm: finalNorm,
                            outputHead: outputHead)
        model.maximumContextLength = maximumContextLength
        return model
    }
}
