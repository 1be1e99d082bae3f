import MiniCPMModel
import Quantization
import TensorCore

/// Bytes of a model's linear weights as each layer stores them, the quantisers' scope only: every
/// linear layer of the decoder layers, not the output head (left float by both quantisers, and
/// tied to the embedding in the models measured here), the embedding or the norms.
struct LinearWeightBytes: Codable {
    /// The same weights in float32 (4 bytes a weight).
    var float32: Int
    /// As held: float32 for `Linear`; for `Int4Linear` the AutoGPTQ tensors `qweight` (int4 packed
    /// in int32), `qzeros` (int4 packed) and `scales` (fp16) — without `g_idx`, which a checkpoint
    /// also carries (4 bytes an input feature) but which is `i / G` and could be omitted; for
    /// `GGUFBlockLinear` its blocks.
    var stored: Int

    init(float32: Int, stored: Int) {
        self.float32 = float32
        self.stored = stored
    }

    /// The bytes of `model`'s linear weights as its layers hold them.
    init(of model: MiniCPM) {
        var float32 = 0, stored = 0
        var copy = model
        copy.mapLinearLayers { name, layer in
            guard name != "lm_head" else { return layer }
            let weights = layer.inputFeatures * layer.outputFeatures
            float32 += 4 * weights
            if let int4 = layer as? Int4Linear {
                stored += 4 * int4.packed.qweight.count + 4 * int4.packed.qzeros.count + 2 * int4.packed.scales.count
            } else if let blocks = layer as? GGUFBlockLinear {
                stored += weights / blocks.type.blockSize * blocks.type.bytesPerBlock
            } else {
                stored += 4 * weights
            }
            return layer
        }
        self.float32 = float32
        self.stored = stored
    }

    /// The bytes of the same weights in a GGUF file (`blk.N.attn_q/k/v/output`, `ffn_gate/up/down`).
    static func inGGUF(_ file: GGUFFile) -> Int {
        let linear = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"]
        return file.tensorInfos.filter { info in
            let parts = info.name.split(separator: ".")
            return parts.count == 4 && parts[0] == "blk" && linear.contains(String(parts[2])) && parts[3] == "weight"
        }.reduce(0) { $0 + $1.byteCount }
    }
}
