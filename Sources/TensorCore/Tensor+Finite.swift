/// Finding NaN and infinity: a checkpoint with one corrupt weight turns every logit into NaN, and
/// greedy decoding of NaN logits silently yields token 0 forever. Callers check a logits row per
/// generated token (V floats) and, optionally, every weight at load, so the scan must cost little
/// next to the work that produced the numbers.
extension Tensor {
    /// The flat index of the first element that is NaN or ±infinity, `nil` when all are finite.
    public var firstNonFiniteIndex: Int? {
        withUnsafeBufferPointer { Tensor.firstNonFiniteIndex(in: $0) }
    }

    /// The index of the first NaN or ±infinity in `buffer`, `nil` when all elements are finite.
    ///
    /// Blocks of 256 elements are summed as `x · 0` in SIMD lanes: the sum stays ±0 for finite
    /// values and becomes NaN as soon as one element is NaN or infinite (the multiplication is not
    /// folded away, because Swift keeps IEEE semantics). Only a block whose sum is NaN is scanned
    /// element by element for the index, so all-finite data costs one multiply-add per element.
    public static func firstNonFiniteIndex(in buffer: UnsafeBufferPointer<Float>) -> Int? {
        typealias Vector = SIMD16<Float>
        let block = 256
        let count = buffer.count
        guard let base = buffer.baseAddress else { return nil }
        var start = 0
        while start + block <= count {
            var sum = Vector.zero
            for offset in stride(from: start, to: start + block, by: Vector.scalarCount) {
                let v = UnsafeRawPointer(base + offset).loadUnaligned(as: Vector.self)
                sum += v * 0
            }
            if sum != sum, let i = scalarFirstNonFinite(base, start..<(start + block)) { return i }
            start += block
        }
        return scalarFirstNonFinite(base, start..<count)
    }

    /// The scalar reference of ``firstNonFiniteIndex(in:)`` over `range`.
    static func scalarFirstNonFinite(_ base: UnsafePointer<Float>, _ range: Range<Int>) -> Int? {
        range.first { !base[$0].isFinite }
    }
}
