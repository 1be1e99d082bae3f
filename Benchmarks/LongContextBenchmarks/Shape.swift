import MiniCPMModel

/// The model the benchmark measures: one layer shape (by default SmolLM2-135M's: hidden 576,
/// feed-forward 1536, 9 query and 3 KV heads of 64, `rope_theta` 100,000; `--shape minicpm-1.2b`
/// MiniCPM-1.2B's: hidden 1536, feed-forward 3840, 24 query and 8 KV heads of 64, `rope_theta`
/// 10,000) with only `layers` of its layers and a vocabulary of 8,192, random weights. At 32 K
/// tokens a prefill's attention is `T²/2 · H · 128 · 2` ≈ 1.2 TFLOP per layer for 9 heads, 3.3 for
/// 24, about half a minute or a minute and a half per layer on two cores, so a whole model would
/// take a quarter to three quarters of an hour per prompt; every per-layer figure scales linearly
/// with the layer count. The small vocabulary keeps the LM head (read once per decoded token) from
/// hiding the attention's share of a decoding step.
struct BenchmarkShape: Codable {
    var name = "smollm2"
    var layers: Int
    var vocabulary = 8192
    var hidden = 576
    var intermediate = 1536
    var heads = 9
    var keyValueHeads = 3
    var ropeTheta: Float = 100_000

    /// The shape named `name` (`smollm2` or `minicpm-1.2b`) with `layers` layers, or nil.
    static func named(_ name: String, layers: Int) -> BenchmarkShape? {
        switch name {
        case "smollm2": return BenchmarkShape(layers: layers)
        case "minicpm-1.2b":
            return BenchmarkShape(name: name, layers: layers, hidden: 1536, intermediate: 3840, heads: 24, keyValueHeads: 8,
                                  ropeTheta: 10_000)
        default: return nil
        }
    }

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
        (name == "smollm2" ? "SmolLM2-135M" : "MiniCPM-1.2B") + " layer shape (hidden \(hidden), ff \(intermediate), \(heads)/\(keyValueHeads) heads of \(hidden / heads)), " +
            "\(layers) layers, vocab \(vocabulary), random weights"
    }
}
