import TensorCore

/// A part of the model that declares its tensors, linear layers and sub-modules once, in
/// ``parts``: the Hugging Face key, the GGUF key, the role and the shape rule of each.
///
/// ```swift
/// extension MLP: Module {
///     public static var parts: [any ModulePart<MLP>] {[
///         LinearPart("gate_proj", gguf: "ffn_gate", \.gateProjection, outputs: \.intermediateSize, inputs: \.hiddenSize),
///         LinearPart("up_proj", gguf: "ffn_up", \.upProjection, outputs: \.intermediateSize, inputs: \.hiddenSize),
///         LinearPart("down_proj", gguf: "ffn_down", \.downProjection, outputs: \.hiddenSize, inputs: \.intermediateSize),
///     ]}
/// }
/// ```
///
/// That table drives everything that walks the model: `ParameterContainer` (visiting and updating
/// parameters by name, their muP roles), ``mapLinearLayers(prefix:_:)``, the declarations that
/// loading, saving and initialisation read, and building a module from a ``ParameterFactory``.
public protocol Module: ParameterContainer, Sendable {
    /// The module's parts in Hugging Face order (the order of its parameters).
    static var parts: [any ModulePart<Self>] { get }
}

extension Module {
    public func visitParameters(prefix: String, _ visit: (String, Tensor) throws -> Void) rethrows {
        for part in Self.parts { try part.visitParameters(of: self, prefix: prefix, visit) }
    }

    public mutating func updateParameters(prefix: String, _ update: (String, inout Tensor) throws -> Void) rethrows {
        for part in Self.parts { try part.updateParameters(of: &self, prefix: prefix, update) }
    }

    public func visitParameterRoles(prefix: String, _ visit: (String, ParameterRole) throws -> Void) rethrows {
        for part in Self.parts { try part.visitParameterRoles(of: self, prefix: prefix, visit) }
    }

    /// Replaces every linear layer by `transform(name, layer)`, where `name` is the layer's full
    /// Hugging Face name (`model.layers.0.self_attn.q_proj`). The new layer must map the same numbers
    /// of features.
    public mutating func mapLinearLayers(prefix: String = "",
                                         _ transform: (_ name: String, _ layer: any LinearLayer) throws -> any LinearLayer) rethrows {
        for part in Self.parts { try part.mapLinearLayers(of: &self, prefix: prefix, transform) }
    }

    /// Every linear layer with its full Hugging Face name, in parameter order.
    public var linearLayers: [(name: String, layer: any LinearLayer)] {
        var copy = self
        var out: [(name: String, layer: any LinearLayer)] = []
        copy.mapLinearLayers { name, layer in
            out.append((name, layer))
            return layer
        }
        return out
    }

    /// Visits the declarations of the tensors this module holds when built densely.
    public func visitDeclarations(in scope: DeclarationScope, _ visit: (TensorDeclaration) throws -> Void) rethrows {
        for part in Self.parts { try part.visitDeclarations(of: self, in: scope, visit) }
    }

    /// Builds every tensor and linear layer from `factory`, in declaration order.
    public mutating func build(in scope: DeclarationScope, using factory: ParameterFactory) throws {
        for part in Self.parts { try part.build(&self, in: scope, using: factory) }
    }
}
