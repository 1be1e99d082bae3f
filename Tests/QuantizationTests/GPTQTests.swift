import Foundation
import MiniCPMModel
import Quantization
import TensorCore
import TestSupport
import XCTest

/// GPTQ against the independent float64 numpy reference in Reference/gptq_reference.py (fixture
/// Fixtures/gptq.json), its damping retry and dead inputs, act-order, and the model-level
/// calibration on a small random MiniCPM.
final class GPTQTests: XCTestCase {
    struct Fixture: Decodable {
        struct Case: Decodable {
            let label: String, block_size: Int, act_order: Bool, static_groups: Bool, dead_input: Int?
            let codes: [Int], scales: [Double], zeros: [Double], loss: Double
        }
        let rows: Int, cols: Int, samples: Int, batch: Int, group_size: Int, damping: Double
        let weights: [Double], inputs: [Double], cases: [Case]
    }

    private func gaussian(_ count: Int, seed: UInt64, scale: Double = 1) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Float(generator.nextGaussian() * scale) }
    }

    /// Codes match the reference except for a tiny fraction of ±1 flips (rounding ties reached by
    /// different float64 operation orders), scales and zero points exactly, the loss to 1e-6.
    func testMatchesTheNumpyReference() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "gptq", withExtension: "json", subdirectory: "Fixtures"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        XCTAssertEqual(fixture.cases.count, 4)
        let weight = Tensor(shape: [fixture.rows, fixture.cols], scalars: fixture.weights.map { Float($0) })
        for c in fixture.cases {
            var inputs = fixture.inputs.map { Float($0) }
            if let dead = c.dead_input { for r in 0..<fixture.samples { inputs[r * fixture.cols + dead] = 0 } }
            var hessian = GPTQHessian(inputFeatures: fixture.cols)
            for start in stride(from: 0, to: fixture.samples, by: fixture.batch) {
                let slice = Array(inputs[(start * fixture.cols)..<((start + fixture.batch) * fixture.cols)])
                hessian.add(Tensor(shape: [fixture.batch, fixture.cols], scalars: slice))
            }
            let quantizer = GPTQQuantizer(options: GPTQOptions(groupSize: fixture.group_size, blockSize: c.block_size,
                                                               dampingFraction: fixture.damping, actOrder: c.act_order,
                                                               staticGroups: c.static_groups))
            let result = try quantizer.quantize(weight, hessian: hessian)
            XCTAssertEqual(result.dampingFraction, fixture.damping, c.label)
            let codes = result.weight.codes.map(Int.init)
            let flips = zip(codes, c.codes).filter { $0 != $1 }
            XCTAssertTrue(flips.allSatisfy { abs($0 - $1) == 1 }, c.label)
            XCTAssertLessThanOrEqual(Double(flips.count), 0.01 * Double(codes.count), c.label)
            print("GPTQ against numpy, \(c.label): \(flips.count) of \(codes.count) codes differ")
            XCTAssertEqual(result.weight.scales.map { Double($0) }, c.scales, c.label)
            XCTAssertEqual(result.weight.zeroPoints.map { Double($0) }, c.zeros, c.label)
            XCTAssertEqual(result.loss, c.loss, accuracy: c.loss * 1e-6, c.label)
            XCTAssertEqual(result.weight.groupIndex, (0..<fixture.cols).map { Int32($0 / fixture.group_size) }, c.label)
            if let dead = c.dead_input {
                let deq = result.weight.dequantized().scalars
                for r in 0..<fixture.rows { XCTAssertEqual(deq[r * fixture.cols + dead], 0, "a dead input's weight is 0") }
            }
        }
    }

    /// With H = I no error spreads to other columns, so GPTQ is exactly round-to-nearest.
    func testIdentityHessianReducesToRoundToNearest() throws {
        let (rows, cols) = (16, 128)
        let weight = Tensor(shape: [rows, cols], scalars: gaussian(rows * cols, seed: 1, scale: 0.05))
        var identity = [Double](repeating: 0, count: cols * cols)
        for i in 0..<cols { identity[i * cols + i] = 1 }
        let result = try GPTQQuantizer(options: GPTQOptions(groupSize: 32, blockSize: 48)).quantize(weight, hessian: identity)
        XCTAssertEqual(result.weight, try PackedInt4Weight(quantizing: weight, groupSize: 32))
    }

    /// The running average equals `2/n · XᵀX` over all rows at once, and the error it predicts is
    /// the measured `mean ‖Δ x‖²`.
    func testHessianRunningAverageAndPredictedError() throws {
        let (n, cols, rows) = (30, 32, 8)
        let x = gaussian(n * cols, seed: 2)
        var batched = GPTQHessian(inputFeatures: cols), whole = GPTQHessian(inputFeatures: cols)
        batched.add(Tensor(shape: [7, cols], scalars: Array(x[0..<(7 * cols)])))
        batched.add(Tensor(shape: [1, 23, cols], scalars: Array(x[(7 * cols)...])))
        whole.add(Tensor(shape: [n, cols], scalars: x))
        XCTAssertEqual(batched.sampleCount, n)
        for (a, b) in zip(batched.matrix, whole.matrix) { XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(b))) }
        var direct = 0.0
        for i in 0..<cols { for j in 0..<cols {
            var sum = 0.0
            for r in 0..<n { sum += Double(x[r * cols + i]) * Double(x[r * cols + j]) }
            XCTAssertEqual(whole.matrix[i * cols + j], 2 * sum / Double(n), accuracy: 1e-9 * max(1, abs(sum)))
        } }
        let w = Tensor(shape: [rows, cols], scalars: gaussian(rows * cols, seed: 3))
        let v = Tensor(shape: [rows, cols], scalars: gaussian(rows * cols, seed: 4))
        let outputs = matmul(Tensor(shape: [n, cols], scalars: x), w - v, transposeB: true).scalars
        direct = outputs.reduce(0) { $0 + Double($1) * Double($1) } / Double(n)
        XCTAssertEqual(whole.meanSquaredError(of: v, against: w), direct, accuracy: direct * 1e-5)
    }

    /// An indefinite H (smallest eigenvalue −0.05 of the mean diagonal) fails at 0, 0.001 and 0.01
    /// damping and succeeds at 0.1; below that maximum the quantizer throws, naming the layer.
    func testDampingRetryRecoversAnIndefiniteHessian() throws {
        let cols = 64
        let c = -1.05 / Double(cols - 1)                              // H = (1 − c) I + c J
        var h = [Double](repeating: c, count: cols * cols)
        for i in 0..<cols { h[i * cols + i] = 1 }
        let weight = Tensor(shape: [8, cols], scalars: gaussian(8 * cols, seed: 5))
        let result = try GPTQQuantizer(options: GPTQOptions(groupSize: 32, dampingFraction: 0)).quantize(weight, hessian: h)
        XCTAssertEqual(result.dampingFraction, 0.1, accuracy: 1e-12)
        XCTAssertTrue(result.loss.isFinite)
        let limited = GPTQQuantizer(options: GPTQOptions(groupSize: 32, dampingFraction: 0, maximumDampingFraction: 0.05))
        XCTAssertThrowsError(try limited.quantize(weight, hessian: h, name: "layer.weight")) { error in
            XCTAssertEqual(error as? QuantizationError, .singularHessian(layer: "layer.weight", dampingFraction: 0.01))
        }
    }

    /// Rank-deficient inputs (a dead column and a duplicated one) with no damping: the result is
    /// finite, the dead input's weights are 0, and GPTQ still beats round-to-nearest.
    func testDeadAndDuplicatedInputsWithoutDamping() throws {
        let (n, cols, rows) = (96, 64, 16)
        var x = gaussian(n * cols, seed: 6)
        for r in 0..<n { x[r * cols + 3] = 0; x[r * cols + 10] = x[r * cols + 9] }
        var hessian = GPTQHessian(inputFeatures: cols)
        hessian.add(Tensor(shape: [n, cols], scalars: x))
        let weight = Tensor(shape: [rows, cols], scalars: gaussian(rows * cols, seed: 7, scale: 0.05))
        let result = try GPTQQuantizer(options: GPTQOptions(groupSize: 32, blockSize: 16, dampingFraction: 0))
            .quantize(weight, hessian: hessian)
        let deq = result.weight.dequantized()
        XCTAssertTrue(deq.scalars.allSatisfy(\.isFinite))
        for r in 0..<rows { XCTAssertEqual(deq.scalars[r * cols + 3], 0) }
        let rtn = try PackedInt4Weight(quantizing: weight, groupSize: 32).dequantized()
        XCTAssertLessThan(hessian.meanSquaredError(of: deq, against: weight), hessian.meanSquaredError(of: rtn, against: weight))
    }

    /// Act-order with static groups keeps `g_idx = i / G`, dequantises consistently with it, and
    /// Int4Linear (both its matvec and tiled paths) equals dequantise-then-matmul; act-order
    /// without static groups is refused rather than producing a g_idx nothing can read.
    func testActOrderKeepsTheGroupIndexAndInt4LinearMatches() throws {
        let (n, cols, rows) = (80, 128, 32)
        let scalesOfInputs = (0..<cols).map { Float(0.2 + 3 * Double(($0 * 37) % cols) / Double(cols)) }
        let x = gaussian(n * cols, seed: 8).enumerated().map { $0.element * scalesOfInputs[$0.offset % cols] }
        var hessian = GPTQHessian(inputFeatures: cols)
        hessian.add(Tensor(shape: [n, cols], scalars: x))
        let weight = Tensor(shape: [rows, cols], scalars: gaussian(rows * cols, seed: 9, scale: 0.05))
        let ordered = try GPTQQuantizer(options: GPTQOptions(groupSize: 32, blockSize: 32, actOrder: true, staticGroups: true))
            .quantize(weight, hessian: hessian)
        let packed = ordered.weight
        XCTAssertEqual(packed.groupIndex, (0..<cols).map { Int32($0 / 32) })
        let deq = packed.dequantized().scalars, codes = packed.codes, zeros = packed.zeroPoints
        for r in 0..<rows { for i in 0..<cols {
            let g = Int(packed.groupIndex[i]) * rows + r
            XCTAssertEqual(deq[r * cols + i], Float(packed.scales[g]) * (Float(codes[r * cols + i]) - Float(zeros[g])))
        } }
        let layer = try Int4Linear(packed: packed)
        for count in [3, Int4Linear.gemmRowThreshold + 2] {
            let input = Tensor(shape: [count, cols], scalars: gaussian(count * cols, seed: 10))
            let expected = matmul(input, packed.dequantized(), transposeB: true).scalars
            for (a, b) in zip(layer(input).scalars, expected) { XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b))) }
        }
        let rtn = try PackedInt4Weight(quantizing: weight, groupSize: 32).dequantized()
        XCTAssertLessThan(hessian.meanSquaredError(of: packed.dequantized(), against: weight),
                          hessian.meanSquaredError(of: rtn, against: weight))
        XCTAssertThrowsError(try GPTQQuantizer(options: GPTQOptions(groupSize: 32, actOrder: true)).quantize(weight, hessian: hessian)) {
            guard case .invalidSetting(name: "actOrder", reason: _) = $0 as? QuantizationError else { return XCTFail("\($0)") }
        }
    }

    private func smallModel() throws -> MiniCPM {
        var c = MiniCPMConfiguration(vocabularySize: 64, hiddenSize: 64, intermediateSize: 128, layerCount: 2,
                                     attentionHeadCount: 4, keyValueHeadCount: 2)
        c.initializerRange = 0.1
        return try MiniCPM(configuration: c, seed: 12)
    }

    /// On every linear layer of a small random MiniCPM, GPTQ's error on the inputs the layer sees
    /// (after the quantised layers before it) is below round-to-nearest's on the same inputs; the
    /// first layer's reported error is checked against its inputs computed directly.
    func testBeatsRoundToNearestOnEveryLayerOfASmallModel() throws {
        let model = try smallModel()
        var generator = SeededGenerator(seed: 13)
        let calibration = (0..<4).map { k in (0..<(24 + 4 * k)).map { _ in Int.random(in: 0..<64, using: &generator) } }
        var reports: [GPTQLayerReport] = []
        let quantised = try quantizeLinearLayersWithGPTQ(of: model, calibration: calibration,
                                                         options: GPTQOptions(groupSize: 32)) { reports.append($0) }
        XCTAssertEqual(reports.count, 2 * 7)
        XCTAssertEqual(reports.prefix(7).map { $0.name.split(separator: ".").last! },
                       ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
        for report in reports {
            print(String(format: "GPTQ %@: error %.3e, RTN %.3e, ratio %.3f, damping %g, %.4f s", report.name,
                         report.meanSquaredError, report.roundToNearestMeanSquaredError,
                         report.meanSquaredError / report.roundToNearestMeanSquaredError, report.dampingFraction, report.seconds))
            XCTAssertEqual(report.sampleCount, calibration.reduce(0) { $0 + $1.count }, report.name)
            XCTAssertLessThan(report.meanSquaredError, report.roundToNearestMeanSquaredError, report.name)
            XCTAssertEqual(report.dampingFraction, 0.01)
        }
        XCTAssertEqual(quantised.linearLayers.filter { $0.layer is Int4Linear }.count, 2 * 7)

        // model.layers.0.self_attn.q_proj sees inputNorm(embedding · scale) of each sequence.
        let q = try XCTUnwrap(model.layers[0].attention.queryProjection as? Linear).weight
        let qHat = try XCTUnwrap(quantised.layers[0].attention.queryProjection as? Int4Linear).packed.dequantized()
        var sum = 0.0, count = 0
        for ids in calibration {
            let x = model.layers[0].inputNorm(model.embedding(ids) * model.configuration.embeddingScale)
            let difference = matmul(x, q - qHat, transposeB: true).scalars
            sum += difference.reduce(0) { $0 + Double($1) * Double($1) }
            count += ids.count
        }
        XCTAssertEqual(reports[0].meanSquaredError, sum / Double(count), accuracy: sum / Double(count) * 1e-3)

        let logits = try quantised.logits(for: calibration[0])
        XCTAssertTrue(logits.scalars.allSatisfy(\.isFinite))
    }

    /// Calibration the model cannot run is an error naming the sequence, not a crash.
    func testRejectsInvalidCalibration() throws {
        let model = try smallModel()
        let options = GPTQOptions(groupSize: 32)
        XCTAssertThrowsError(try quantizeLinearLayersWithGPTQ(of: model, calibration: [[1, 2], [3, 64]], options: options)) {
            guard case .invalidCalibration(sequence: 1, reason: _) = $0 as? QuantizationError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try quantizeLinearLayersWithGPTQ(of: model, calibration: [[1], []], options: options)) {
            guard case .invalidCalibration(sequence: 1, reason: _) = $0 as? QuantizationError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try quantizeLinearLayersWithGPTQ(of: model, calibration: [], options: options))
    }
}
