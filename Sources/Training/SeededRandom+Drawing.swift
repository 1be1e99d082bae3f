import TensorCore

// Draws that must come out the same on every platform and Swift release (the standard library's
// `shuffle(using:)` and `Int.random(in:using:)` promise no particular algorithm), so that seeded
// data orders, splits and synthetic tasks are reproducible.
extension SeededRandom {
    /// A uniform integer in `0..<bound`, by Lemire's multiply-and-reject method.
    ///
    /// Written out rather than taken from the standard library's `Int.random(in:using:)`, whose
    /// algorithm is not specified and could change between Swift releases: a saved ``SourcePosition``
    /// must give the same windows whichever toolchain resumes it.
    mutating func uniformIndex(below bound: Int) -> Int {
        precondition(bound > 0, "uniformIndex(below:) needs a positive bound, got \(bound)")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// A Fisher–Yates permutation of `0..<count`.
    mutating func permutation(of count: Int) -> [Int] {
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, uniformIndex(below: i + 1))
        }
        return order
    }
}
