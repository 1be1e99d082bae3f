/// Divides every logit by a temperature: below 1 sharpens the distribution, above 1 flattens it.
///
/// Temperature 0 (greedy decoding) is not a division: ``GenerateParameters`` replaces the
/// random selection by ``ArgmaxSelector`` instead.
///
/// **Tiny temperatures.** When a quotient would overflow (a temperature near `Float`'s smallest
/// values, such as `1e-38` or the subnormal `1e-45`, or huge logits), dividing would turn every
/// logit into ±infinity, which the selectors skip, and generation would repeat token 0. Then the
/// largest finite logit is subtracted before dividing: softmax is unchanged by the shift, the most
/// likely tokens land on 0 and the others on large negative values or `-infinity`, so sampling
/// approaches its limit, greedy decoding. Ordinary temperatures divide plainly.
public struct Temperature: LogitProcessor, Hashable {
    /// The divisor of every logit.
    public let temperature: Float

    /// Scaling by `1 / temperature`.
    /// - Precondition: `temperature` is finite and positive.
    public init(_ temperature: Float) {
        precondition(temperature.isFinite && temperature > 0, "temperature must be finite and positive, got \(temperature)")
        self.temperature = temperature
    }

    public func process(_ logits: inout [Float], history: [Int]) {
        guard temperature != 1 else { return }
        let t = temperature
        logits.withUnsafeMutableBufferPointer { l in
            var largest = -Float.infinity, largestMagnitude: Float = 0
            for v in l where v.isFinite {
                largest = max(largest, v)
                largestMagnitude = max(largestMagnitude, v.magnitude)
            }
            // Shift only when plain division overflows, so ordinary temperatures keep exact quotients.
            let shift: Float = (largestMagnitude / t).isFinite ? 0 : largest
            for i in l.indices { l[i] = (l[i] - shift) / t }
        }
    }
}
