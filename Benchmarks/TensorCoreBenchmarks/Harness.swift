import BenchmarkSupport
import Foundation
import TensorCore

/// Consumes a tensor: reads its first and last element.
@inline(never) func blackHole(_ t: Tensor) {
    t.withUnsafeBufferPointer { blackHole($0) }
}

/// A 64-byte aligned buffer of `count` floats, written once so every page is faulted in.
func allocateTouched(_ count: Int, value: Float = 0.5) -> UnsafeMutablePointer<Float> {
    var raw: UnsafeMutableRawPointer?
    precondition(posix_memalign(&raw, 64, count * MemoryLayout<Float>.stride) == 0, "allocation failed")
    let p = raw!.bindMemory(to: Float.self, capacity: count)
    p.initialize(repeating: value, count: count)
    return p
}
