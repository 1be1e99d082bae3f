import Foundation
import MiniCPMModel
import Optimizers
import Schedulers
import TensorCore
import Training

/// A small model, a periodic token stream and a WSD schedule: enough to train for a few steps in
/// well under a second each.
enum TinyRun {
    static let configuration: MiniCPMConfiguration = {
        var c = MiniCPMConfiguration(vocabularySize: 48, hiddenSize: 32, intermediateSize: 64, layerCount: 2,
                                     attentionHeadCount: 4, keyValueHeadCount: 2)
        c.embeddingScale = 12
        c.depthScale = 1.4
        c.baseModelDimension = 16
        c.initializerRange = 0.1
        return c
    }()

    /// A stream with structure to learn: a repeating pattern with seeded noise.
    static let tokens: [Int] = {
        var generator = SeededRandom(seed: 99)
        return (0..<4_000).map { i in generator.next() % 5 == 0 ? Int(generator.next() % 48) : (i * 7) % 41 }
    }()

    static func trainer(seed: UInt64 = 1, steps: Int = 40) throws -> Trainer<TokenWindowSource, LanguageModelingObjective> {
        let model = try MiniCPM(configuration: configuration, seed: seed)
        let schedule = WSDSchedule(peak: 0.01, warmupSteps: 4, stableEnd: steps * 8 / 10,
                                   decay: .exponential(halfLife: Double(steps) / 20))
        let optimizer = AdamW(groups: .miniCPM(model, widthMultiplier: Double(configuration.widthMultiplier), weightDecay: 0.1),
                              schedule: schedule, maxGradientNorm: 1)
        return Trainer(model: model, optimizer: optimizer, source: TokenWindowSource(tokens: tokens, length: 16, seed: seed),
                       objective: LanguageModelingObjective(), batchSize: .tokens(ConstantBatchSize(tokens: 128), sequenceLength: 16),
                       microBatchSize: 3)
    }
}
