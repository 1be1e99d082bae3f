import XCTest
@testable import TensorCore

/// The fused output layer and loss against its reference, the unfused
/// `crossEntropy(logits: matmul(input, weight, transposeB: true))`.
final class LinearCrossEntropyTests: XCTestCase {
    /// Loss and both gradients of the fused and unfused forms, over block sizes that split the rows
    /// into several blocks with a partial last one (and one block holding them all).
    func testMatchesUnfusedLossAndGradients() {
        var data = RandomInputs(seed: 901)
        let (n, d, v) = (37, 12, 23)
        let input = data.normal([n, d]), weight = data.normal([v, d], standardDeviation: 0.7)
        var targets = (0..<n).map { ($0 * 7 + 3) % v }
        targets[4] = -100
        targets[20] = -100
        let x0 = input.requiringGradient(), w0 = weight.requiringGradient()
        let reference = crossEntropy(logits: matmul(x0, w0, transposeB: true), targets: targets)
        reference.backward()
        for blockRows in [16, 5, 64] {
            let x = input.requiringGradient(), w = weight.requiringGradient()
            let loss = linearCrossEntropy(input: x, weight: w, targets: targets, ignoreIndex: -100, blockRows: blockRows)
            assertClose([loss.scalar], [Double(reference.scalar)], "block \(blockRows)")
            loss.backward()
            assertClose(x.gradient!.scalars, x0.gradient!.scalars.map(Double.init), "input, block \(blockRows)")
            assertClose(w.gradient!.scalars, w0.gradient!.scalars.map(Double.init), "weight, block \(blockRows)")
        }
    }

    /// The public entry point (default blocks), leading axes, and an upstream gradient other than 1.
    func testLeadingAxesAndUpstreamScale() {
        var data = RandomInputs(seed: 902)
        let input = data.normal([2, 3, 8]), weight = data.normal([11, 8])
        let targets = [0, 10, 3, 5, 7, 1]
        let x0 = input.requiringGradient(), w0 = weight.requiringGradient()
        (crossEntropy(logits: matmul(x0, w0, transposeB: true), targets: targets) * 3).backward()
        let x = input.requiringGradient(), w = weight.requiringGradient()
        let loss = linearCrossEntropy(input: x, weight: w, targets: targets)
        (loss * 3).backward()
        XCTAssertEqual(x.gradient!.shape, [2, 3, 8])
        assertClose(x.gradient!.scalars, x0.gradient!.scalars.map(Double.init))
        assertClose(w.gradient!.scalars, w0.gradient!.scalars.map(Double.init))
    }

    /// Without gradients the same blocks give the same loss, bit for bit; only one operand may
    /// require a gradient.
    func testLossWithoutGradientsAndSingleOperand() {
        var data = RandomInputs(seed: 903)
        let input = data.normal([19, 6]), weight = data.normal([9, 6])
        let targets = (0..<19).map { $0 % 9 }
        let recorded = linearCrossEntropy(input: input.requiringGradient(), weight: weight, targets: targets)
        let plain = withoutGradients { linearCrossEntropy(input: input.requiringGradient(), weight: weight, targets: targets) }
        XCTAssertEqual(recorded.scalar.bitPattern, plain.scalar.bitPattern)
        XCTAssertFalse(plain.requiresGradient)
        let w = weight.requiringGradient()
        linearCrossEntropy(input: input, weight: w, targets: targets).backward()
        let w0 = weight.requiringGradient()
        crossEntropy(logits: matmul(input, w0, transposeB: true), targets: targets).backward()
        assertClose(w.gradient!.scalars, w0.gradient!.scalars.map(Double.init))
    }

    func testAllIgnoredGivesZeroLossAndGradients() {
        var data = RandomInputs(seed: 904)
        let x = data.normal([5, 4]).requiringGradient(), w = data.normal([7, 4]).requiringGradient()
        let loss = linearCrossEntropy(input: x, weight: w, targets: Array(repeating: -1, count: 5), ignoreIndex: -1)
        XCTAssertEqual(loss.scalar, 0)
        loss.backward()
        XCTAssertEqual(x.gradient!.scalars, Array(repeating: 0, count: 20))
        XCTAssertEqual(w.gradient!.scalars, Array(repeating: 0, count: 28))
    }
}
