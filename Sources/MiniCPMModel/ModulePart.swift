import TensorCore

/// One entry of a module's ``Module/parts`` table: a tensor, a linear layer, a feed-forward block or
/// sub-modules, with its Hugging Face key, its GGUF key, and (for tensors and linear layers) its
/// role and shape rule.
///
/// The table is the one place a module states its parts; everything that walks a model (parameter
/// visiting and updating, muP roles, loading, saving, initialisation, substituting linear layers)
/// goes through these requirements.
public protocol ModulePart<Root> {
    /// The module type that holds the part.
    associatedtype Root

    /// Visits the part's parameters (see `ParameterContainer/visitParameters(prefix:_:)`).
    func visitParameters(of root: Root, prefix: String, _ visit: (String, Tensor) throws -> Void) rethrows
    /// Lets `update` replace the part's parameters.
    func updateParameters(of root: inout Root, prefix: String, _ update: (String, inout Tensor) throws -> Void) rethrows
    /// Visits the part's parameters' roles.
    func visitParameterRoles(of root: Root, prefix: String, _ visit: (String, ParameterRole) throws -> Void) rethrows
    /// Replaces each linear layer of the part by `transform(name, layer)`.
    func mapLinearLayers(of root: inout Root, prefix: String,
                         _ transform: (String, any LinearLayer) throws -> any LinearLayer) rethrows
    /// Visits the declarations of the tensors the part holds when it is built densely.
    func visitDeclarations(of root: Root, in scope: DeclarationScope, _ visit: (TensorDeclaration) throws -> Void) rethrows
    /// Builds the part's tensors and linear layers from `factory`.
    func build(_ root: inout Root, in scope: DeclarationScope, using factory: ParameterFactory) throws
}

/// A named tensor of a module (an embedding table, a norm gain).
public struct TensorPart<Root>: ModulePart {
    let key: String
    let ggufKey: String?
    let path: WritableKeyPath<Root, Tensor>
    let role: ParameterRole
    let shape: [KeyPath<MiniCPMConfiguration, Int>]

    /// The tensor at `path`, named `key` (`ggufKey` in GGUF files), of the shape whose sizes the
    /// configuration's `shape` properties give.
    public init(_ key: String, gguf ggufKey: String?, _ path: WritableKeyPath<Root, Tensor>, role: ParameterRole,
                shape: [KeyPath<MiniCPMConfiguration, Int>]) {
        self.key = key
        self.ggufKey = ggufKey
        self.path = path
        self.role = role
        self.shape = shape
    }

    public func visitParameters(of root: Root, prefix: String, _ visit: (String, Tensor) throws -> Void) rethrows {
        try visit(ParameterName.joining(prefix, key), root[keyPath: path])
    }

    public func updateParameters(of root: inout Root, prefix: String, _ update: (String, inout Tensor) throws -> Void) rethrows {
        try update(ParameterName.joining(prefix, key), &root[keyPath: path])
    }

    public func visitParameterRoles(of root: Root, prefix: String, _ visit: (String, ParameterRole) throws -> Void) rethrows {
        try visit(ParameterName.joining(prefix, key), role)
    }

    public func mapLinearLayers(of root: inout Root, prefix: String,
                                _ transform: (String, any LinearLayer) throws -> any LinearLayer) rethrows {}

    public func visitDeclarations(of root: Root, in scope: DeclarationScope, _ visit: (TensorDeclaration) throws -> Void) rethrows {
        try visit(declaration(in: scope))
    }

    public func build(_ root: inout Root, in scope: DeclarationScope, using factory: ParameterFactory) throws {
        root[keyPath: path] = try factory.makeTensor(declaration(in: scope))
    }

    func declaration(in scope: DeclarationScope) -> TensorDeclaration {
        let s = scope.appending(key, gguf: ggufKey)
        return TensorDeclaration(name: s.prefix, ggufName: s.ggufPrefix, shape: shape.map { scope.configuration[keyPath: $0] },
                                 role: role)
    }
}

