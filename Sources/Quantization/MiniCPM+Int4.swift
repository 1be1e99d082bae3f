import MiniCPMModel
import TensorCore

/// Replaces every dense linear layer of `model` except the output head by an ``Int4Linear``
/// quantised with round-to-nearest (``PackedInt4Weight/init(quantizing:groupSize:name:)``).
///
/// The output head (`lm_head`, present only in untied models) stays float, as AutoGPTQ leaves it;
/// the embedding is not a linear layer and is untouched. Layers that are not `Linear` (already
/// substituted) are kept as they are.
/// - Throws: ``QuantizationError/incompatibleShape(tensor:shape:reason:)`` when a layer's input
///   features are not a multiple of `groupSize` or its outputs not a multiple of 8, naming the layer;
///   ``QuantizationError/invalidSetting(name:reason:)`` for a group size other than 32, 64 or 128.
public func quantizeLinearLayers(of model: MiniCPM, groupSize: Int = 128) throws(QuantizationError) -> MiniCPM {
    var result = model
    do {
        try result.mapLinearLayers { name, layer in
            guard name != "lm_head", let dense = layer as? Linear else { return layer }
            return try Int4Linear(quantizing: dense.weight, groupSize: groupSize, name: name + ".weight")
        }
    } catch let error as QuantizationError {
        throw error
    } catch {
        preconditionFailure("only QuantizationError is thrown here: \(error)")
    }
    return result
}
