#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Tensor {
    /// Softplus `log(1 + eˣ)`, element-wise, computed as `max(x, 0) + log1p(e^−|x|)`.
    ///
    /// The textbook form overflows to `+∞` for x ≳ 89 (Float) and loses every digit of the result
    /// for very negative x (where it is ≈ eˣ); the rewritten form is exact to rounding everywhere,
    /// which is what a negative log-sigmoid such as DPO's `−log σ(z) = softplus(−z)` needs when the
    /// margin z is large. The gradient is `σ(x)`.
    public func softplus() -> Tensor {
        var out = Tensor(shape: shape) { dst in
            withUnsafeBufferPointer { src in
                for i in src.indices {
                    let x = src[i]
                    dst[i] = Swift.max(x, 0) + log1pf(expf(-Swift.abs(x)))
                }
            }
        }
        if Tensor.needsGradient(self) {
            let x = detached()
            out = out.recorded(from: [self]) { g in [g * x.sigmoid()] }
        }
        return out
    }
}