/// A linear layer of a module (a projection, an untied LM head), held through ``LinearLayer`` so that
/// it can be replaced; built densely, its weight is `<key>.weight` of shape `[outputs, inputs]`.
public struct LinearPart<Root>: ModulePart {
    enum Slot {
        case required(WritableKeyPath<Root, any LinearLayer>)
        case optional(WritableKeyPath<Root, (any LinearLayer)?>)
    }
    let key: String
    let ggufKey: String?
    let slot: Slot
    let outputs: KeyPath<MiniCPMConfiguration, Int>
    let inputs: KeyPath<MiniCPMConfiguration, Int>
    let ggufPermutedHeads: KeyPath<MiniCPMConfiguration, Int>?

    /// The layer at `path`, named `key` (`ggufKey` in GGUF files), mapping `inputs` features to
    /// `outputs`. `ggufPermutedHeads` names the head count whose rows llama.cpp's converter permutes
    /// (queries and keys).
    public init(_ key: String, gguf ggufKey: String?, _ path: WritableKeyPath<Root, any LinearLayer>,
                outputs: KeyPath<MiniCPMConfiguration, Int>, inputs: KeyPath<MiniCPMConfiguration, Int>,
                ggufPermutedHeads: KeyPath<MiniCPMConfiguration, Int>? = nil) {
        self.init(key, ggufKey, .required(path), outputs, inputs, ggufPermutedHeads)
    }

    /// A layer that a model may lack (`nil`: nothing is visited, declared or built).
    public init(_ key: String, gguf ggufKey: String?, _ path: WritableKeyPath<Root, (any LinearLayer)?>,
                outputs: KeyPath<MiniCPMConfiguration, Int>, inputs: KeyPath<MiniCPMConfiguration, Int>) {
        self.init(key, ggufKey, .optional(path), outputs, inputs, nil)
    }

    private init(_ key: String, _ ggufKey: String?, _ slot: Slot, _ outputs: KeyPath<MiniCPMConfiguration, Int>,
                 _ inputs: KeyPath<MiniCPMConfiguration, Int>, _ heads: KeyPath<MiniCPMConfiguration, Int>?) {
        self.key = key
        self.ggufKey = ggufKey
        self.slot = slot
        self.outputs = outputs
        self.inputs = inputs
        self.ggufPermutedHeads = heads
    }

    func layer(of root: Root) -> (any LinearLayer)? {
        switch slot {
        case let .required(path): return root[keyPath: path]
        case let .optional(path): return root[keyPath: path]
        }
    }

    public func visitParameters(of root: Root, prefix: String, _ visit: (String, Tensor) throws -> Void) rethrows {
        try layer(of: root)?.visitParameters(prefix: ParameterName.joining(prefix, key), visit)
    }

    public func updateParameters(of root: inout Root, prefix: String, _ update: (String, inout Tensor) throws -> Void) rethrows {
        let name = ParameterName.joining(prefix, key)
        switch slot {
        case let .required(path): try root[keyPath: path].updateParameters(prefix: name, update)
        case let .optional(path): try root[keyPath: path]?.updateParameters(prefix: name, update)
        }
    }

    public func visitParameterRoles(of root: Root, prefix: String, _ visit: (String, ParameterRole) throws -> Void) rethrows {
        try layer(of: root)?.visitParameterRoles(prefix: ParameterName.joining(prefix, key), visit)
    }

    public func mapLinearLayers(of root: inout Root, prefix: String,
                                _ transform: (String, any LinearLayer) throws -> any LinearLayer) rethrows {
        guard let old = layer(of: root) else { return }
        let name = ParameterName.joining(prefix, key)
        let new = try transform(name, old)
        precondition(new.inputFeatures == old.inputFeatures && new.outputFeatures == old.outputFeatures,
                     "the layer replacing \(name) maps \(new.inputFeatures) → \(new.outputFeatures) features, " +
                     "not \(old.inputFeatures) → \(old.outputFeatures)")
        switch slot {
        case let .required(path): root[keyPath: path] = new
        case let .optional(path): root[keyPath: path] = new
        }
    }

