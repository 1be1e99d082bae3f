import MiniCPMModel

/// The model the benchmark measures: SmolLM2-135M's layer shape (hidden 576, feed-forward 1536, 9
/// query and 3 KV heads of 64, `rope_theta` 100,000) with only `layers` of its 30 layers and a
/// vocabulary of 8,192, random weights. At 32 K tokens a prefill's attention is
/// `T²/2 · 9 · 128 · 2` ≈ 1.2 TFLOP per layer, about half a minute per layer on two cores, so the
/// whole 30-layer model (or MiniCPM-1.2B's 52 layers of 24 heads) would take a quarter to half an
/// hour per prompt; every per-layer figure scales linearly with the layer count. The small
/// vocabulary keeps the LM head (read once per decoded token) from hiding the attention's share
/// of a decoding step.
struct BenchmarkShape: Codable {
    var layers: Int
    var vocabulary = 8192
    var hidden = 576
    var intermediate = 1536
    var heads = 9
    var keyValueHeads = 3
    var ropeTheta: Float = 100_000

    func configuration(maximumLength: Int) -> MiniCPMConfiguration {
        var c = MiniCPMConfiguration(vocabularySize: vocabulary, hiddenSize: hidden, intermediateSize: intermediate,
                                     layerCount: layers, attentionHeadCount: heads, keyValueHeadCount: keyValueHeads)
        c.ropeTheta = ropeTheta
        c.maxPositionEmbeddings = maximumLength
        return c
    }

    /// The model with random weights (seeded), allowed `maximumLength` tokens.
    func model(maximumLength: Int) -> MiniCPM {
        // A valid dense configuration: nothing here can throw.
        try! MiniCPM(configuration: configuration(maximumLength: maximumLength), seed: 14)
    }

    /// Deterministic prompt ids spread over the vocabulary.
    func prompt(length: Int) -> [Int] { (0..<length).map { ($0 &* 7919 &+ 13) % vocabulary } }

    var label: String {
        "SmolLM2-135M layer shape (hidden \(hidden), ff \(intermediate), \(heads)/\(keyValueHeads) heads of \(hidden / heads)), " +
            "\(layers) layers, vocab \(vocabulary), random weights"
    }
}
