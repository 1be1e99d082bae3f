import MiniCPMModel
import TensorCore
import XCTest

/// Rope scalings past their original context, against the float64 reference (`Fixtures/README.md`
/// has the commands): 40-token prompts longer than `original_max_position_embeddings` 16, and a
/// larger `rope_theta` (the paper's Adjusted Base Frequency for long contexts).
final class LongContextParityTests: XCTestCase {
    /// A fixture model allowed to run past its trained context (deliberate extrapolation, as the
    /// reference does), its reference output, and a cache with room for prompt and continuation.
    private func load(_ name: String) throws -> (MiniCPM, ExpectedOutput, () -> KVCache) {
        var model = try MiniCPM(directory: fixtureURL(name))
        model.maximumContextLength = 64
        let configuration = model.configuration
        return (model, try ExpectedOutput(fixture: name), { KVCache(configuration: configuration, maximumLength: 64) })
    }

    /// LongRoPE with `max_position_embeddings` 32 > `original_max_position_embeddings` 16: the long
    /// factors and the multiplier `sqrt(1 + ln 2 / ln 16)` at every length, so cached decoding
    /// token by token matches the full pass too.
    func testLongRopePastOriginalLength() throws {
        let (model, expected, makeCache) = try load("rope-longrope-past-original")
        XCTAssertEqual(expected.ids.count, 40)
        try checkParity(model, against: expected, label: "longrope past original", checks: [.fullForward, .recomputedGreedy])

        let prefill = try withoutGradients { try model.logits(for: expected.ids, cache: makeCache()) }
        XCTAssertLessThan(maxAbsDifference(prefill, expected.logits), 1e-4, "cached prefill")

        let cache = makeCache()
        let rows = try expected.ids.map { id in try withoutGradients { try model.logits(for: [id], cache: cache) } }
        XCTAssertLessThan(maxAbsDifference(Tensor.concatenate(rows, alongAxis: 0), expected.logits), 1e-4,
                          "token-by-token cached decoding")
    }

    /// LongRoPE with `max_position_embeddings` = `original_max_position_embeddings` = 16 and a
    /// 40-token prompt: Hugging Face rebuilds its table for the longer sequence with the long
    /// factors, so the whole pass uses them (the multiplier stays 1). Token-by-token cached decoding
    /// is not compared: its first 16 keys were rotated with the short factors, by construction, as
    /// for dynamic NTK (see `FixtureParityTests.testRopeScalingDynamicBeyondMaximumPositions`).
    func testLongRopeSwitchesToLongFactorsPastOriginalLength() throws {
        let (model, expected, makeCache) = try load("rope-longrope-switch")
        try checkParity(model, against: expected, label: "longrope switch", checks: [.fullForward, .recomputedGreedy])
        let prefill = try withoutGradients { try model.logits(for: expected.ids, cache: makeCache()) }
        XCTAssertLessThan(maxAbsDifference(prefill, expected.logits), 1e-4, "cached prefill")
        // The first 16 positions alone stay within the original context: short factors. That the
        // two differ shows the 40-token pass really switched.
        let short = try withoutGradients { try model.logits(for: Array(expected.ids.prefix(16))) }
        XCTAssertGreaterThan(maxAbsDifference(short, expected.logits.sliced(alongAxis: 0, 0..<16)), 1e-2)
    }

    /// `rope_theta` 10⁶ instead of 10⁴ (Adjusted Base Frequency) is read from `config.json` and
    /// used: parity with the reference, full, cached and greedy; the same weights with the default
    /// base give logits that differ by more than 1.
    func testLargerRopeThetaIsHonoured() throws {
        let (model, expected, _) = try load("rope-theta")
        XCTAssertEqual(model.configuration.ropeTheta, 1_000_000)
        XCTAssertEqual(model.rotary.base, 1_000_000)
        try checkParity("rope-theta")

        var configuration = model.configuration
        configuration.ropeTheta = 10_000
        let defaultBase = MiniCPM(configuration: configuration, embedding: model.embedding, layers: model.layers,
                                  finalNorm: model.finalNorm, outputHead: model.outputHead)
        let logits = try withoutGradients { try defaultBase.logits(for: expected.ids) }
        XCTAssertGreaterThan(maxAbsDifference(logits, expected.logits), 1)
    }
}
