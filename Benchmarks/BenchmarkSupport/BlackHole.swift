// Support shared by the benchmark executables (TensorCoreBenchmarks, MiniCPMBenchmarks,
// TokenizerBenchmarks); not a product and imports nothing of ours, so a tokenizer benchmark does not
// link the tensor library.

/// Where results go so the optimiser cannot drop the work that produced them.
nonisolated(unsafe) public var blackHoleSink: Float = 0

/// Consumes a value opaquely.
@inline(never) public func blackHole(_ x: Float) { blackHoleSink += x }

/// Consumes a buffer: reads its first and last element (a benchmark's result tensor passes its
/// storage here, so the work that filled it cannot be dropped).
@inline(never) public func blackHole(_ buffer: UnsafeBufferPointer<Float>) {
    if let first = buffer.first, let last = buffer.last { blackHoleSink += first + last }
}

/// Consumes a raw buffer of `count` floats: reads its first and last element.
@inline(never) public func blackHole(_ p: UnsafeMutablePointer<Float>, count: Int) {
    blackHoleSink += p[0] + p[count - 1]
}
