import TensorCore

/// One parameter tensor of a model as its modules declare it: the Hugging Face name, the name in
/// llama.cpp's GGUF files, the shape the configuration gives it and what it is for.
///
/// Loading (safetensors and GGUF), saving, initialisation and the optimizers' muP groups all read
/// these; ``MiniCPM/tensorDeclarations`` lists them for a model.
public struct TensorDeclaration: Sendable, Hashable {
    /// The Hugging Face name, e.g. `model.layers.0.self_attn.q_proj.weight`.
    public let name: String
    /// llama.cpp's name, e.g. `blk.0.attn_q.weight`; `nil` where GGUF has no such tensor.
    public let ggufName: String?
    /// The row-major shape (a linear weight is `[outputs, inputs]`).
    public let shape: [Int]
    /// How the tensor is initialised and optimised.
    public let role: ParameterRole
    /// llama.cpp's converter reorders the rows of each of this many heads so that its RoPE rotates
    /// adjacent pairs; `nil` for tensors it stores as they are.
    public let ggufPermutedHeadCount: Int?

    /// A declaration with the given values.
    public init(name: String, ggufName: String?, shape: [Int], role: ParameterRole, ggufPermutedHeadCount: Int? = nil) {
        self.name = name
        self.ggufName = ggufName
        self.shape = shape
        self.role = role
        self.ggufPermutedHeadCount = ggufPermutedHeadCount
    }
}

/// Where a module part sits: its Hugging Face name prefix, its GGUF name prefix (`nil` when the part
/// has no GGUF counterpart) and the configuration its shape rules read.
public struct DeclarationScope: Sendable {
    /// The Hugging Face name prefix, e.g. `model.layers.3.self_attn`.
    public let prefix: String
    /// The GGUF name prefix, e.g. `blk.3`; `nil` when the part has no GGUF name.
    public let ggufPrefix: String?
    /// The configuration whose sizes the shape rules read.
    public let configuration: MiniCPMConfiguration

    /// The scope at the top of a model.
    public init(configuration: MiniCPMConfiguration) {
        self.init(prefix: "", ggufPrefix: "", configuration: configuration)
    }

    init(prefix: String, ggufPrefix: String?, configuration: MiniCPMConfiguration) {
        self.prefix = prefix
        self.ggufPrefix = ggufPrefix
        self.configuration = configuration
    }

    /// The scope of a part with key `key` and GGUF key `ggufKey`. An empty GGUF key adds nothing
    /// (llama.cpp flattens `self_attn.q_proj` to `attn_q`); a `nil` one has no GGUF name.
    func appending(_ key: String, gguf ggufKey: String?) -> DeclarationScope {
        DeclarationScope(prefix: ParameterName.joining(prefix, key),
                         ggufPrefix: ggufKey.flatMap { k in ggufPrefix.map { k.isEmpty ? $0 : ParameterName.joining($0, k) } },
                         configuration: configuration)
    }
}

/// How a module builds its parts: every tensor and every linear layer comes from here, in
/// declaration order. Random initialisation and checkpoint loading are two such factories.
public struct ParameterFactory {
    /// Makes the tensor a declaration describes (of exactly its shape).
    public var makeTensor: (TensorDeclaration) throws -> Tensor
    /// Makes the linear layer whose dense weight a declaration describes; by default a ``Linear``
    /// over ``makeTensor``'s tensor. A quantizer builds its own layers here straight from a checkpoint.
    public var makeLinear: (TensorDeclaration) throws -> any LinearLayer

    /// A factory of dense layers over `makeTensor`, or of the layers `makeLinear` returns.
    public init(makeTensor: @escaping (TensorDeclaration) throws -> Tensor,
                makeLinear: ((TensorDeclaration) throws -> any LinearLayer)? = nil) {
        self.makeTensor = makeTensor
        self.makeLinear = makeLinear ?? { Linear(weight: try makeTensor($0)) }
    }
}
