extension MiniCPMConfiguration {
    /// Whether the feed-forward blocks are mixtures of experts (`num_experts` > 0).
    public var hasExperts: Bool { expertCount > 0 }

    /// The non-embedding parameters one token's forward pass uses: with experts, the attention,
    /// norms, router and the `num_experts_per_tok` experts it is routed to (what sets the cost per
    /// token); for a dense model the same as ``nonEmbeddingParameterCount``.
    public var activeNonEmbeddingParameterCount: Int {
        guard expertCount > 0 else { return nonEmbeddingParameterCount }
        let inactiveExperts = expertCount - expertsPerToken
        return nonEmbeddingParameterCount - layerCount * inactiveExperts * 3 * hiddenSize * intermediateSize
    }
}
