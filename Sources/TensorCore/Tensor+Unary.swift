#if canImport(Glibc)
import Glibc
#endif

/// Element-wise functions with gradients.
extension Tensor {
    /// e^x.
    public func exp() -> Tensor {
        var out = Tensor.mapElements(self, ExpKernel.self)
        if Tensor.needsGradient(self) {
            let y = out.detached()
            out = out.recorded(from: [self]) { g in [g * y] }
        }
        return out
    }

    /// Natural logarithm.
    public func log() -> Tensor {
        var out = Tensor.mapElements(self, LogKernel.self)
        if Tensor.needsGradient(self) {
            let x = detached()
            out = out.recorded(from: [self]) { g in [g / x] }
        }
        return out
    }

    /// Square root.
    public func sqrt() -> Tensor {
        var out = Tensor.mapElements(self, SqrtKernel.self)
        if Tensor.needsGradient(self) {
            let y = out.detached()
            out = out.recorded(from: [self]) { g in [g * 0.5 / y] }
        }
        return out
    }

    /// Reciprocal square root 1/√x.
    public func rsqrt() -> Tensor {
        var out = Tensor.mapElements(self, RsqrtKernel.self)
        if Tensor.needsGradient(self) {
            let y = out.detached()
            out = out.recorded(from: [self]) { g in [g * (y * y * y) * -0.5] }
        }
        return out
    }

    /// x².
    public func squared() -> Tensor { self * self }

    /// Hyperbolic tangent.
    public func tanh() -> Tensor {
        var out = Tensor.mapElements(self, TanhKernel.self)
        if Tensor.needsGradient(self) {
            let y = out.detached()
            out = out.recorded(from: [self]) { g in [Tensor.combine(g, y, TanhGradientKernel.self)] }
        }
        return out
    }

    /// Logistic sigmoid 1 / (1 + e^−x).
    public func sigmoid() -> Tensor {
        var out = Tensor.mapElements(self, SigmoidKernel.self)
        if Tensor.needsGradient(self) {
            let y = out.detached()
            out = out.recorded(from: [self]) { g in [Tensor.combine(g, y, SigmoidGradientKernel.self)] }
        }
        return out
    }

    /// SiLU (swish) x · sigmoid(x), the activation of MiniCPM's gated MLP.
    public func silu() -> Tensor {
        var out = Tensor.mapElements(self, SiLUKernel.self)
        if Tensor.needsGradient(self) {
            let x = detached()
            out = out.recorded(from: [self]) { g in [Tensor.combine(g, x, SiLUGradientKernel.self)] }
        }
        return out
    }

    /// How ``gelu(approximation:)`` evaluates the Gaussian CDF.
    public enum GELUApproximation: Sendable {
        /// Exact: x · Φ(x) with the error function.
        case none
        /// 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 x³))), as PyTorch's `approximate="tanh"`.
        case tanh
    }

    /// Gaussian error linear unit.
    public func gelu(approximation: GELUApproximation = .none) -> Tensor {
        switch approximation {
        case .tanh:
            var out = Tensor.mapElements(self, GELUTanhKernel.self)
            if Tensor.needsGradient(self) {
                let x = detached()
                out = out.recorded(from: [self]) { g in [Tensor.combine(g, x, GELUTanhGradientKernel.self)] }
            }
            return out
        case .none:
            var out = Tensor.mapElements(self, GELUErfKernel.self)
            if Tensor.needsGradient(self) {
                let x = detached()
                out = out.recorded(from: [self]) { g in [Tensor.combine(g, x, GELUErfGradientKernel.self)] }
            }
            return out
        }
    }
}

// MARK: Kernels

