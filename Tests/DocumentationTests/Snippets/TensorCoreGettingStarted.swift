import Foundation
import TensorCore

/// The snippets of `Sources/TensorCore/TensorCore.docc/GettingStarted.md`, verbatim.
enum TensorCoreGettingStarted {
    static func tensorsAndGradients() -> (loss: Tensor, w: Tensor) {
        var rng = SeededRandom(seed: 0)
        let x = Tensor.normal([4, 8], using: &rng)
        let w = Tensor.normal([16, 8], standardDeviation: 0.1, using: &rng).requiringGradient()

        let logits = matmul(x, w, transposeB: true)                          // [4, 16]
        let loss = crossEntropy(logits: logits, targets: [3, 1, -100, 7])   // -100 is ignored
        loss.backward()
        print(loss.scalar, w.gradient!.shape)                               // [16, 8]
        return (loss, w)
    }

    static func namedParameters() -> [String: Tensor] {
        var parameters: [String: Tensor] = ["bias": Tensor.zeros([3]), "weight": Tensor.ones([3, 2])]
        parameters = parameters.requiringGradients()
        print(parameters.namedParameters.map(\.name), parameters.parameterCount)   // ["bias", "weight"] 9
        return parameters
    }

    static func safetensors() throws -> Tensor {
        let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: "Tests/TensorCoreTests/Fixtures/tiny-minicpm/model.safetensors"))
        let embeddings = try file.tensor(named: "model.embed_tokens.weight")   // memory-mapped, validated
        print(embeddings.shape)
        return embeddings
    }
}
