import CQuantKernels
import TensorCore
import MiniCPMModel

/// A linear layer whose weight stays in its GGUF storage type (llama.cpp's Q4_0, Q4_1, Q8_0, Q4_K or
/// Q6_K blocks, or F16/BF16 half-precision values), read in place from a GGUF file's mapping (or from
/// bytes given to it): no `Float` copy of the weight is ever made.
///
/// Each output row `r` of `W` (`[outputFeatures, inputFeatures]`) is `inputFeatures / type.blockSize`
/// blocks (32 weights for Q4_0/Q4_1/Q8_0, 256-weight super-blocks for Q4_K/Q6_K, one value for
/// F16/BF16); `y = x Wᵀ` is computed as one dot product over the stored row per output row and input
/// row by the C kernels
/// of `CQuantKernels` (AVX2/FMA/F16C when the CPU has them, portable C otherwise). Output rows are
/// split over `Parallelism/threadCount` threads, and the few input rows of a call (decoding) are
/// run against each weight row while that row is in cache (for Q4_0 and Q4_1, by default with the
/// input quantised to 8 bits and integer dot products: ``usesIntegerDotProducts``). From `prefillInputRows` input rows on
/// (a prompt), the weight is instead dequantised a tile of rows at a time (at most `tileElements`
/// floats) and multiplied with BLAS through `matmul`, which is several times faster than block
/// dot products per input row; only the tile, never the whole weight, exists as floats. Results do
/// not depend on the thread count (each output of the block path is one dot product, and the
/// dequantisation is exact).
///
/// The layer is for inference: it has no trainable parameters (``visitParameters(prefix:_:)`` and
/// ``visitParameterRoles(prefix:_:)`` visit nothing, ``updateParameters(prefix:_:)`` changes nothing),
/// and its output carries no gradient.
public struct GGUFBlockLinear: LinearLayer {
    /// The storage type of the weight (one of ``supportedTypes``).
    public let type: GGUFTensorType
    public let inputFeatures: Int
    public let outputFeatures: Int
    private let storage: BlockStorage
    /// The stored row that holds output row `r`, or `nil` when rows are stored in order.
    private let rowMap: [Int32]?

    /// The storage types this layer computes on in place: the 32-weight blocks Q4_0, Q4_1 and Q8_0,
    /// the 256-weight super-blocks Q4_K and Q6_K, and half-precision F16 and BF16 (half the memory
    /// and memory traffic of `Float` weights, widened in registers).
    public static let supportedTypes: Set<GGUFTensorType> = [.q4_0, .q4_1, .q8_0, .q4_K, .q6_K, .f16, .bf16]

    /// The layer over the tensor called `name` in `file`, whose mapping it keeps alive.
    ///
    /// - Parameters:
    ///   - file: The memory-mapped GGUF file holding the tensor.
    ///   - name: The tensor's GGUF name (e.g. `blk.0.attn_q.weight`).
    ///   - permutedHeadCount: for `attn_q`/`attn_k` weights, the head count of llama.cpp's
    ///     row permutation (`TensorDeclaration/ggufPermutedHeadCount`): the layer then reads the
    ///     rows in Hugging Face order, as `MiniCPM.init(gguf:)` does for float weights.
    /// - Throws: ``QuantizationError/incompatibleShape(tensor:shape:reason:)`` for a tensor that is
    ///   not a matrix of a supported type, or whose rows do not split into the heads; GGUF errors
    ///   for a missing tensor.
    public init(file: GGUFFile, tensorNamed name: String, permutedHeadCount: Int? = nil) throws {
        let info = try file.info(named: name)
        let base = try file.withUnsafeRawBytes(ofTensorNamed: name) { $0.baseAddress }
        try self.init(type: info.type, shape: info.shape, name: name, permutedHeadCount: permutedHeadCount,
                      storage: BlockStorage(base: base, byteCount: info.byteCount, owner: file))
    }