    public func visitDeclarations(of root: Root, in scope: DeclarationScope, _ visit: (TensorDeclaration) throws -> Void) rethrows {
        if layer(of: root) != nil { try visit(declaration(in: scope)) }
    }

    public func build(_ root: inout Root, in scope: DeclarationScope, using factory: ParameterFactory) throws {
        guard layer(of: root) != nil else { return }
        let new = try factory.makeLinear(declaration(in: scope))
        switch slot {
        case let .required(path): root[keyPath: path] = new
        case let .optional(path): root[keyPath: path] = new
        }
    }

    func declaration(in scope: DeclarationScope) -> TensorDeclaration {
        let s = scope.appending(key, gguf: ggufKey).appending("weight", gguf: "weight")
        let c = scope.configuration
        return TensorDeclaration(name: s.prefix, ggufName: s.ggufPrefix, shape: [c[keyPath: outputs], c[keyPath: inputs]],
                                 role: .linearWeight, ggufPermutedHeadCount: ggufPermutedHeads.map { c[keyPath: $0] })
    }
}

/// A sub-module of a concrete type (a decoder layer's attention, the model's final norm).
public struct SubmodulePart<Root, Sub: Module>: ModulePart {
    let key: String
    let ggufKey: String?
    let path: WritableKeyPath<Root, Sub>

    /// The module at `path`, named `key` (`ggufKey` in GGUF files; empty when GGUF adds no component).
    public init(_ key: String, gguf ggufKey: String?, _ path: WritableKeyPath<Root, Sub>) {
        self.key = key
        self.ggufKey = ggufKey
        self.path = path
    }

    public func visitParameters(of root: Root, prefix: String, _ visit: (String, Tensor) throws -> Void) rethrows {
        try root[keyPath: path].visitParameters(prefix: ParameterName.joining(prefix, key), visit)
    }

    public func updateParameters(of root: inout Root, prefix: String, _ update: (String, inout Tensor) throws -> Void) rethrows {
        try root[keyPath: path].updateParameters(prefix: ParameterName.joining(prefix, key), update)
    }

    public func visitParameterRoles(of root: Root, prefix: String, _ visit: (String, ParameterRole) throws -> Void) rethrows {
        try root[keyPath: path].visitParameterRoles(prefix: ParameterName.joining(prefix, key), visit)
    }

    public func mapLinearLayers(of root: inout Root, prefix: String,
                                _ transform: (String, any LinearLayer) throws -> any LinearLayer) rethrows {
        try root[keyPath: path].mapLinearLayers(prefix: ParameterName.joining(prefix, key), transform)
    }

    public func visitDeclarations(of root: Root, in scope: DeclarationScope, _ visit: (TensorDeclaration) throws -> Void) rethrows {
        try root[keyPath: path].visitDeclarations(in: scope.appending(key, gguf: ggufKey), visit)
    }

    public func build(_ root: inout Root, in scope: DeclarationScope, using factory: ParameterFactory) throws {
        try root[keyPath: path].build(in: scope.appending(key, gguf: ggufKey), using: factory)
    }
}

/// A numbered list of sub-modules (the decoder layers: `model.layers.N`, GGUF `blk.N`).
public struct SubmoduleListPart<Root, Sub: Module>: ModulePart {
    let key: String
    let ggufKey: String?
    let path: WritableKeyPath<Root, [Sub]>

    /// The modules at `path`, the `i`-th named `key.i` (`ggufKey.i` in GGUF files).
    public init(_ key: String, gguf ggufKey: String?, _ path: WritableKeyPath<Root, [Sub]>) {
        self.key = key
        self.ggufKey = ggufKey
        self.path = path
    }

    func name(_ prefix: String, _ i: Int) -> String { ParameterName.joining(ParameterName.joining(prefix, key), "\(i)") }

