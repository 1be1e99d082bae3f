import Foundation
import MiniCPMModel
import TensorCore

extension MiniCPM {
    /// Loads a GGUF model as `MiniCPM.init(gguf:)` does, but keeps every linear weight stored as
    /// Q4_0, Q4_1 or Q8_0 blocks in those blocks: such a layer becomes a ``GGUFBlockLinear`` that
    /// reads the file's mapping in place (so the model stays about the file's size in memory).
    ///
    /// Everything else (the embedding table, norm gains, and linear weights of any other type, F32,
    /// F16, BF16, Q4_K, Q6_K) is converted to `Float` exactly as `MiniCPM.init(gguf:)` converts it,
    /// including the reordering of `attn_q`/`attn_k` rows llama.cpp applies (done for block layers
    /// by reading rows through an index map). The resulting model runs inference (``logits(for:cache:)``,
    /// generation); its block layers have no trainable parameters.
    ///
    /// - Throws: the errors of ``MiniCPMConfiguration/init(gguf:)``; ``CheckpointError`` for a
    ///   mixture-of-experts file, an unknown, missing or misshapen tensor, or a type that is neither
    ///   kept nor dequantised; and ``QuantizationError`` from the block layers.
    public init(keepingQuantizedBlocksOf file: GGUFFile) throws {
        let configuration = try MiniCPMConfiguration(gguf: file)
        let path = file.url.path
        guard configuration.expertCount == 0 else {
            throw CheckpointError.invalidMetadata(key: "expert_count", value: "\(configuration.expertCount)",
                                                  reason: "mixture-of-experts models are not supported yet", path: path)
        }
        // Check every tensor before building anything, as the float loader does.
        let declarations = try MiniCPM.tensorDeclarations(for: configuration)
        let expectedNames = Set(declarations.compactMap(\.ggufName))
        if let extra = file.tensorNames.first(where: { !expectedNames.contains($0) }) {
            throw CheckpointError.unexpectedTensor(name: extra, file: file.url.lastPathComponent)
        }
        for declaration in declarations {
            guard let name = declaration.ggufName else { continue }
            guard file.contains(name) else { throw CheckpointError.missingTensor(name: name) }
            let info = try file.info(named: name)
            guard info.shape == declaration.shape else {
                throw CheckpointError.shapeMismatch(name: name, expected: declaration.shape, found: info.shape)
            }
            guard info.type.isDequantizable || GGUFBlockLinear.supportedTypes.contains(info.type) else {
                throw CheckpointError.gguf(.unsupportedTensorType(path: path, tensor: name, type: info.type))
            }
        }
        let makeTensor: (TensorDeclaration) throws -> Tensor = { declaration in
            guard let name = declaration.ggufName else { throw CheckpointError.missingTensor(name: declaration.name) }
            let tensor = try file.tensor(named: name)
            guard let heads = declaration.ggufPermutedHeadCount else { return tensor }
            return Self.gatheringRows(of: tensor, map: GGUFBlockLinear.rotateHalfRowMap(rows: tensor.shape[0], heads: heads))
        }
        let factory = ParameterFactory(makeTensor: makeTensor, makeLinear: { declaration in
            guard let name = declaration.ggufName else { throw CheckpointError.missingTensor(name: declaration.name) }
            let type = try file.info(named: name).type
            guard GGUFBlockLinear.supportedTypes.contains(type) else { return Linear(weight: try makeTensor(declaration)) }
            return try GGUFBlockLinear(file: file, tensorNamed: name, permutedHeadCount: declaration.ggufPermutedHeadCount)
        })
        try self.init(configuration: configuration, factory: factory)
        // A tied output layer is the embedding table read the other way; as a matrix-vector product
        // it is the largest one of a decode step (SmolLM2: 49152 × 576, 113 MB in float32 against
        // 30 MB in its Q8_0 blocks), so it reads the table's blocks too. The lookup keeps the float
        // table (one row per token).
        if configuration.tieWordEmbeddings, outputHead == nil,
           let name = declarations.first(where: { $0.role == .embedding })?.ggufName,
           GGUFBlockLinear.supportedTypes.contains(try file.info(named: name).type) {
            outputHead = try GGUFBlockLinear(file: file, tensorNamed: name)
        }
    }

    /// Opens the GGUF file at `url` and loads it keeping its block weights (see
    /// ``init(keepingQuantizedBlocksOf:)``).
    public init(keepingQuantizedBlocksOfGGUFAt url: URL) throws {
        try self.init(keepingQuantizedBlocksOf: try GGUFFile(contentsOf: url))
    }

    /// A `[rows, columns]` matrix whose row `r` is row `map[r]` of `w`.
    private static func gatheringRows(of w: Tensor, map: [Int32]) -> Tensor {
        let columns = w.shape[1]
        return w.withUnsafeBufferPointer { src in
            Tensor(shape: w.shape) { dst in
                for (r, source) in map.enumerated() {
                    for c in 0 ..< columns { dst[r * columns + c] = src[Int(source) * columns + c] }
                }
            }
        }
    }
}