    /// The layer over expert `expert`'s `[rows, columns]` slice of the stacked 3-D tensor called `name`
    /// in `file` (llama.cpp's `ffn_gate_exps`/`ffn_up_exps`/`ffn_down_exps`, row-major
    /// `[experts, rows, columns]`), whose mapping it keeps alive. The expert index varies slowest, so
    /// the slice is the `expert`-th of `experts` equal byte ranges, whole rows of whole blocks.
    /// - Throws: ``QuantizationError/incompatibleShape(tensor:shape:reason:)`` for a tensor that is not
    ///   3-D, an expert outside it, or rows that are not whole blocks of a supported type; GGUF errors
    ///   for a missing tensor.
    public init(file: GGUFFile, tensorNamed name: String, expert: Int) throws {
        let info = try file.info(named: name)
        guard info.shape.count == 3, info.shape[0] > 0 else {
            throw QuantizationError.incompatibleShape(tensor: name, shape: info.shape, reason: "not a stack of expert matrices [experts, rows, columns]")
        }
        guard (0 ..< info.shape[0]).contains(expert) else {
            throw QuantizationError.incompatibleShape(tensor: name, shape: info.shape, reason: "has no expert \(expert)")
        }
        let sliceBytes = info.byteCount / info.shape[0]
        let base = try file.withUnsafeRawBytes(ofTensorNamed: name) { $0.baseAddress.map { $0 + expert * sliceBytes } }
        try self.init(type: info.type, shape: Array(info.shape.dropFirst()), name: "\(name)[\(expert)]", permutedHeadCount: nil,
                      storage: BlockStorage(base: base, byteCount: sliceBytes, owner: file))
    }

    /// The layer over a copy of `blocks`, the little-endian GGUF blocks of a `[outputs, inputs]`
    /// weight of `type` (rows in the order given, or permuted as `permutedHeadCount` says).
    /// - Throws: ``QuantizationError/incompatibleShape(tensor:shape:reason:)`` when `blocks` does not
    ///   hold exactly that weight.
    public init(type: GGUFTensorType, shape: [Int], blocks: [UInt8], permutedHeadCount: Int? = nil) throws {
        try self.init(type: type, shape: shape, name: "(blocks)", permutedHeadCount: permutedHeadCount,
                      storage: BlockStorage(copying: blocks))
    }

    private init(type: GGUFTensorType, shape: [Int], name: String, permutedHeadCount: Int?,
                 storage: BlockStorage) throws {
        guard Self.supportedTypes.contains(type) else {
            throw QuantizationError.incompatibleShape(tensor: name, shape: shape, reason: "\(type) blocks are not kept quantised")
        }
        guard shape.count == 2, shape[0] > 0, shape[1] > 0, shape[1] % type.blockSize == 0 else {
            throw QuantizationError.incompatibleShape(tensor: name, shape: shape,
                                                      reason: "not a matrix of whole \(type) blocks of \(type.blockSize)")
        }
        guard shape[0] < Int(Int32.max) else {
            throw QuantizationError.incompatibleShape(tensor: name, shape: shape, reason: "too many rows")
        }
        let rowBytes = shape[1] / type.blockSize * type.bytesPerBlock
        guard storage.byteCount == shape[0] * rowBytes else {
            throw QuantizationError.incompatibleShape(tensor: name, shape: shape,
                                                      reason: "\(storage.byteCount) bytes, expected \(shape[0] * rowBytes)")
        }
        if let heads = permutedHeadCount {
            guard heads > 0, shape[0] % (2 * heads) == 0 else {
                throw QuantizationError.incompatibleShape(tensor: name, shape: shape,
                                                          reason: "rows do not split into \(heads) heads of pairs")
            }
            rowMap = Self.rotateHalfRowMap(rows: shape[0], heads: heads)
        } else {
            rowMap = nil
        }
        self.type = type
        self.outputFeatures = shape[0]
        self.inputFeatures = shape[1]
        self.storage = storage
    }

    /// llama.cpp stores each head's rows so that GGUF row `2i + j` is Hugging Face row `j·d/2 + i`;
    /// whole rows are independent blocks, so Hugging Face row `r` of a head is simply read from
    /// GGUF row `2(r mod d/2) + r div (d/2)` of it.
    static func rotateHalfRowMap(rows: Int, heads: Int) -> [Int32] {
        let perHead = rows / heads, half = perHead / 2
        return (0 ..< rows).map { row in
            let (head, r) = row.quotientAndRemainder(dividingBy: perHead)
            return Int32(head * perHead + 2 * (r % half) + r / half)
        }
    }

    /// Whether calls with fewer than `prefillInputRows` input rows (decoding) on weights of the
    /// ``integerDotProductTypes`` quantise each input row to 8-bit blocks (32 codes and a scale, as
    /// llama.cpp's `block_q8_1`) and use integer block dot products, rather than float dot products
    /// with the unquantised input.
    ///
    /// The integer kernels do one conversion and FMA per eight products instead of one per product,
    /// so decoding (bound by arithmetic, not memory) is faster; the price is the input's rounding
    /// to 8 bits (at most 1/254 of each block of 32's largest magnitude), which changes outputs by
    /// about 1e-3 of their magnitude. Defaults to `true`, or `false` when the environment variable
    /// `MINICPM_GGUF_FLOAT_DECODE` is set (for comparisons); setting it applies to every layer.
    public static var usesIntegerDotProducts: Bool {
        get { cq_gguf_integer_decode() != 0 }
        set { cq_gguf_set_integer_decode(newValue ? 1 : 0) }
    }

