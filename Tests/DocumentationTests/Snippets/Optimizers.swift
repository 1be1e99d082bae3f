import Foundation
import MiniCPMModel
import Optimizers
import Schedulers

/// The snippet of `Sources/Optimizers/Optimizers.docc/Optimizers.md`, verbatim.
enum OptimizersSnippets {
    static func overview(configuration: MiniCPMConfiguration, batches: [(inputs: [[Int]], targets: [[Int]])],
                         checkpoint: URL) throws -> (MiniCPM, AdamW) {
        var model = try MiniCPM(configuration: configuration, seed: 1).requiringGradients()   // what to train

        let wsd = WSDSchedule(peak: 0.01, warmupSteps: 100, stableEnd: 8_000, decay: .exponential(halfLife: 5_000))
        var optimizer = AdamW(groups: .miniCPM(model, widthMultiplier: Double(configuration.widthMultiplier),
                                               weightDecay: 0.1),
                              schedule: wsd, beta1: 0.9, beta2: 0.95, maxGradientNorm: 1)

        for batch in batches {
            try model.loss(inputs: batch.inputs, targets: batch.targets).backward()
            let report = try optimizer.step(&model)    // updates, clears the gradients
            print(report.learningRate, report.gradientNorm)
        }
        try optimizer.save(to: checkpoint)             // optimizer.safetensors + optimizer.json
        return (model, optimizer)
    }
}
