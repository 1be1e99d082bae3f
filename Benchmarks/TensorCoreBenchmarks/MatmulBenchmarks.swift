import BenchmarkSupport
import CBLAS
import Foundation
import TensorCore

/// `matmul(a, b)` through TensorCore against a raw `cblas_sgemm` call on the very same input memory
/// (the tensors' own storage) into a preallocated, already-touched output.
func matmulBenchmarks(threads: Int, plan: MeasurementPlan, rng: inout SeededRandom) -> [BenchmarkResult] {
    Parallelism.threadCount = threads               // TensorCore's threads and OpenBLAS's
    openblas_set_num_threads(Int32(threads))        // (explicit, for the raw baseline)

    let shapes: [(m: Int, k: Int, n: Int)] = [(1024, 1024, 1024), (1, 1536, 3840), (512, 1536, 3840)]
    var results: [BenchmarkResult] = []
    for (m, k, n) in shapes {
        let a = Tensor.uniform([m, k], in: -1...1, using: &rng)
        let b = Tensor.uniform([k, n], in: -1...1, using: &rng)
        let c = allocateTouched(m * n)
        defer { free(c) }
        let flops = 2.0 * Double(m) * Double(k) * Double(n)
        let shape = "[\(m)×\(k)]·[\(k)×\(n)]"

        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                let rawGemm = {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                                1, pa.baseAddress, Int32(k), pb.baseAddress, Int32(n), 0, c, Int32(n))
                    blackHole(c, count: m * n)
                }
                let tensorCore = { blackHole(matmul(a, b)) }
                // y = xB computed as Bᵀx: B is row-major k×n, so it is a transposed gemv.
                let rawGemv = {
                    cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), 1, pb.baseAddress, Int32(n),
                                pa.baseAddress, 1, 0, c, 1)
                    blackHole(c, count: n)
                }
                var variants = [tensorCore, rawGemm]
                if m == 1 { variants.append(rawGemv) }
                let samples = measureInterleaved(plan, variants)

                let bytes = Double((m * k + k * n + m * n) * MemoryLayout<Float>.stride)
                let note: String? = m == 1
                    ? "TensorCore routes M == 1 to sgemv; OpenBLAS's sgemm does not, so the ratio to sgemm overstates: compare with the raw sgemv row"
                    : nil
                results.append(BenchmarkResult(
                    group: "matmul", name: "matmul", threads: threads, shape: shape, unit: "GFLOP/s",
                    workPerRun: flops, samples: samples[0], baselineName: "cblas_sgemm",
                    baselineSamples: samples[1], goal: 0.95, note: note))
                if m == 1 {
                    var info = BenchmarkResult(
                        group: "matmul", name: "raw sgemv", threads: threads, shape: shape, unit: "GFLOP/s",
                        workPerRun: flops, samples: samples[2], baselineName: "cblas_sgemm",
                        baselineSamples: samples[1], goal: nil,
                        note: "information: raw cblas_sgemv streams "
                            + "\(format(bytes / TimeSummary(samples[2]).medianSeconds / 1e9, 1)) GB/s "
                            + "(B is \(format(Double(k * n * 4) / 1e6, 1)) MB, so repeated runs may be cache-resident); "
                            + "TensorCore matmul / raw sgemv = "
                            + "\(format(TimeSummary(samples[2]).medianSeconds / TimeSummary(samples[0]).medianSeconds, 3)) (median)")
                    info.name = "raw sgemv"
                    results.append(info)
                }
            }
        }
    }
    return results
}
