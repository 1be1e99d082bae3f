import Foundation
import MiniCPMModel
import Quantization

/// The Swift snippet of `Docs/Quantization.md`, verbatim (run by `QuantizationSnippetTests`).
enum QuantizationSnippets {
    static func quantizingAModel(sourceURL: URL, calibrationTokenIDs: [[Int]], outputURL: URL, ggufURL: URL,
                                 q4URL: URL) throws -> (quantized: MiniCPM, reloaded: MiniCPM, blocks: MiniCPM) {
        let model = try MiniCPM(contentsOf: sourceURL)                                   // float weights
        let options = GPTQOptions(groupSize: 64, dampingFraction: 0.01, actOrder: true, staticGroups: true)
        let quantized = try quantizeLinearLayersWithGPTQ(of: model, calibration: calibrationTokenIDs, options: options) { report in
            print(report.name, report.dampingFraction, report.meanSquaredError / report.roundToNearestMeanSquaredError)
        }
        try quantized.saveInt4Checkpoint(to: outputURL)                                  // AutoGPTQ tensors + quantize_config.json
        let reloaded = try MiniCPM(int4CheckpointAt: outputURL)                          // Int4Linear layers
        let blocks = try MiniCPM(keepingQuantizedBlocksOfGGUFAt: ggufURL)                // GGUFBlockLinear layers, read in place
        try model.saveGGUF(to: q4URL, type: .q4_0)                                       // llama.cpp's Q4_0 blocks
        return (quantized, reloaded, blocks)
    }
}
