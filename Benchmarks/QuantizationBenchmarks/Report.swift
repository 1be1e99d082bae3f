import BenchmarkSupport
import Foundation

/// One quantisation of the model: how it was made.
enum Variant: Equatable, CustomStringConvertible {
    /// The model as loaded (a GGUF file's weights dequantised to float32).
    case float
    /// A GGUF file's blocks kept in place (`MiniCPM(keepingQuantizedBlocksOfGGUFAt:)`).
    case ggufBlocks
    /// Round-to-nearest int4 (`quantizeLinearLayers(of:groupSize:)`).
    case roundToNearest(groupSize: Int)
    /// GPTQ int4 (`quantizeLinearLayersWithGPTQ(of:calibration:options:progress:)`).
    case gptq(groupSize: Int)
    /// The paper's round-to-nearest (`GroupQuantizedWeight`: float scale, fractional zero, the
    /// group's own min and max) simulated: each weight replaced by its reconstruction, kept float.
    /// It shows what AutoGPTQ's integer zero and zero-including range cost.
    case paper(groupSize: Int)

    var description: String {
        switch self {
        case .float: return "float"
        case .ggufBlocks: return "gguf"
        case let .roundToNearest(g): return "rtn\(g)"
        case let .gptq(g): return "gptq\(g)"
        case let .paper(g): return "paper\(g)"
        }
    }

    init?(_ name: String) {
        if name == "float" { self = .float } else if name == "gguf" { self = .ggufBlocks }
        else if name.hasPrefix("rtn"), let g = Int(name.dropFirst(3)) { self = .roundToNearest(groupSize: g) }
        else if name.hasPrefix("gptq"), let g = Int(name.dropFirst(4)) { self = .gptq(groupSize: g) }
        else if name.hasPrefix("paper"), let g = Int(name.dropFirst(5)) { self = .paper(groupSize: g) }
        else { return nil }
    }
}

/// What GPTQ reported for one linear layer.
struct LayerResult: Codable {
    var name: String
    var sampleCount: Int
    var dampingFraction: Double
    /// Mean ‖W x − Ŵ x‖² over the calibration rows, GPTQ and round-to-nearest.
    var meanSquaredError: Double
    var roundToNearestMeanSquaredError: Double
    var seconds: Double
}

/// One row of the table.
struct VariantResult: Codable {
    var variant: String
    var groupSize: Int?
    /// Why the variant could not be made (e.g. a group size that does not divide a layer's inputs).
    var notApplicable: String?
    var lossPerToken: Double?
    var perplexity: Double?
    var bitsPerByte: Double?
    var linearBytes: LinearWeightBytes?
    var quantizationSeconds: Double?
    var evaluationSeconds: Double?
    var layers: [LayerResult]?
}

struct QuantizationReport: Codable {
    var machine: MachineInfo
    var date: String
    var model: String
    var threads: Int
    var evaluation: String
    var evaluationTokens: Int
    var evaluationBytes: Double
    var calibration: String?
    /// The GGUF source's bytes for the same linear weights, when the model is a GGUF file.
    var ggufSourceLinearBytes: Int?
    var ggufSourceTypes: String?
    var results: [VariantResult]

    func markdown() -> String {
        let reference = results.first { $0.variant == "float" }?.perplexity
        let body: [[String]] = results.map { r in
            let name = r.variant + (r.groupSize.map { " G=\($0)" } ?? "")
            guard r.notApplicable == nil, let loss = r.lossPerToken, let ppl = r.perplexity, let bpb = r.bitsPerByte else {
                return [name, "n/a", "", "", "", "", "", "", r.notApplicable ?? ""]
            }
            let bytes = r.linearBytes
            let mse = r.layers.map { layers -> String in
                let ratios = layers.map { $0.meanSquaredError / max($0.roundToNearestMeanSquaredError, 1e-30) }
                return "GPTQ/RTN layer MSE: median \(format(median(ratios), 2))"
            } ?? ""
            return [name, format(loss, 4), format(ppl, 3), reference.map { format((ppl / $0 - 1) * 100, 2) + " %" } ?? "",
                    format(bpb, 4),
                    bytes.map { format(Double($0.stored) / 1e6, 2) } ?? "",
                    bytes.map { format(Double($0.stored) * 8 / Double($0.float32 / 4), 2) } ?? "",
                    r.quantizationSeconds.map { format($0, 1) } ?? "", mse]
        }
        return markdownTable(["variant", "loss (nats/token)", "perplexity", "Δ ppl vs float", "bits/byte",
                              "linear MB", "bits/weight", "quantise s", "note"], body, numeric: [1, 2, 3, 4, 5, 6, 7])
    }
}
