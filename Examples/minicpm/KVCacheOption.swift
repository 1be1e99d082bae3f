import ArgumentParser
import MiniCPMModel

/// `--kv-cache f32|f16` of `generate` and `chat`: how the KV cache stores keys and values.
extension KVCacheStorage: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "f32", "float32": self = .float32
        case "f16", "float16": self = .float16
        default: return nil
        }
    }

    public static var allValueStrings: [String] { ["f32", "f16"] }
}
