import MiniCPMModel

/// The model shapes the benchmark trains; Benchmarks/pytorch/train_step.py knows the same names.
enum TrainingShape: String, CaseIterable, Codable {
    /// The paper's wind-tunnel 0.036B row (hidden 512, FFN 1280, 8 heads, 12 layers) with a
    /// 32,000-token vocabulary and tied embeddings: the shape.
    case windTunnel36M = "36M"
    /// The wind-tunnel 9M row (the paper's muP search model), vocabulary 32,000.
    case windTunnel9M = "9M"
    /// Two small layers and 1,000 tokens, for a smoke run.
    case tiny

    var configuration: MiniCPMConfiguration {
        switch self {
        case .windTunnel36M: return .windTunnel(.size30M, vocabularySize: 32_000)
        case .windTunnel9M: return .windTunnel(.size9M, vocabularySize: 32_000)
        case .tiny:
            // The same muP settings as the wind-tunnel shapes, at hidden 128 (width multiplier 0.5).
            var c = MiniCPMConfiguration.windTunnel(.size9M, vocabularySize: 1_000)
            c.hiddenSize = 128
            c.intermediateSize = 320
            c.attentionHeadCount = 2
            c.keyValueHeadCount = 2
            c.layerCount = 2
            return c
        }
    }
}

/// Floating-point operations of one training step (forward + backward), counting a multiply-add
/// as two: the linear layers (forward 2·m·n·k, backward twice that for the input and weight
/// gradients) and the attention products over the causally visible (query, key) pairs only (two
/// products forward, four backward).
struct StepCost: Codable {
    var linearFLOPs: Double
    var attentionFLOPs: Double
    var totalFLOPs: Double { linearFLOPs + attentionFLOPs }
    var parameters: Int

    init(configuration c: MiniCPMConfiguration, batch: Int, sequence: Int) {
        let tokens = Double(batch * sequence)
        let (d, f, v) = (Double(c.hiddenSize), Double(c.intermediateSize), Double(c.vocabularySize))
        let kv = Double(c.keyValueHeadCount * c.headDimension)
        let perLayer = 2 * d * d + 2 * d * kv + 3 * d * f       // q, o; k, v; gate, up, down
        linearFLOPs = 6 * tokens * (Double(c.layerCount) * perLayer + d * v)
        let pairs = Double(batch * c.attentionHeadCount) * Double(sequence * (sequence + 1) / 2)
        attentionFLOPs = 6 * 2 * pairs * Double(c.headDimension) * Double(c.layerCount)
        let layer = 4 * c.hiddenSize * c.hiddenSize + 3 * c.hiddenSize * c.intermediateSize + 2 * c.hiddenSize
        parameters = c.layerCount * layer + c.vocabularySize * c.hiddenSize + c.hiddenSize
    }
}
