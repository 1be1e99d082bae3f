/// What ``quantizeLinearLayersWithGPTQ(of:calibration:options:progress:)`` reports for each linear
/// layer it quantises, in the order it quantises them.
public struct GPTQLayerReport: Sendable {
    /// The layer's full Hugging Face name (`model.layers.0.self_attn.q_proj`).
    public let name: String
    /// Columns of the weight.
    public let inputFeatures: Int
    /// Rows of the weight.
    public let outputFeatures: Int
    /// Calibration rows (tokens) the layer's Hessian was accumulated over.
    public let sampleCount: Int
    /// The damping fraction the Hessian was factorised with (larger than requested after a retry).
    public let dampingFraction: Double
    /// GPTQ's own loss estimate (``GPTQResult/loss``).
    public let loss: Double
    /// Mean over the calibration rows `x` this layer saw of `‖W x − Ŵ x‖²` for the GPTQ weight `Ŵ`.
    public let meanSquaredError: Double
    /// The same error for the round-to-nearest weight (``PackedInt4Weight/init(quantizing:groupSize:name:)``)
    /// on the same inputs, for comparison.
    public let roundToNearestMeanSquaredError: Double
    /// Wall-clock seconds spent quantising this layer (GPTQ itself, not the forward passes).
    public let seconds: Double
}
