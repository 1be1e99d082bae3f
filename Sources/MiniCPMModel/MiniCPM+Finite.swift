import TensorCore

extension MiniCPM {
    /// Scans every parameter for NaN and infinity, like llama.cpp's `--check-tensors`, and throws for
    /// the first one found, in parameter order.
    ///
    /// Loading does not scan: a corrupt weight is rare, the scan reads every weight once (one
    /// multiply-add per element, about the memory traffic of one decode step), and the cheap
    /// per-token check of ``generate(promptTokens:parameters:sampler:cache:onToken:)`` already refuses
    /// to sample from non-finite logits. Call this after loading an untrusted checkpoint, or when
    /// logits came out non-finite, to learn which tensor is at fault.
    ///
    /// - Throws: ``NonFiniteParameterError`` naming the tensor (its Hugging Face name, e.g.
    ///   `model.norm.weight`) and the first bad element.
    public func checkFinite() throws(NonFiniteParameterError) {
        var found: NonFiniteParameterError?
        visitParameters(prefix: "") { name, tensor in
            guard found == nil, let index = tensor.firstNonFiniteIndex else { return }
            let value = tensor.withUnsafeBufferPointer { $0[index] }
            found = NonFiniteParameterError(name: name, index: index, value: "\(value)")
        }
        if let found { throw found }
    }
}

/// A model parameter that holds NaN or infinity (see ``MiniCPM/checkFinite()``).
public struct NonFiniteParameterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The tensor's Hugging Face name, e.g. `model.norm.weight`.
    public let name: String
    /// The flat (row-major) index of its first non-finite element.
    public let index: Int
    /// That element as Swift prints it: `nan`, `inf` or `-inf`.
    public let value: String

    /// The error for element `index` of tensor `name`, whose value prints as `value`.
    public init(name: String, index: Int, value: String) {
        self.name = name
        self.index = index
        self.value = value
    }

    public var description: String {
        "tensor \"\(name)\" holds a non-finite value (\(value) at element \(index)); the checkpoint is corrupt"
    }
}
