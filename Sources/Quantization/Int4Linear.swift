import CQuantKernels
import MiniCPMModel
import TensorCore

/// A linear layer `y = x Wᵀ` whose weight stays int4 (round-to-nearest, group-wise, integer zero
/// points as in ``PackedInt4Weight``), substituted into a model through its `LinearLayer` seam.
///
/// The AutoGPTQ layout packs eight *inputs* of one output per word, `[in/8, out]`, so one output's
/// codes are strided by `out` words. A decode matvec wants each output row contiguous, so the layer
/// also keeps a kernel layout converted once at construction: codes `[out][in/2]` bytes, input `2k`
/// in the low nibble of byte `k`, and per-row `scale` and `scale · zero` floats `[out][in/G]`. The
/// matvec then streams every code byte exactly once and applies the zero once per group:
/// `y_o = Σ_g scale · (x_g · q_g) − scale·zero · Σ x_g`. The input row is reordered once per call
/// (even then odd inputs of every 16) so that the AVX2 kernel widens 8 code bytes to 32-bit lanes
/// and splits the nibbles with a mask and a shift, without re-interleaving them. On this machine's
/// EPYC (one thread, the C kernels built with clang -O2 outside SwiftPM, 5760 × 2304, G = 128) the
/// AVX2 matvec took 0.50–0.61 ms against 1.8–2.1 ms for OpenBLAS's float32 `sgemv` of the same
/// shape (both noisy on the shared cores), and the portable loop 4.7–5.1 ms. ``packed`` keeps the checkpoint form for
/// saving.
///
/// Up to ``gemmRowThreshold`` − 1 input rows run the matvec kernel per row (their results equal
/// the decode path's bit for bit). More rows (prefill) dequantise tiles of ``tileRows`` output rows
/// into a float scratch buffer and multiply them with BLAS, so each code is decoded once per call
/// rather than once per input row, and at most one float tile is alive at a time.
///
/// The layer is for inference: it records no gradients and has no float parameters to train.
public struct Int4Linear: LinearLayer {
    /// The weight in the AutoGPTQ checkpoint layout.
    public let packed: PackedInt4Weight
    private let rowCodes: [UInt8]
    private let rowScales: [Float]
    private let rowScaledZeros: [Float]

    /// A layer over `packed`, converting it to the kernel layout.
    /// - Throws: ``QuantizationError/incompatibleShape(tensor:shape:reason:)`` when the input
    ///   features are not a multiple of 16 (the kernels reorder inputs in blocks of 16).
    public init(packed: PackedInt4Weight) throws(QuantizationError) {
        guard packed.inputFeatures % 16 == 0 else {
            throw .incompatibleShape(tensor: "qweight", shape: [packed.outputFeatures, packed.inputFeatures],
                                     reason: "Int4Linear needs input features that are a multiple of 16")
        }
        self.packed = packed
        let out = packed.outputFeatures, inp = packed.inputFeatures, groups = inp / packed.groupSize
        let codes = packed.codes, zeros = packed.zeroPoints
        var rowCodes = [UInt8](repeating: 0, count: out * inp / 2)
        for i in 0..<(out * inp / 2) { rowCodes[i] = codes[2 * i] | (codes[2 * i + 1] << 4) }
        var scales = [Float](repeating: 0, count: out * groups)
        var scaledZeros = [Float](repeating: 0, count: out * groups)
        for g in 0..<groups {
            for o in 0..<out {
                let s = Float(packed.scales[g * out + o])
                scales[o * groups + g] = s
                scaledZeros[o * groups + g] = s * Float(zeros[g * out + o])
            }
        }
        self.rowCodes = rowCodes
        self.rowScales = scales
        self.rowScaledZeros = scaledZeros
    }

    /// Quantises a float weight `[out, in]` (see ``PackedInt4Weight/init(quantizing:groupSize:name:)``).
    public init(quantizing weight: Tensor, groupSize: Int = 128, name: String = "weight") throws(QuantizationError) {
        try self.init(packed: try PackedInt4Weight(quantizing: weight, groupSize: groupSize, name: name))
    }

    public var inputFeatures: Int { packed.inputFeatures }
    public var outputFeatures: Int { packed.outputFeatures }

    /// Input rows from which a call dequantises tiles into a GEMM instead of running matvecs.
    public static let gemmRowThreshold = 16
    /// Output rows dequantised per GEMM tile (a tile is `tileRows × inputFeatures` floats).
    public static let tileRows = 256

