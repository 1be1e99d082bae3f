import TensorCore

// Draws that must come out the same on every platform and Swift release (the standard library's
// `shuffle(using:)` and `Int.random(in:using:)` promise no particular algorithm), so that seeded
// data orders, splits and synthetic tasks are reproducible.
extension SeededRandom {
    /// A uniform index in `0..<count` by multiply-shift (Lemire's method without the rejection step;
    /// the bias, below count / 2^64, is immaterial here).
    mutating func nextIndex(below count: Int) -> Int {
        precondition(count > 0, "nextIndex(below:) needs a positive count")
        return Int(next().multipliedFullWidth(by: UInt64(count)).high)
    }

    /// A Fisher–Yates permutation of `0..<count`.
    mutating func permutation(of count: Int) -> [Int] {
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, nextIndex(below: i + 1))
        }
        return order
    }
}
