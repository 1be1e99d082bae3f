import MiniCPMModel
import TensorCore

/// Tiny MiniCPM models for the objective tests: fast enough to run forward passes by the dozen.
enum TinyModels {
    /// Vocabulary of ``TinyChatTokenizer``, hidden 16, one layer.
    static var configuration: MiniCPMConfiguration {
        var c = MiniCPMConfiguration(vocabularySize: TinyChatTokenizer().vocabularySize, hiddenSize: 16,
                                     intermediateSize: 32, layerCount: 1, attentionHeadCount: 2)
        c.initializerRange = 0.5
        return c
    }

    /// A model with seeded random weights.
    static func model(seed: UInt64) throws -> MiniCPM {
        try MiniCPM(configuration: configuration, seed: seed)
    }

    /// `model` with every weight moved by Gaussian noise of `scale`: a "policy" that differs from its
    /// reference.
    static func perturbed(_ model: MiniCPM, scale: Float, seed: UInt64) -> MiniCPM {
        var copy = model
        var generator = SeededRandom(seed: seed)
        copy.updateParameters(prefix: "") { _, tensor in
            let noise = (0..<tensor.count).map { _ in Float(generator.nextGaussian()) * scale }
            tensor = tensor.detached() + Tensor(shape: tensor.shape, scalars: noise)
        }
        return copy
    }
}
