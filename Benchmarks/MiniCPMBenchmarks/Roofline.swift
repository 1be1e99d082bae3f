import BenchmarkSupport
import CBLAS
import Dispatch
import Foundation
import MiniCPMModel
import TensorCore

/// Measures what the machine can do right now, at a given thread count, so every model figure sits
/// beside a ceiling measured in the same run.
final class Roofline {
    /// Floats in the streaming buffer: 1 GiB, far beyond the 32 MiB L3.
    let streamCount = 1 << 28
    let stream: UnsafeMutablePointer<Float>

    init() {
        // Anonymous memory with transparent huge pages requested (this machine's THP mode is
        // `madvise`), so the measurement is not limited by 4 KiB page walks.
        let bytes = streamCount * 4
        let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)!
        precondition(raw != MAP_FAILED, "cannot map the 1 GiB bandwidth buffer")
        _ = madvise(raw, bytes, 14 /* MADV_HUGEPAGE */)
        stream = raw.bindMemory(to: Float.self, capacity: streamCount)
        // Touch every page (in parallel), so the measurement sees no page faults.
        let p = SharedPointer(base: stream)
        let n = streamCount
        DispatchQueue.concurrentPerform(iterations: 64) { c in
            let lo = c * (n / 64), hi = c == 63 ? n : lo + n / 64
            (p.base + lo).initialize(repeating: 0.25 + Float(c) * 1e-6, count: hi - lo)
        }
    }

    deinit { munmap(stream, streamCount * 4) }

    /// One bandwidth sample in bytes/s: the better of a plain streaming sum of the 1 GiB buffer and
    /// raw `cblas_sgemv` over it as a `[174762, 1536]` matrix (OpenBLAS's gemv reads four rows at a
    /// time and on this machine often streams faster than a single-stream sum). Both split the
    /// buffer over `threads`.
    func readBandwidth(threads: Int) -> (best: Double, sum: Double, gemv: Double) {
        let sum = sumBandwidth(threads: threads)
        let gemv = gemvBandwidth(threads: threads)
        return (max(sum, gemv), sum, gemv)
    }

    let gemvColumns = 1536
    lazy var gemvX: UnsafeMutablePointer<Float> = {
        let x = UnsafeMutablePointer<Float>.allocate(capacity: gemvColumns)
        x.initialize(repeating: 1e-3, count: gemvColumns)
        return x
    }()
    lazy var gemvY: UnsafeMutablePointer<Float> = {
        let n = streamCount / gemvColumns
        let y = UnsafeMutablePointer<Float>.allocate(capacity: n)
        y.initialize(repeating: 0, count: n)
        return y
    }()

    func gemvBandwidth(threads: Int) -> Double {
        openblas_set_num_threads(Int32(threads))
        let rows = streamCount / gemvColumns
        let (x, y) = (gemvX, gemvY)
        let t = seconds {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(gemvColumns), 1, stream, Int32(gemvColumns),
                        x, 1, 0, y, 1)
        }
        blackHole(y[0])
        return Double(rows * gemvColumns * 4) / t
    }

    /// Streaming sum of the 1 GiB buffer, split in `threads` contiguous parts read concurrently
    /// (each with four 16-lane accumulators).
    func sumBandwidth(threads: Int) -> Double {
        let p = SharedPointer(base: stream)
        let n = streamCount
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: threads * 16)
        defer { partials.deallocate() }
        let out = SharedPointer(base: partials)
        let t = seconds {
            DispatchQueue.concurrentPerform(iterations: threads) { c in
                let lo = c * (n / threads), hi = c == threads - 1 ? n : lo + n / threads
                out.base[c * 16] = Roofline.sum(p.base + lo, hi - lo)
            }
        }
        for c in 0..<threads { blackHole(partials[c * 16]) }
        return Double(n * 4) / t
    }

    @inline(never)
    static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        typealias V = SIMD16<Float>
        var a0 = V(), a1 = V(), a2 = V(), a3 = V()
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 64 <= n {
            a0 += raw.load(fromByteOffset: i * 4, as: V.self)
            a1 += raw.load(fromByteOffset: i * 4 + 64, as: V.self)
            a2 += raw.load(fromByteOffset: i * 4 + 128, as: V.self)
            a3 += raw.load(fromByteOffset: i * 4 + 192, as: V.self)
            i += 64
        }
        var s = ((a0 + a1) + (a2 + a3)).sum()
        while i < n { s += p[i]; i += 1 }
        return s
    }


    /// Throughput (flop/s) of raw `cblas_sgemm` on one decoder layer's seven projections for
    /// `rows` input rows, exactly as a prefill calls them (weights `[out, in]`, transposed in place),
    /// on preallocated buffers: the ceiling for the linear part of a prefill. Median of `runs`.
    func layerSgemmThroughput(_ c: MiniCPMConfiguration, rows: Int, threads: Int, runs: Int) -> Double {
        openblas_set_num_threads(Int32(threads))
        let d = c.hiddenSize, kv = c.keyValueHeadCount * c.headDimension, ff = c.intermediateSize
        let shapes = [(d, d), (kv, d), (kv, d), (d, d), (ff, d), (ff, d), (d, ff)]   // (out, in)
        let maxIn = max(d, ff), maxOut = max(d, ff)
        let x = UnsafeMutablePointer<Float>.allocate(capacity: rows * maxIn)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: rows * maxOut)
        x.initialize(repeating: 0.01, count: rows * maxIn)
        y.initialize(repeating: 0, count: rows * maxOut)
        let weights = shapes.map { (o, i) -> UnsafeMutablePointer<Float> in
            let w = UnsafeMutablePointer<Float>.allocate(capacity: o * i)
            w.initialize(repeating: 0.001, count: o * i)
            return w
        }
        defer { x.deallocate(); y.deallocate(); weights.forEach { $0.deallocate() } }
        let flops = shapes.reduce(0.0) { $0 + 2 * Double(rows * $1.0 * $1.1) }
        func layer() {
            for ((o, i), w) in zip(shapes, weights) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(o), Int32(i),
                            1, x, Int32(i), w, Int32(i), 0, y, Int32(o))
            }
        }
        layer()
        let samples = (0..<runs).map { _ in seconds(layer) }
        blackHole(y[0])
        return flops / median(samples)
    }
}
