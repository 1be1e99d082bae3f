import Charts
import Foundation
import Schedulers

/// The snippets of `Docs/ComposingSchedules.md`, verbatim. (Its `LearningRateSchedule` excerpt stands
/// in `Sources/Schedulers/LearningRateSchedule.swift`; its manifest fragment is checked against
/// `Package.swift`.)
enum ComposingSchedules {
    static func workedWSDExample() -> WSDSchedule<ExponentialDecay> {
        let wsd = WSDSchedule(peak: 0.01, warmupSteps: 100, stableEnd: 8_000,
                              decay: .exponential(halfLife: 5_000))
        return wsd
    }

    static func wsdAsAComposition() -> BranchedDecay<LinearWarmup<ConstantSchedule>, ExponentialDecay> {
        let composed = ConstantSchedule(learningRate: 0.01)
            .warmingUp(over: 100)
            .branchingDecay(at: 8_000, .exponential(halfLife: 5_000))
        return composed
    }

    static func pretrainingThenFineTuning() -> (pretraining: WSDSchedule<LinearDecay>, fineTuning: CosineSchedule,
                                                schedule: ClampedSchedule<JoinedSchedule>) {
        let pretraining = WSDSchedule(peak: 0.01, warmupSteps: 100, stableEnd: 8_000,
                                      decay: .linear(steps: 1_000, floor: 0.1))
        let fineTuning = CosineSchedule(peak: 0.001, warmupSteps: 50, endStep: 2_000)
        let schedule = pretraining
            .followed(by: fineTuning, at: 9_000)           // fineTuning's step 0 is the run's step 9000
            .clamped(to: 1e-5 ... .infinity)               // never below 1e-5
        return (pretraining, fineTuning, schedule)
    }

    static func branchingDecays() -> (main: LinearWarmup<ConstantSchedule>,
                                      branches: [BranchedDecay<LinearWarmup<ConstantSchedule>, LinearDecay>],
                                      rate: Double, end: Int?) {
        let main = ConstantSchedule(learningRate: 0.01).warmingUp(over: 100)
        let branches = [2_500, 5_000, 7_500].map { S in
            main.branchingDecay(at: S, .linear(steps: S / 10))    // decay over 10 % more steps
        }
        let rate = branches[1].learningRate(atStep: 5_250)   // 0.005
        let end = branches[1].decayEnd                        // 5500
        return (main, branches, rate, end)
    }

    static func cosineSchedules() -> (cosine: CosineSchedule, loop: CosineLoopSchedule) {
        let cosine = CosineSchedule(peak: 0.01, warmupSteps: 100, endStep: 10_000)
        let loop = CosineLoopSchedule(peak: 0.01, warmupSteps: 100, endStep: 4_000)
        return (cosine, loop)
    }

    static func batchSizes() -> (batch: SteppedBatchSize, tokens: Int, consumed: Int) {
        let batch = SteppedBatchSize(initialTokens: 2_000_000,
                                     changes: [.init(step: 10_000, tokens: 4_000_000)])   // 2M → 4M
        let tokens = batch.batchSize(atStep: 10_000)            // 4_000_000
        let consumed = batch.tokensConsumed(beforeStep: 12_000) // 2M · 10000 + 4M · 2000
        return (batch, tokens, consumed)
    }

    static func batchSizeLaw() -> (law: BatchSizeLaw, batchSize: Double, loss: Double) {
        let law = BatchSizeLaw.miniCPM
        let batchSize = law.optimalBatchSize(forLoss: 2.5)   // ≈ 3.98M tokens
        let loss = law.loss(forBatchSize: 4_000_000)         // ≈ 2.498: the loss at which 4M becomes optimal
        return (law, batchSize, loss)
    }

    /// Writes `wsd.csv` and `wsd.svg` into the current directory.
    static func export(_ wsd: WSDSchedule<ExponentialDecay>) throws -> (steps: [Int], series: ChartSeries) {
        let steps = ChartSeries.evenlySpacedSteps(through: 10_000, count: 501)
        let series = ChartSeries(name: "WSD", schedule: wsd, steps: steps)
        try CSVExport.write([series], to: URL(fileURLWithPath: "wsd.csv"))
        try LineChart(title: "WSD", series: [series]).write(to: URL(fileURLWithPath: "wsd.svg"))
        return (steps, series)
    }

    static func fitting(_ observations: [LossObservation]) throws -> ScalingLawFit {
        let fit = try LossScalingLaw.fit(observations)   // [LossObservation(parameters:tokens:loss:)]
        print(fit.report)
        return fit
    }

    static func computeOptimalAllocation(_ fit: ScalingLawFit)
        -> (k: Double, eta: Double, ratio: Double, tokensPerParameter: Double, parameters: Double, tokens: Double) {
        let law = fit.law
        let k = law.allocationCoefficient                                    // K
        let eta = law.allocationExponent                                     // η
        let ratio = law.optimalModelToDataRatio(forCompute: 1e22)            // N_opt / D_opt
        let tokensPerParameter = law.optimalTokensPerParameter(forCompute: 1e22)   // D_opt / N_opt, the data-to-model ratio
        let parameters = law.optimalParameters(forCompute: 1e22)             // N_opt
        let tokens = law.optimalTokens(forCompute: 1e22)                     // D_opt
        return (k, eta, ratio, tokensPerParameter, parameters, tokens)
    }

    static func lossEnvelope(_ allPoints: [ComputeLossPoint]) throws
        -> (envelope: [ComputeLossPoint], comparison: LossEnvelope.Comparison, better: LossEnvelope.Form,
            curve: PowerLawEnvelope, exponentialRMSE: Double) {
        let envelope = LossEnvelope.frontier(of: allPoints)
        let comparison = try LossEnvelope.fit(envelope)
        let better = comparison.better                 // .powerLaw
        let curve = comparison.powerLaw.curve          // PowerLawEnvelope(coefficient:exponent:irreducibleLoss:)
        let exponentialRMSE = comparison.exponential.rootMeanSquareError   // far above the power law's
        return (envelope, comparison, better, curve, exponentialRMSE)
    }
}
