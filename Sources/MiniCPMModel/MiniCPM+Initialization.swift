import TensorCore

extension MiniCPM {
    /// The structure a configuration describes, every tensor still to be built (empty).
    ///
    /// This is where the configuration chooses the blocks: a `num_experts` above 0 asks for a
    /// ``MixtureOfExperts`` block in every layer instead of the dense ``MLP``.
    init(unbuilt c: MiniCPMConfiguration) throws(MiniCPMConfigurationError) {
        try c.validate()
        let norm = RMSNorm(weight: Tensor.zeros([0]), epsilon: c.rmsNormEpsilon)
        let attention = Attention(configuration: c, query: Linear.unbuilt, key: Linear.unbuilt,
                                  value: Linear.unbuilt, output: Linear.unbuilt)
        let feedForward: any FeedForward = c.expertCount > 0
            ? MixtureOfExperts(routerWeight: Tensor.zeros([0, 0]),
                               experts: Array(repeating: Expert(gate: Linear.unbuilt, up: Linear.unbuilt, down: Linear.unbuilt),
                                              count: c.expertCount),
                               expertsPerToken: c.expertsPerToken)
            : MLP(gate: Linear.unbuilt, up: Linear.unbuilt, down: Linear.unbuilt)
        let layer = DecoderLayer(inputNorm: norm, attention: attention, postAttentionNorm: norm, feedForward: feedForward,
                                 residualScale: c.residualScale)
        self.init(configuration: c, embedding: Embedding(weight: Tensor.zeros([0, 0])),
                  layers: Array(repeating: layer, count: c.layerCount), finalNorm: norm,
                  outputHead: c.tieWordEmbeddings ? nil : Linear.unbuilt)
    }

    /// Every tensor a dense model of `configuration` holds, in parameter order: Hugging Face and
    /// GGUF names, shapes and roles (with `num_experts` > 0, each layer's router and experts).
    /// - Throws: the configuration's validation errors.
    public static func tensorDeclarations(for configuration: MiniCPMConfiguration) throws(MiniCPMConfigurationError) -> [TensorDeclaration] {
        try MiniCPM(unbuilt: configuration).tensorDeclarations
    }

    /// The declarations of this model's tensors as a dense model holds them: a substituted linear
    /// layer is declared by the dense weight it stands for.
    public var tensorDeclarations: [TensorDeclaration] {
        var out: [TensorDeclaration] = []
        visitDeclarations(in: DeclarationScope(configuration: configuration)) { out.append($0) }
        return out
    }

    /// Builds every part of the configuration's model from `factory`, which is asked for each tensor
    /// (and each linear layer) once, in parameter order. Random initialisation and checkpoint
    /// loading share it.
    ///
    /// - Throws: the configuration's errors (``MiniCPMConfigurationError``), and whatever the factory throws.
    public init(configuration: MiniCPMConfiguration, factory: ParameterFactory) throws {
        try self.init(unbuilt: configuration)
        try build(in: DeclarationScope(configuration: configuration), using: factory)
    }

    /// Builds every part from `makeTensor`, dense linear layers over its tensors (see
    /// ``init(configuration:factory:)``).
    public init(configuration: MiniCPMConfiguration, makeTensor: (TensorDeclaration) throws -> Tensor) throws {
        self = try withoutActuallyEscaping(makeTensor) { make in
            try MiniCPM(configuration: configuration, factory: ParameterFactory(makeTensor: make))
        }
    }

    /// A freshly initialised model (paper Table 7 / Appendix A.1, muP): linear weights
    /// `N(0, (init_std / √(d_m / d_base))²)`, the embedding table `N(0, init_std²)` (muP keeps input
    /// weights width-independent; `scale_emb` multiplies its output), norm gains 1. `init_std` is the
    /// configuration's `initializer_range`. Deterministic for a given seed.
    ///
    /// - Throws: the configuration's validation errors.
    public init(configuration c: MiniCPMConfiguration, seed: UInt64) throws(MiniCPMConfigurationError) {
        var rng = SeededRandom(seed: seed)
        let linearStd = c.initializerRange / c.widthMultiplier.squareRoot()
        do {
            try self.init(configuration: c) { declaration in
                switch declaration.role {
                case .embedding: return Tensor.normal(declaration.shape, standardDeviation: c.initializerRange, using: &rng)
                case .linearWeight, .router: return Tensor.normal(declaration.shape, standardDeviation: linearStd, using: &rng)
                case .normGain: return Tensor.ones(declaration.shape)
                case .bias: return Tensor.zeros(declaration.shape)
                }
            }
        } catch let error as MiniCPMConfigurationError {
            throw error
        } catch {
            preconditionFailure("random initialisation threw \(error)")
        }
    }
}
