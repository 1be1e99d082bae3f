import MiniCPMModel
import TensorCore

/// Replaces every dense linear layer of `model` except the output head by an ``Int4Linear``
/// quantised with GPTQ (``GPTQQuantizer``) against the inputs each layer sees on `calibration`.
///
/// The decoder layers are processed in order, and within a layer its linear layers in the
/// sequential order of the reference implementation: q, k and v (one shared input), then o, then
/// gate and up, then down. Each group's inputs are recorded in a forward pass of the layer in which
/// the groups before it are already quantised, so every layer compensates the error of those that
/// feed it; the next decoder layer's input is the output of this one once fully quantised.
///
/// The output head (`lm_head`, present only in untied models) stays float and the embedding is
/// untouched, as in ``quantizeLinearLayers(of:groupSize:)``; linear layers that are not `Linear`
/// (already substituted) are kept as they are.
///
/// - Parameters:
///   - calibration: token sequences (each run on its own, so they may differ in length), e.g. a
///     few hundred tokens of text like what the model will see.
///   - progress: called after each linear layer with its ``GPTQLayerReport``.
/// - Throws: ``QuantizationError/invalidCalibration(sequence:reason:)`` for no calibration data, an
///   empty sequence, one longer than the model's context or a token outside the vocabulary;
///   otherwise what ``GPTQQuantizer/quantize(_:hessian:name:)`` throws, naming the layer.
public func quantizeLinearLayersWithGPTQ(of model: MiniCPM, calibration: [[Int]], options: GPTQOptions = GPTQOptions(),
                                         progress: ((GPTQLayerReport) -> Void)? = nil) throws(QuantizationError) -> MiniCPM {
    try options.validate()
    guard !calibration.isEmpty else { throw .invalidCalibration(sequence: 0, reason: "no calibration sequences") }
    let vocabulary = model.configuration.vocabularySize
    for (index, sequence) in calibration.enumerated() {
        guard !sequence.isEmpty else { throw .invalidCalibration(sequence: index, reason: "empty sequence") }
        guard sequence.count <= model.maximumContextLength else {
            throw .invalidCalibration(sequence: index, reason: "\(sequence.count) tokens exceed the context of \(model.maximumContextLength)")
        }
        if let bad = sequence.first(where: { $0 < 0 || $0 >= vocabulary }) {
            throw .invalidCalibration(sequence: index, reason: "token id \(bad) is outside the vocabulary 0..<\(vocabulary)")
        }
    }

    var result = model
    let quantizer = GPTQQuantizer(options: options)
    let hiddenSize = model.configuration.hiddenSize
    var hidden = withoutGradients {
        calibration.map { ids in model.embedding(ids).reshaped([1, ids.count, hiddenSize]) * model.configuration.embeddingScale }
    }
    let frequencies = hidden.map { model.rotary.frequencies(sequenceLength: $0.shape[1]) }

    for index in result.layers.indices {
        var layer = result.layers[index]
        let prefix = "model.layers.\(index)"
        for stage in sequentialStages(of: layer.linearLayers(prefix: prefix)) {
            let dense = stage.compactMap { entry in (entry.layer as? Linear).map { (name: entry.name, weight: $0.weight) } }
            guard !dense.isEmpty else { continue }
            // A stage's layers read one input, so one of them records the Hessian they all use.
            let accumulator = HessianAccumulator(inputFeatures: dense[0].weight.shape[1])
            var probe = layer
            probe.mapLinearLayers(prefix: prefix) { name, linear in
                name == dense[0].name ? HessianRecordingLinear(wrapped: linear, accumulator: accumulator) : linear
            }
            withoutGradients {
                for (h, f) in zip(hidden, frequencies) { _ = probe(h, rotary: f, cache: nil) }
            }
            let hessian = accumulator.hessian
            var replacements: [String: any LinearLayer] = [:]
            for entry in dense {
                let start = ContinuousClock.now
                let quantized = try quantizer.quantize(entry.weight, hessian: hessian, name: entry.name + ".weight")
                let elapsed = ContinuousClock.now - start
                replacements[entry.name] = try Int4Linear(packed: quantized.weight)
                if let progress {
                    let rounded = try PackedInt4Weight(quantizing: entry.weight, groupSize: options.groupSize, name: entry.name + ".weight")
                    progress(GPTQLayerReport(
                        name: entry.name, inputFeatures: entry.weight.shape[1], outputFeatures: entry.weight.shape[0],
                        sampleCount: hessian.sampleCount, dampingFraction: quantized.dampingFraction, loss: quantized.loss,
                        meanSquaredError: hessian.meanSquaredError(of: quantized.weight.dequantized(), against: entry.weight),
                        roundToNearestMeanSquaredError: hessian.meanSquaredError(of: rounded.dequantized(), against: entry.weight),
                        seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18))
                }
            }
            layer.mapLinearLayers(prefix: prefix) { name, linear in replacements[name] ?? linear }
        }
        hidden = withoutGradients { zip(hidden, frequencies).map { layer($0, rotary: $1, cache: nil) } }
        result.layers[index] = layer
    }
    return result
}

extension DecoderLayer {
    /// The linear layers with their full names under `prefix`.
    fileprivate func linearLayers(prefix: String) -> [(name: String, layer: any LinearLayer)] {
        var copy = self
        var out: [(name: String, layer: any LinearLayer)] = []
        copy.mapLinearLayers(prefix: prefix) { name, layer in
            out.append((name, layer))
            return layer
        }
        return out
    }
}

/// Groups a decoder layer's linear layers in the order GPTQ quantises them: the layers reading the
/// same input together (q/k/v, o, gate/up, down), any other layer in a group of its own after them.
///
/// A mixture-of-experts layer's experts (`mlp.experts.N.w1/w3`, then `w2`) form two stages each:
/// an expert's Hessian is recorded from the rows routed to it alone, so experts never share one
/// (an expert no calibration token reaches gets an empty Hessian, which GPTQ treats as dead inputs).
private func sequentialStages(of layers: [(name: String, layer: any LinearLayer)]) -> [[(name: String, layer: any LinearLayer)]] {
    let known = ["q_proj": 0, "k_proj": 0, "v_proj": 0, "o_proj": 1, "gate_proj": 2, "up_proj": 2, "down_proj": 3]
    let expertStage = ["w1": 0, "w3": 0, "w2": 1]
    var stages: [Int: [(name: String, layer: any LinearLayer)]] = [:]
    for (position, entry) in layers.enumerated() {
        let components = entry.name.split(separator: ".")
        let leaf = String(components.last ?? "")
        // Unknown layers come last, after every expert stage.
        var key = known[leaf] ?? (1 << 40) + position
        if components.count >= 3, components[components.count - 3] == "experts", let expert = Int(components[components.count - 2]),
           let stage = expertStage[leaf] {
            key = 4 + 2 * expert + stage
        }
        stages[key, default: []].append(entry)
    }
    return stages.keys.sorted().map { stages[$0]! }
}
