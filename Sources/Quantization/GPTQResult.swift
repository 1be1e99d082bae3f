/// One weight quantised by ``GPTQQuantizer``.
public struct GPTQResult: Sendable {
    /// The int4 weight, in the AutoGPTQ layout.
    public let weight: PackedInt4Weight
    /// The damping fraction the Hessian was factorised with: the requested one, or larger when the
    /// factorisation had to be retried.
    public let dampingFraction: Double
    /// GPTQ's own loss, `Σ (w − q)² / (2 · [H⁻¹]_ii)` over every weight (the reference's `Losses`
    /// summed), an estimate of the increase in the layer-wise reconstruction loss.
    public let loss: Double
}
