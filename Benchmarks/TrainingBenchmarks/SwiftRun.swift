import BenchmarkSupport
import CBLAS
import Foundation
import MiniCPMModel
import Optimizers
import TensorCore

/// The Swift side of one configuration, run in a fresh process (so its peak memory is its own):
/// builds the model, takes warm-up steps, resets the peak-memory counter, then times `steps`
/// training steps (forward, backward, AdamW) and optionally the operation breakdown.
enum SwiftRun {
    static func run(shape: TrainingShape, batch: Int, sequence: Int, threads: Int, warmup: Int, steps: Int,
                    breakdown: Bool) throws -> RunResult {
        Parallelism.threadCount = threads
        let c = shape.configuration
        var model = try MiniCPM(configuration: c, seed: 0).requiringGradients()
        var optimizer = AdamW(groups: .miniCPM(model, widthMultiplier: Double(c.widthMultiplier), weightDecay: 0.1),
                              learningRate: 0.01, beta1: 0.9, beta2: 0.95, epsilon: 1e-8)
        let (inputs, targets) = batchOfTokens(batch: batch, sequence: sequence, vocabulary: c.vocabularySize)

        func step() throws -> RunResult.Step {
            let system = systemCPUSeconds(), cpu = processCPUSeconds(), faults = MemorySnapshot.now().minorFaults
            let t0 = clock.now
            let loss = try model.loss(inputs: inputs, targets: targets)
            let t1 = clock.now
            loss.backward()
            let t2 = clock.now
            try optimizer.step(&model)
            let t3 = clock.now
            return RunResult.Step(seconds: seconds(t3 - t0), forward: seconds(t1 - t0), backward: seconds(t2 - t1),
                                  optimizer: seconds(t3 - t2), loss: Double(loss.scalar),
                                  systemSeconds: systemCPUSeconds() - system,
                                  minorFaults: MemorySnapshot.now().minorFaults - faults,
                                  cpuSeconds: processCPUSeconds() - cpu)
        }
        for i in 0..<warmup {
            let s = try step()
            progress("swift warm-up step \(i): \(format(s.seconds, 2)) s, loss \(format(s.loss, 4))")
        }
        let resetWorked = resetPeakResidentBytes()
        var timed: [RunResult.Step] = []
        for i in 0..<steps {
            let s = try step()
            timed.append(s)
            progress("swift step \(i): \(format(s.seconds, 2)) s (forward \(format(s.forward, 2)), backward " +
                     "\(format(s.backward, 2)), AdamW \(format(s.optimizer, 2)); kernel \(format(s.systemSeconds ?? 0, 2)) s, " +
                     "\(s.minorFaults ?? 0) page faults; CPU \(format(s.cpuSeconds ?? 0, 2)) s), loss \(format(s.loss, 4))")
        }
        let peak = peakResidentBytes()
        let stepSeconds = median(timed.map(\.seconds))
        var result = RunResult(
            implementation: "swift", threads: threads, shape: shape.rawValue, batch: batch, seq: sequence,
            parameters: model.parameterCount, steps: timed, medianStepSeconds: stepSeconds,
            tokensPerSecond: Double(batch * sequence) / stepSeconds,
            peakStepResidentBytes: resetWorked ? peak : nil, peakProcessResidentBytes: resetWorked ? nil : peak)
        result.sgemmGFLOPS = sgemmGFLOPS(rows: batch * sequence, columns: c.intermediateSize, depth: c.hiddenSize)
        if breakdown {
            progress("timing the operations of a step in isolation…")
            let optimizerSeconds = median(timed.map(\.optimizer))
            result.breakdown = OperationBreakdown.measure(configuration: c, batch: batch, sequence: sequence)
                + [BreakdownEntry(part: "AdamW step", seconds: optimizerSeconds)]
        }
        Parallelism.threadCount = threads
        return result
    }

    /// A fixed pseudo-random batch (the same every run): `inputs[b]` and `targets[b]` shifted by one.
    static func batchOfTokens(batch: Int, sequence: Int, vocabulary: Int) -> ([[Int]], [[Int]]) {
        var rng = SeededRandom(seed: 7)
        var inputs: [[Int]] = [], targets: [[Int]] = []
        for _ in 0..<batch {
            let ids = (0...sequence).map { _ in Int(rng.next() % UInt64(vocabulary)) }
            inputs.append(Array(ids.dropLast()))
            targets.append(Array(ids.dropFirst()))
        }
        return (inputs, targets)
    }

    /// Raw `cblas_sgemm` at `[rows, depth] · [depth, columns]`, best of ten, at the current thread
    /// count: the ceiling a linear layer of the step can reach.
    static func sgemmGFLOPS(rows: Int, columns: Int, depth: Int) -> Double {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: rows * depth)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: depth * columns)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: rows * columns)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        a.initialize(repeating: 0.01, count: rows * depth)
        b.initialize(repeating: 0.02, count: depth * columns)
        c.initialize(repeating: 0, count: rows * columns)
        var best = Double.infinity
        for _ in 0..<10 {
            best = min(best, seconds {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(columns), Int32(depth),
                            1, a, Int32(depth), b, Int32(depth), 0, c, Int32(columns))
            })
        }
        blackHole(c, count: rows * columns)
        return 2 * Double(rows) * Double(columns) * Double(depth) / best / 1e9
    }
}
