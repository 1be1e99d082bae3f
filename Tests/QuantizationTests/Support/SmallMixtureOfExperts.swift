import MiniCPMModel

/// A random MiniCPM-MoE of 2 layers, 4 experts, top 2, untied head, whose hidden size 64 and expert
/// intermediate size 32 are whole 32-weight blocks for every projection (Q4_0/Q8_0, int4 groups).
/// `initializerRange` 0.2 gives outputs of order 1 rather than the default initialisation's 1e-5.
func smallMixtureOfExperts(initializerRange: Float? = nil) throws -> MiniCPM {
    var c = MiniCPMConfiguration(vocabularySize: 96, hiddenSize: 64, intermediateSize: 32, layerCount: 2,
                                 attentionHeadCount: 4, keyValueHeadCount: 2)
    c.expertCount = 4
    c.expertsPerToken = 2
    c.tieWordEmbeddings = false
    if let initializerRange { c.initializerRange = initializerRange }
    return try MiniCPM(configuration: c, seed: 5)
}