@usableFromInline enum ExpKernel: UnaryKernel {
    @inlinable @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { VectorMath.exp(x) }
    @inlinable @inline(__always) static func apply(_ x: Float) -> Float { expf(x) }
}
@usableFromInline enum LogKernel: UnaryKernel {
    @inlinable @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { VectorMath.log(x) }
    @inlinable @inline(__always) static func apply(_ x: Float) -> Float { logf(x) }
}
@usableFromInline enum SqrtKernel: UnaryKernel {
    @inlinable @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { x.squareRoot() }
    @inlinable @inline(__always) static func apply(_ x: Float) -> Float { x.squareRoot() }
}
@usableFromInline enum RsqrtKernel: UnaryKernel {
    @inlinable @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { 1 / x.squareRoot() }
    @inlinable @inline(__always) static func apply(_ x: Float) -> Float { 1 / x.squareRoot() }
}
@usableFromInline enum TanhKernel: UnaryKernel {
    @inlinable @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { VectorMath.tanh(x) }
    @inlinable @inline(__always) static func apply(_ x: Float) -> Float { tanhf(x) }
}
@usableFromInline enum SigmoidKernel: UnaryKernel {
    @inlinable @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { VectorMath.sigmoid(x) }
    @inlinable @inline(__always) static func apply(_ x: Float) -> Float { 1 / (1 + expf(-x)) }
}
@usableFromInline enum SiLUKernel: UnaryKernel {
    @inlinable @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { VectorMath.silu(x) }
    @inlinable @inline(__always) static func apply(_ x: Float) -> Float { x / (1 + expf(-x)) }
}
@usableFromInline let sqrtTwoOverPi: Float = 0.7978845608028654
// GELU is written with 0.5·(1 + tanh z) = sigmoid(2z) and 0.5·(1 + erf z) = 0.5·erfc(−z): the
// textbook forms cancel catastrophically for negative inputs, where the result is tiny.
@usableFromInline enum GELUTanhKernel: UnaryKernel {
    @inlinable @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> {
        x * VectorMath.sigmoid(2 * sqrtTwoOverPi * (x + 0.044715 * x * x * x))
    }
    @inlinable @inline(__always) static func apply(_ x: Float) -> Float {
        x / (1 + expf(-2 * sqrtTwoOverPi * (x + 0.044715 * x * x * x)))
    }
}
@usableFromInline enum GELUErfKernel: UnaryKernel {
    @inlinable @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> {
        var out = SIMD16<Float>()
        for i in 0..<16 { out[i] = apply(x[i]) }
        return out
    }
    @inlinable @inline(__always) static func apply(_ x: Float) -> Float { 0.5 * x * erfcf(-x * 0.7071067811865476) }
}

// Gradient kernels: a = upstream gradient, b = saved input or output.
@usableFromInline enum TanhGradientKernel: BinaryKernel {
    @inlinable @inline(__always) static func apply(_ g: SIMD16<Float>, _ y: SIMD16<Float>) -> SIMD16<Float> { g * (1 - y * y) }
    @inlinable @inline(__always) static func apply(_ g: Float, _ y: Float) -> Float { g * (1 - y * y) }
}
@usableFromInline enum SigmoidGradientKernel: BinaryKernel {
    @inlinable @inline(__always) static func apply(_ g: SIMD16<Float>, _ y: SIMD16<Float>) -> SIMD16<Float> { g * y * (1 - y) }
    @inlinable @inline(__always) static func apply(_ g: Float, _ y: Float) -> Float { g * y * (1 - y) }
}
@usableFromInline enum SiLUGradientKernel: BinaryKernel {
    @inlinable @inline(__always) static func apply(_ g: SIMD16<Float>, _ x: SIMD16<Float>) -> SIMD16<Float> {
        let s = VectorMath.sigmoid(x)
        return g * s * (1 + x * (1 - s))
    }
    @inlinable @inline(__always) static func apply(_ g: Float, _ x: Float) -> Float {
        let s = 1 / (1 + expf(-x))
        return g * s * (1 + x * (1 - s))
    }
}
@usableFromInline enum GELUTanhGradientKernel: BinaryKernel {
    // d/dx [x·s(2z)] = s + 2x·s(1 − s)·dz/dx with s = sigmoid(2z), z = √(2/π)(x + 0.044715x³).
    @inlinable @inline(__always) static func apply(_ g: SIMD16<Float>, _ x: SIMD16<Float>) -> SIMD16<Float> {
        let s = VectorMath.sigmoid(2 * sqrtTwoOverPi * (x + 0.044715 * x * x * x))
        let dz = sqrtTwoOverPi * (1 + 3 * 0.044715 * x * x)
        return g * (s + 2 * x * s * (1 - s) * dz)
    }
    @inlinable @inline(__always) static func apply(_ g: Float, _ x: Float) -> Float {
        let s = 1 / (1 + expf(-2 * sqrtTwoOverPi * (x + 0.044715 * x * x * x)))
        let dz = sqrtTwoOverPi * (1 + 3 * 0.044715 * x * x)
        return g * (s + 2 * x * s * (1 - s) * dz)
    }
}
@usableFromInline enum GELUErfGradientKernel: BinaryKernel {
    @inlinable @inline(__always) static func apply(_ g: SIMD16<Float>, _ x: SIMD16<Float>) -> SIMD16<Float> {
        var out = SIMD16<Float>()
        for i in 0..<16 { out[i] = apply(g[i], x[i]) }
        return out
    }
    @inlinable @inline(__always) static func apply(_ g: Float, _ x: Float) -> Float {
        let cdf = 0.5 * erfcf(-x * 0.7071067811865476)
        let pdf = expf(-0.5 * x * x) * 0.3989422804014327
        return g * (cdf + x * pdf)
    }
}