    /// The block types whose decode path uses integer dot products when ``usesIntegerDotProducts``.
    ///
    /// Q8_0 keeps the float kernel: its integer kernel gains least (about 1.5x on a 576-wide matvec
    /// against 2–2.7x for Q4_0/Q4_1, its 8-bit weights being closer to memory bound), and llama.cpp's
    /// small-model files store the tied output layer as Q8_0, where x's rounding lands directly on
    /// the logits: on SmolLM2-135M it flipped the greedy reply to "What is the capital of France?"
    /// at a 0.08 near tie of the first token.
    public static let integerDotProductTypes: Set<GGUFTensorType> = [.q4_0, .q4_1]

    /// From this many input rows on, a call goes through dequantised tiles and BLAS rather than
    /// block dot products (measured on SmolLM2-135M: a 64-token prefill runs about 4x faster).
    static let prefillInputRows = 8
    /// The most floats one dequantised tile of the prefill path holds (4 MiB).
    static let tileElements = 1 << 20

    /// `x Wᵀ` for `x` of shape `[..., inputFeatures]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank >= 1 && x.shape[x.rank - 1] == inputFeatures,
                     "input \(x.shape) does not end in \(inputFeatures) features")
        let inputs = x.count / inputFeatures
        if inputs >= Self.prefillInputRows {
            return tiledProduct(x.reshaped([inputs, inputFeatures])).reshaped(Array(x.shape.dropLast()) + [outputFeatures])
        }
        let (columns, outputs) = (inputFeatures, outputFeatures)
        let rowBytes = columns / type.blockSize * type.bytesPerBlock
        let typeID = Int32(type.rawValue)
        let base = storage.base
        let outShape = Array(x.shape.dropLast()) + [outputs]
        return x.withUnsafeBufferPointer { xs in
            Tensor(shape: outShape) { ys in
                guard inputs > 0, let xp = xs.baseAddress, let yp = ys.baseAddress else { return }
                let (xSend, ySend) = (UncheckedSendablePointer(xp), UncheckedSendablePointer(yp))
                withExtendedLifetime(storage) {
                    rowMap.withOptionalPointer { map in
                        let mapSend = map.map(UncheckedSendablePointer.init)
                        // A chunk is at least 32K weights (a few microseconds): the pool's workers are
                        // still spinning between the calls of a decode step, so handing them a chunk
                        // costs far less than that, and even SmolLM2's 576-row projections split.
                        let minimumChunk = max(16, (1 << 15) / columns)
                        guard Self.usesIntegerDotProducts && Self.integerDotProductTypes.contains(type) else {
                            Parallelism.forEachChunk(count: outputs, minimumChunk: minimumChunk) { rows in
                                cq_gguf_matmul_rows(typeID, base, rowBytes, mapSend?.pointer, xSend.pointer, inputs, columns,
                                                    ySend.mutable, outputs, rows.lowerBound, rows.upperBound)
                            }
                            return
                        }
                        // x is quantised once here, before the rows are split over threads, so every
                        // thread reads the same few hundred bytes of blocks.
                        let xBytes = cq_q8_row_bytes(columns)
                        withUnsafeTemporaryAllocation(byteCount: inputs * xBytes, alignment: 16) { xq in
                            for n in 0 ..< inputs {
                                cq_q8_quantize_row(xp + n * columns, columns, xq.baseAddress! + n * xBytes)
                            }
                            let xqSend = UncheckedSendablePointer(UnsafePointer(xq.baseAddress!.assumingMemoryBound(to: UInt8.self)))
                            Parallelism.forEachChunk(count: outputs, minimumChunk: minimumChunk) { rows in
                                cq_gguf_matmul_rows_q8(typeID, base, rowBytes, mapSend?.pointer, xqSend.pointer, inputs, columns,
                                                       ySend.mutable, outputs, rows.lowerBound, rows.upperBound)
                            }
                        }
                    }
                }
            }
        }
    }

    /// `x Wᵀ` for `x` of shape `[inputs, inputFeatures]`, one dequantised tile of output rows at a time.
    private func tiledProduct(_ x: Tensor) -> Tensor {
        let tileRows = max(1, min(outputFeatures, Self.tileElements / inputFeatures))
        if tileRows == outputFeatures { return matmul(x, dequantizedRows(0 ..< outputFeatures), transposeB: true) }
        let inputs = x.shape[0], outputs = outputFeatures
        return Tensor(shape: [inputs, outputs]) { y in
            for start in stride(from: 0, to: outputs, by: tileRows) {
                let rows = start ..< min(outputs, start + tileRows)
                let part = matmul(x, dequantizedRows(rows), transposeB: true)
                part.withUnsafeBufferPointer { p in
                    for n in 0 ..< inputs {
                        for (i, r) in rows.enumerated() { y[n * outputs + r] = p[n * rows.count + i] }
                    }
                }
            }
        }
    }

    /// Rows `rows` of the weight as `Float`s (Hugging Face order), exactly as ggml dequantises them,
    /// in parallel chunks of rows.
    private func dequantizedRows(_ rows: Range<Int>) -> Tensor {
        let columns = inputFeatures, type = type, rowMap = rowMap, base = storage.base
        let rowBytes = columns / type.blockSize * type.bytesPerBlock
        return withExtendedLifetime(storage) {
            Tensor(shape: [rows.count, columns]) { out in
                let target = UncheckedSendablePointer(out.baseAddress!)
                Parallelism.forEachChunk(count: rows.count, minimumChunk: max(1, 65_536 / columns)) { chunk in
                    for i in chunk {
                        let r = rows.lowerBound + i
                        let source = rowMap.map { Int($0[r]) } ?? r
                        GGUFDequantization.dequantize(type, from: UnsafeRawBufferPointer(start: base + source * rowBytes, count: rowBytes),
                                                      into: UnsafeMutableBufferPointer(start: target.mutable + i * columns, count: columns))
                    }
                }
            }
        }
    }

    /// The weight as `Float`s `[outputFeatures, inputFeatures]` in Hugging Face row order, exactly as
    /// ggml dequantises it (for tests and comparisons; the layer itself only ever makes tiles of it).
    public func dequantizedWeight() -> Tensor { dequantizedRows(0 ..< outputFeatures) }

    // Inference only: the weight is not a trainable Float tensor, so nothing is visited or updated.
    public func visitParameters(prefix: String, _ visit: (String, Tensor) throws -> Void) rethrows {}
    public mutating func updateParameters(prefix: String, _ update: (String, inout Tensor) throws -> Void) rethrows {}
    public func visitParameterRoles(prefix: String, _ visit: (String, ParameterRole) throws -> Void) rethrows {}
}

