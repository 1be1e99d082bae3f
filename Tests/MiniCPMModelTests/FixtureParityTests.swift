import MiniCPMModel
import TensorCore
import XCTest

/// Parity with the float64 reference for the configuration variants in `Fixtures/` (command lines
/// in `Fixtures/README.md`): full forward and KV-cached logits within 1e-4, greedy ids equal.
final class FixtureParityTests: XCTestCase {
    /// `tie_word_embeddings: false` with its own `lm_head.weight`.
    func testUntiedHead() throws { try checkParity("untied-head") }

    /// Plain multi-head attention (`num_key_value_heads` = `num_attention_heads` = 4).
    func testMultiHeadAttention() throws { try checkParity("multi-head") }

    /// Llama-like scales: `scale_emb` 1, `scale_depth` √3 over 3 layers (residual scale 1),
    /// `dim_model_base` = `hidden_size` (logit divisor 1).
    func testLlamaLikeScales() throws { try checkParity("llama-scales") }

    /// Other muP scales: `scale_emb` 6.5 (a non-integral value), `scale_depth` 1, `dim_model_base` 16.
    func testOtherScales() throws { try checkParity("other-scales") }

    /// `rope_scaling` linear, factor 4.
    func testRopeScalingLinear() throws { try checkParity("rope-linear") }

    /// `rope_scaling` dynamic NTK, factor 2, `max_position_embeddings` 8 with a 16-token prompt.
    ///
    /// Only the full forward pass and a greedy continuation that recomputes the whole sequence each
    /// step are compared. Dynamic NTK derives the frequencies from the *current* total length, and the
    /// reference applies the frequencies for length T to every position of a T-token pass. Cached
    /// decoding (ours and Hugging Face's) rotates each key once, with the frequencies of the length at
    /// the time it was appended: stepwise, tokens 0–7 use the unscaled base and token t ≥ 8 the base
    /// for length t + 1, so the cached logits differ from a full pass over the same tokens by
    /// construction, not by error (here by up to 2.0 in the logits, 1.2 already for tokens 0–7).
    ///
    /// A prefill of the whole prompt through a cache sees the same total length as the reference and
    /// must match it; the cache is given an explicit `maximumLength` (its default,
    /// `max_position_embeddings` times the factor, 16 here, holds just the prompt). The recomputed
    /// greedy continuation runs
    /// past those 16 positions too, so the model's `maximumContextLength` is raised: deliberate
    /// extrapolation, as the reference does without a limit.
    func testRopeScalingDynamicBeyondMaximumPositions() throws {
        var model = try MiniCPM(directory: fixtureURL("rope-dynamic"))
        let expected = try ExpectedOutput(fixture: "rope-dynamic")
        model.maximumContextLength = 64
        try checkParity(model, against: expected, label: "rope-dynamic", checks: [.fullForward, .recomputedGreedy])

        let cache = KVCache(configuration: model.configuration, maximumLength: 64)
        let prefill = try withoutGradients { try model.logits(for: expected.ids, cache: cache) }
        XCTAssertLessThan(maxAbsDifference(prefill, expected.logits), 1e-4)
        XCTAssertEqual(cache.length, expected.ids.count)
    }

    /// `rope_scaling` longrope as Hugging Face builds it (`--longrope-select hf`):
    /// `max_position_embeddings` 2048 > `original_max_position_embeddings` 512, so the long factors
    /// and the cos/sin multiplier `sqrt(1 + ln 4 / ln 512)` apply even to a short prompt.
    func testRopeScalingLongRope() throws { try checkParity("rope-longrope") }

    /// longrope with `original_max_position_embeddings` = `max_position_embeddings` = 2048: the short
    /// factors and a multiplier of 1 apply.
    func testRopeScalingLongRopeShortFactors() throws { try checkParity("rope-longrope-short") }

    /// F16 weights in `model.safetensors` (the reference reads the same rounded values).
    func testFloat16Weights() throws { try checkParity("float16-weights") }

    /// BF16 weights in `model.safetensors`.
    func testBFloat16Weights() throws { try checkParity("bfloat16-weights") }
}
