import Foundation
import TensorCore

/// The angular frequencies and cos/sin multiplier that rotary embeddings apply at one sequence length.
public struct RotaryFrequencies: Sendable, Hashable {
    /// `head_dim / 2` inverse frequencies, after any long-context scaling.
    public let inverseFrequencies: [Float]
    /// The multiplier of cos and sin (LongRoPE's attention factor; 1 otherwise).
    public let scale: Float

    /// Rotates `x` of shape `[..., T, H, head_dim]` whose first row sits at `positionOffset`.
    public func callAsFunction(_ x: Tensor, positionOffset: Int) -> Tensor {
        x.rotaryEmbedding(positionOffset: positionOffset, inverseFrequencies: inverseFrequencies, scale: scale)
    }
}

/// Rotate-half rotary position embeddings with MiniCPM's long-context scalings (`rope_scaling`:
/// linear, dynamic NTK, LongRoPE), following the Hugging Face MiniCPM rotary classes.
///
/// A model holds one and its layers share it. The frequencies are computed once, when it is made;
/// only dynamic NTK scaling, whose base grows with the sequence past `max_position_embeddings`, and
/// LongRoPE past `original_max_position_embeddings` compute new ones, once per forward pass that
/// goes past them.
public struct RotaryEmbedding: Sendable {
    public let headDimension: Int
    public let base: Double
    public let maxPositionEmbeddings: Int
    public let scaling: RopeScaling?
    /// The frequencies at any length up to `max_position_embeddings` (and at every length unless
    /// the scaling is dynamic).
    private let fixed: RotaryFrequencies

    public init(configuration c: MiniCPMConfiguration) {
        headDimension = c.headDimension
        base = Double(c.ropeTheta)
        maxPositionEmbeddings = c.maxPositionEmbeddings
        scaling = c.ropeScaling
        fixed = Self.computeFrequencies(headDimension: headDimension, base: base,
                                        maxPositionEmbeddings: maxPositionEmbeddings, scaling: scaling,
                                        sequenceLength: maxPositionEmbeddings)
    }

    /// The frequencies for a sequence whose total length, cache included, is `sequenceLength`.
    ///
    /// They differ from the ones at `max_position_embeddings` only past it: dynamic NTK raises the
    /// base with the length, and LongRoPE switches from the short to the long factors once the
    /// sequence exceeds `original_max_position_embeddings` (which matters when
    /// `max_position_embeddings` does not already exceed it), as Hugging Face rebuilds its cos/sin
    /// table for a longer sequence.
    public func frequencies(sequenceLength: Int) -> RotaryFrequencies {
        let beyond: Bool
        switch scaling {
        case .dynamic: beyond = sequenceLength > maxPositionEmbeddings
        case let .longRope(_, _, original): beyond = sequenceLength > max(original, maxPositionEmbeddings)
        case .linear, nil: beyond = false
        }
        guard beyond else { return fixed }
        return Self.computeFrequencies(headDimension: headDimension, base: base,
                                       maxPositionEmbeddings: maxPositionEmbeddings, scaling: scaling,
                                       sequenceLength: sequenceLength)
    }

    /// Inverse frequencies (computed in Double, as Hugging Face does in float64 before casting).
    private static func computeFrequencies(headDimension: Int, base: Double, maxPositionEmbeddings: Int,
                                           scaling: RopeScaling?, sequenceLength: Int) -> RotaryFrequencies {
        let d = Double(headDimension)
        func inverse(base b: Double) -> [Double] {
            stride(from: 0, to: headDimension, by: 2).map { 1 / Foundation.pow(b, Double($0) / d) }
        }
        var inv = inverse(base: base)
        var scale = 1.0
        switch scaling {
        case nil:
            break
        case let .linear(factor):
            // Positions divided by the factor ≡ frequencies divided by it.
            inv = inv.map { $0 / Double(factor) }
        case let .dynamic(factor):
            if sequenceLength > maxPositionEmbeddings {
                let f = Double(factor)
                let ratio = f * Double(sequenceLength) / Double(maxPositionEmbeddings) - (f - 1)
                inv = inverse(base: base * Foundation.pow(ratio, d / (d - 2)))
            }
        case let .longRope(short, long, original):
            // HF builds its table once for max_position_embeddings, so the long factors apply
            // whenever that (or the sequence) exceeds the original context.
            let useLong = max(maxPositionEmbeddings, sequenceLength) > original
            let factors = useLong ? long : short
            inv = zip(inv, factors).map { $0 / Double($1) }
            scale = (1 + Foundation.log(Double(maxPositionEmbeddings) / Double(original)) / Foundation.log(Double(original))).squareRoot()
        }
        return RotaryFrequencies(inverseFrequencies: inv.map { Float($0) }, scale: Float(scale))
    }
}