/// The blocks of one weight and whatever keeps them valid (a GGUF file's mapping, or memory of its own).
private final class BlockStorage: @unchecked Sendable {
    let base: UnsafeRawPointer
    let byteCount: Int
    private let owner: Any?
    private let allocated: UnsafeMutableRawPointer?

    /// Blocks inside memory that `owner` keeps mapped.
    init(base: UnsafeRawPointer?, byteCount: Int, owner: Any) {
        // An empty tensor has no base address; a one-byte allocation stands in (nothing is read).
        let fallback = base == nil ? UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16) : nil
        self.base = base ?? UnsafeRawPointer(fallback!)
        self.byteCount = byteCount
        self.owner = owner
        self.allocated = fallback
    }

    /// A copy of `bytes`.
    init(copying bytes: [UInt8]) {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(1, bytes.count), alignment: 16)
        bytes.withUnsafeBytes { if let b = $0.baseAddress { memory.copyMemory(from: b, byteCount: bytes.count) } }
        self.base = UnsafeRawPointer(memory)
        self.byteCount = bytes.count
        self.owner = nil
        self.allocated = memory
    }

    deinit { allocated?.deallocate() }
}

/// A pointer handed to the worker threads of one call, which all finish before the call returns.
private struct UncheckedSendablePointer<Pointee>: @unchecked Sendable {
    let pointer: UnsafePointer<Pointee>
    init(_ pointer: UnsafePointer<Pointee>) { self.pointer = pointer }
    init(_ pointer: UnsafeMutablePointer<Pointee>) { self.pointer = UnsafePointer(pointer) }
    var mutable: UnsafeMutablePointer<Pointee> { UnsafeMutablePointer(mutating: pointer) }
}

private extension Optional where Wrapped == [Int32] {
    func withOptionalPointer<R>(_ body: (UnsafePointer<Int32>?) -> R) -> R {
        guard let array = self else { return body(nil) }
        return array.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