    public func visitParameters(of root: Root, prefix: String, _ visit: (String, Tensor) throws -> Void) rethrows {
        for (i, sub) in root[keyPath: path].enumerated() { try sub.visitParameters(prefix: name(prefix, i), visit) }
    }

    public func updateParameters(of root: inout Root, prefix: String, _ update: (String, inout Tensor) throws -> Void) rethrows {
        for i in root[keyPath: path].indices { try root[keyPath: path][i].updateParameters(prefix: name(prefix, i), update) }
    }

    public func visitParameterRoles(of root: Root, prefix: String, _ visit: (String, ParameterRole) throws -> Void) rethrows {
        for (i, sub) in root[keyPath: path].enumerated() { try sub.visitParameterRoles(prefix: name(prefix, i), visit) }
    }

    public func mapLinearLayers(of root: inout Root, prefix: String,
                                _ transform: (String, any LinearLayer) throws -> any LinearLayer) rethrows {
        for i in root[keyPath: path].indices { try root[keyPath: path][i].mapLinearLayers(prefix: name(prefix, i), transform) }
    }

    public func visitDeclarations(of root: Root, in scope: DeclarationScope, _ visit: (TensorDeclaration) throws -> Void) rethrows {
        let list = scope.appending(key, gguf: ggufKey)
        for (i, sub) in root[keyPath: path].enumerated() {
            try sub.visitDeclarations(in: list.appending("\(i)", gguf: "\(i)"), visit)
        }
    }

    public func build(_ root: inout Root, in scope: DeclarationScope, using factory: ParameterFactory) throws {
        let list = scope.appending(key, gguf: ggufKey)
        for i in root[keyPath: path].indices {
            try root[keyPath: path][i].build(in: list.appending("\(i)", gguf: "\(i)"), using: factory)
        }
    }
}

/// A feed-forward block held through ``FeedForward`` (the dense ``MLP`` today, an MoE block later),
/// so that another block can take its place.
///
/// It forwards the same operations as ``SubmodulePart`` does, to an existential instead of a
/// concrete module: `any FeedForward` does not itself conform to ``Module``, so one generic part
/// cannot hold both.
public struct FeedForwardPart<Root>: ModulePart {
    let key: String
    let ggufKey: String?
    let path: WritableKeyPath<Root, any FeedForward>

    /// The block at `path`, named `key` (`ggufKey` in GGUF files).
    public init(_ key: String, gguf ggufKey: String?, _ path: WritableKeyPath<Root, any FeedForward>) {
        self.key = key
        self.ggufKey = ggufKey
        self.path = path
    }

    public func visitParameters(of root: Root, prefix: String, _ visit: (String, Tensor) throws -> Void) rethrows {
        try root[keyPath: path].visitParameters(prefix: ParameterName.joining(prefix, key), visit)
    }

    public func updateParameters(of root: inout Root, prefix: String, _ update: (String, inout Tensor) throws -> Void) rethrows {
        try root[keyPath: path].updateParameters(prefix: ParameterName.joining(prefix, key), update)
    }

    public func visitParameterRoles(of root: Root, prefix: String, _ visit: (String, ParameterRole) throws -> Void) rethrows {
        try root[keyPath: path].visitParameterRoles(prefix: ParameterName.joining(prefix, key), visit)
    }

    public func mapLinearLayers(of root: inout Root, prefix: String,
                                _ transform: (String, any LinearLayer) throws -> any LinearLayer) rethrows {
        try root[keyPath: path].mapLinearLayers(prefix: ParameterName.joining(prefix, key), transform)
    }

    public func visitDeclarations(of root: Root, in scope: DeclarationScope, _ visit: (TensorDeclaration) throws -> Void) rethrows {
        try root[keyPath: path].visitDeclarations(in: scope.appending(key, gguf: ggufKey), visit)
    }

    public func build(_ root: inout Root, in scope: DeclarationScope, using factory: ParameterFactory) throws {
        try root[keyPath: path].build(in: scope.appending(key, gguf: ggufKey), using: factory)
    }
}
