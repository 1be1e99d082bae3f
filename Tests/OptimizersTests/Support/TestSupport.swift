import MiniCPMModel
import Optimizers
import Schedulers
import TensorCore
import XCTest

/// The model's parameters, seen by the optimizer (the requirements are identical; a module that
/// imports both targets states the conformance).

/// Parameters after each step of a hand-computed run (see `Reference/make_expected.py`).
struct ReferenceRun {
    var gradientNorms: [Double]
    var w: [[Double]]
    var b: [[Double]]
}

/// A schedule that returns a listed rate at each step.
struct ListedSchedule: LearningRateSchedule {
    var rates: [Double]
    func learningRate(atStep step: Int) -> Double { rates[min(step, rates.count - 1)] }
}

/// The two-parameter store of the reference runs, as gradient leaves.
func referenceParameters() -> [String: Tensor] {
    ["w": Tensor(shape: [2, 3], scalars: ReferenceValues.w0).requiringGradient(),
     "b": Tensor(shape: [3], scalars: ReferenceValues.b0).requiringGradient()]
}

/// The reference run's groups: `w` at half the rate with `matrixDecay`, `b` at the full rate without decay.
func referenceGroups(matrixDecay: Double) throws -> ParameterGroups {
    try ParameterGroups([
        ParameterGroup(name: "matrices", parameterNames: ["w"], learningRateMultiplier: 0.5, weightDecay: matrixDecay),
        ParameterGroup(name: "vectors", parameterNames: ["b"], learningRateMultiplier: 1, weightDecay: 0),
    ])
}

/// The reference gradient of element i at step t: `((7 i + 3 t + offset) mod 11 − 5) · scale[t] / 4`.
func referenceGradient(count: Int, offset: Int, step: Int) -> [Float] {
    (0..<count).map { i in Float((7 * i + 3 * step + offset) % 11 - 5) * ReferenceValues.gradientScales[step] / 4 }
}

/// Back-propagates `Σ p ⊙ G` so that each parameter's gradient is exactly its reference gradient
/// (`b` gets none at the skip step).
func backpropagateReferenceGradients(_ parameters: [String: Tensor], step: Int) {
    let w = parameters["w"]!, b = parameters["b"]!
    var loss = (w * Tensor(shape: [2, 3], scalars: referenceGradient(count: 6, offset: 0, step: step))).sum()
    if step != ReferenceValues.skipStep {
        loss = loss + (b * Tensor(shape: [3], scalars: referenceGradient(count: 3, offset: 5, step: step))).sum()
    }
    loss.backward()
}

/// Asserts that every element of `actual` is within a relative `tolerance` of `expected`.
func assertClose(_ actual: [Float], _ expected: [Double], tolerance: Double = 1e-6, _ message: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, message, file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        let error = abs(Double(a) - e) / max(1, abs(e))
        XCTAssertLessThanOrEqual(error, tolerance, "\(message)[\(i)]: \(a) vs \(e)", file: file, line: line)
    }
}

/// A fresh temporary directory, removed when the test ends.
func temporaryDirectory(_ testCase: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("OptimizersTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// A tiny MiniCPM with muP scales (width multiplier 16 / 4 = 4), grouped-query attention and,
/// optionally, an untied head.
func tinyConfiguration(tied: Bool) -> MiniCPMConfiguration {
    var c = MiniCPMConfiguration(vocabularySize: 23, hiddenSize: 16, intermediateSize: 24, layerCount: 2,
                                 attentionHeadCount: 4, keyValueHeadCount: 2)
    c.embeddingScale = 3
    c.depthScale = 1.4
    c.baseModelDimension = 4
    c.initializerRange = 0.1
    c.rmsNormEpsilon = 1e-5
    c.tieWordEmbeddings = tied
    return c
}

/// A tiny MiniCPM whose parameters are gradient leaves.
func trainableTinyModel(tied: Bool, seed: UInt64 = 5) throws -> MiniCPM {
    try MiniCPM(configuration: tinyConfiguration(tied: tied), seed: seed).requiringGradients()
}