    /// `x Wᵀ` for `x` of shape `[..., inputFeatures]`, threaded over output rows.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank >= 1 && x.shape[x.rank - 1] == inputFeatures,
                     "Int4Linear expects [..., \(inputFeatures)], got \(x.shape)")
        let inp = inputFeatures, out = outputFeatures, group = packed.groupSize
        let rows = x.count / inp
        var shape = x.shape
        shape[shape.count - 1] = out
        if rows >= Self.gemmRowThreshold { return tiledProduct(x.reshaped([rows, inp])).reshaped(shape) }
        // One input row at a time: its reordered copy and group sums, then all outputs in parallel.
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: inp + inp / group)
        defer { scratch.deallocate() }
        let reordered = scratch, sums = scratch + inp
        return Tensor(shape: shape) { y in
            x.withUnsafeBufferPointer { xs in
                rowCodes.withUnsafeBufferPointer { codes in
                    rowScales.withUnsafeBufferPointer { scales in
                        rowScaledZeros.withUnsafeBufferPointer { zeros in
                            for r in 0..<rows {
                                cq_int4_prepare_input(xs.baseAddress! + r * inp, Int64(inp), Int64(group), sums, reordered)
                                let task = UncheckedPointers(codes: codes.baseAddress!, scales: scales.baseAddress!, zeros: zeros.baseAddress!,
                                                             x: reordered, sums: sums, y: y.baseAddress! + r * out)
                                // At least 64 rows (64 · in/2 code bytes) per chunk, so small layers stay on one thread.
                                Parallelism.forEachChunk(count: out, minimumChunk: 64) { range in
                                    cq_int4_matvec(task.codes, task.scales, task.zeros, task.x, task.sums, Int64(inp), Int64(group),
                                                   Int64(range.lowerBound), Int64(range.upperBound), task.y)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `x Wᵀ` for `x` `[rows, in]` by dequantised tiles of W and BLAS.
    private func tiledProduct(_ x: Tensor) -> Tensor {
        let rows = x.shape[0], inp = inputFeatures, out = outputFeatures, group = packed.groupSize
        return withoutGradients {
            Tensor(shape: [rows, out]) { y in
                rowCodes.withUnsafeBufferPointer { codes in
                    rowScales.withUnsafeBufferPointer { scales in
                        rowScaledZeros.withUnsafeBufferPointer { zeros in
                            for start in stride(from: 0, to: out, by: Self.tileRows) {
                                let end = min(out, start + Self.tileRows)
                                let tile = Tensor(shape: [end - start, inp]) { buffer in
                                    let task = TilePointers(codes: codes.baseAddress!, scales: scales.baseAddress!,
                                                            zeros: zeros.baseAddress!, y: buffer.baseAddress!)
                                    Parallelism.forEachChunk(count: end - start, minimumChunk: 16) { range in
                                        cq_int4_dequantize_rows(task.codes, task.scales, task.zeros, Int64(inp), Int64(group),
                                                                Int64(start + range.lowerBound), Int64(start + range.upperBound),
                                                                task.y + range.lowerBound * inp)
                                    }
                                }
                                let part = matmul(x, tile, transposeB: true)          // [rows, end − start]
                                part.withUnsafeBufferPointer { p in
                                    for r in 0..<rows {
                                        for o in 0..<(end - start) { y[r * out + start + o] = p[r * (end - start) + o] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// An int4 layer holds no float parameters for training or float checkpoints.
    public func visitParameters(prefix: String, _ visit: (String, Tensor) throws -> Void) rethrows {}
    public mutating func updateParameters(prefix: String, _ update: (String, inout Tensor) throws -> Void) rethrows {}
    public func visitParameterRoles(prefix: String, _ visit: (String, ParameterRole) throws -> Void) rethrows {}
}

/// Raw pointers handed to the worker threads; each thread writes a disjoint range of `y`.
private struct UncheckedPointers: @unchecked Sendable {
    let codes: UnsafePointer<UInt8>
    let scales: UnsafePointer<Float>
    let zeros: UnsafePointer<Float>
    let x: UnsafeMutablePointer<Float>
    let sums: UnsafeMutablePointer<Float>
    let y: UnsafeMutablePointer<Float>
}

/// The kernel layout and a tile being filled, handed to the worker threads (disjoint tile rows each).
private struct TilePointers: @unchecked Sendable {
    let codes: UnsafePointer<UInt8>
    let scales: UnsafePointer<Float>
    let zeros: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
}
