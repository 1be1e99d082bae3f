import BenchmarkSupport
import Dispatch
import Foundation
import TensorCore

/// Memory-bound TensorCore operations over 16M floats (64 MB per tensor) against a plain copy of
/// 16M floats measured in the same run. Throughput counts bytes read + written: 3 × 4 bytes per
/// element for `a + b`, 2 × 4 for unary operations and for the copy.
func elementwiseBenchmarks(threads: Int, plan: MeasurementPlan, rng: inout SeededRandom,
                           selected: (String) -> Bool = { _ in true }) -> [BenchmarkResult] {
    Parallelism.threadCount = threads
    let rows = 4096, cols = 4096
    let count = rows * cols
    let shape = [rows, cols]
    let shapeText = "[\(rows)×\(cols)]"

    // Baseline: memcpy of 64 MB between preallocated, already-touched buffers; with two threads each
    // copies one contiguous half.
    let source = allocateTouched(count, value: 1)
    let destination = allocateTouched(count, value: 0)
    defer { free(source); free(destination) }
    let src = SharedPointer(base: source), dst = SharedPointer(base: destination)
    let copy = {
        if threads == 1 {
            memcpy(dst.base, src.base, count * MemoryLayout<Float>.stride)
        } else {
            let per = (count + threads - 1) / threads
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                let lo = t * per, hi = min(count, lo + per)
                if lo < hi { memcpy(dst.base + lo, src.base + lo, (hi - lo) * MemoryLayout<Float>.stride) }
            }
        }
        blackHole(dst.base, count: count)
    }

    let a = Tensor.uniform(shape, in: -4...4, using: &rng)
    let b = Tensor.uniform(shape, in: -4...4, using: &rng)
    let w = Tensor.uniform([cols], in: 0.5...1.5, using: &rng)

    let unaryBytes = Double(2 * count * MemoryLayout<Float>.stride)
    let binaryBytes = Double(3 * count * MemoryLayout<Float>.stride)
    let ops: [(name: String, bytes: Double, run: () -> Void)] = [
        ("a + b", binaryBytes, { blackHole(a + b) }),
        ("silu", unaryBytes, { blackHole(a.silu()) }),
        ("rmsNorm (last axis)", unaryBytes, { blackHole(a.rmsNorm(weight: w, epsilon: 1e-5)) }),
        ("softmax (last axis)", unaryBytes, { blackHole(a.softmax(alongAxis: -1)) }),
    ]

    var results: [BenchmarkResult] = []
    for op in ops where selected(op.name) {
        // Each operation is interleaved with its own copy baseline, so both see the same conditions.
        let samples = measureInterleaved(plan, [op.run, copy])
        results.append(BenchmarkResult(
            group: "elementwise", name: op.name, threads: threads, shape: shapeText, unit: "GB/s",
            workPerRun: op.bytes, samples: samples[0], baselineName: "memcpy 64 MB",
            baselineSamples: samples[1], baselineWorkPerRun: unaryBytes, goal: 0.7))
    }
    return results
}
