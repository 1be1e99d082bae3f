extension MiniCPMConfiguration {
    /// The most tokens the model was trained (or, with a linear or dynamic `rope_scaling`, scaled)
    /// to attend over: `max_position_embeddings` times the scaling factor, `KVCache`'s default
    /// ``KVCache/maximumLength``. A longer context is allowed but extrapolates (llama.cpp warns
    /// about it as "possible training context overflow").
    public var trainedContextLength: Int { KVCache.defaultMaximumLength(self) }
}
