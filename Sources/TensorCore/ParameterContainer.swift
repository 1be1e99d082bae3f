/// Something whose trainable tensors can be listed and replaced by name: a layer, a model (names
/// like Hugging Face's `model.layers.3.self_attn.q_proj.weight`), or a plain `[String: Tensor]`.
/// Checkpoint loading and saving, optimizers and quantizers all reach weights through this one
/// protocol instead of reflection.
///
/// Names must be unique and the same on every call: they key optimizer state and parameter groups.
public protocol ParameterContainer {
    /// Calls `visit` with the full name and value of every parameter, in a fixed order.
    func visitParameters(prefix: String, _ visit: (String, Tensor) throws -> Void) rethrows
    /// Calls `update` with the full name of every parameter and lets it replace the value.
    mutating func updateParameters(prefix: String, _ update: (String, inout Tensor) throws -> Void) rethrows
    /// Calls `visit` with the full name and ``ParameterRole`` of every parameter, in the order of
    /// ``visitParameters(prefix:_:)``.
    ///
    /// The default infers the role from the rank alone (``ParameterRole/inferred(rank:)``); a
    /// container that knows better (a model that declares its embedding table) says so.
    func visitParameterRoles(prefix: String, _ visit: (String, ParameterRole) throws -> Void) rethrows
}

/// What a parameter is for, which decides how it is initialised and optimised (muP gives matrices a
/// width-scaled learning rate, embeddings and gains the base rate; gains and biases are not decayed).
public enum ParameterRole: String, Sendable, Hashable, CaseIterable {
    /// A token embedding table `[vocabulary, hidden]` (also the output layer when tied).
    case embedding
    /// The weight matrix of a linear layer (attention and feed-forward projections, an untied LM head).
    case linearWeight
    /// The gain of a normalisation layer.
    case normGain
    /// The weight of a mixture-of-experts router `[experts, hidden]`.
    case router
    /// An additive bias.
    case bias

    /// The role a parameter of this rank has when nothing declares it: a matrix for rank 2 or more,
    /// otherwise a gain.
    public static func inferred(rank: Int) -> ParameterRole { rank >= 2 ? .linearWeight : .normGain }
}

/// The naming rule of parameter paths: components joined by dots (`model.layers.0` + `mlp`).
public enum ParameterName {
    /// `prefix.component`, or `component` alone when the prefix is empty.
    @inlinable
    public static func joining(_ prefix: String, _ component: String) -> String {
        prefix.isEmpty ? component : prefix + "." + component
    }
}

extension ParameterContainer {
    public func visitParameterRoles(prefix: String, _ visit: (String, ParameterRole) throws -> Void) rethrows {
        try visitParameters(prefix: prefix) { name, tensor in try visit(name, .inferred(rank: tensor.rank)) }
    }

    /// Every parameter by name, in the container's order.
    public var namedParameters: [(name: String, value: Tensor)] {
        var out: [(name: String, value: Tensor)] = []
        visitParameters(prefix: "") { out.append((name: $0, value: $1)) }
        return out
    }

    /// Every parameter's role by name, in the container's order.
    public var parameterRoles: [(name: String, role: ParameterRole)] {
        var out: [(name: String, role: ParameterRole)] = []
        visitParameterRoles(prefix: "") { out.append((name: $0, role: $1)) }
        return out
    }

    /// The number of scalars in all parameters.
    public var parameterCount: Int {
        var n = 0
        visitParameters(prefix: "") { n += $1.count }
        return n
    }

    /// A copy whose every parameter is a gradient leaf (``Tensor/requiringGradient()``): what to
    /// train. Losses computed from it record a graph, and `backward()` fills each parameter's
    /// ``Tensor/gradient`` for an optimizer to step on.
    ///
    /// ```swift
    /// var model = try MiniCPM(configuration: configuration, seed: 0).requiringGradients()
    /// ```
    public func requiringGradients() -> Self {
        var copy = self
        copy.updateParameters(prefix: "") { _, tensor in tensor = tensor.requiringGradient() }
        return copy
    }

    /// Forgets the accumulated gradient of every parameter (PyTorch's `zero_grad(set_to_none=True)`).
    public func clearGradients() {
        visitParameters(prefix: "") { _, tensor in tensor.clearGradient() }
    }
}

/// A dictionary from names to tensors is a parameter container; it visits its entries in the byte
/// order of their names, so the order is the same on every call.
extension Dictionary: ParameterContainer where Key == String, Value == Tensor {
    public func visitParameters(prefix: String, _ visit: (String, Tensor) throws -> Void) rethrows {
        for key in keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            try visit(ParameterName.joining(prefix, key), self[key]!)
        }
    }

    public mutating func updateParameters(prefix: String, _ update: (String, inout Tensor) throws -> Void) rethrows {
        for key in keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            // Through `values[index]` the tensor is modified in place, so its storage stays uniquely
            // referenced and an in-place update does not copy it.
            let index = index(forKey: key)!
            try update(ParameterName.joining(prefix, key), &values[index])
        }
    }
}
