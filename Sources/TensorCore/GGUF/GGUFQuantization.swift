/// Conversion of `Float`s to ggml's Q4_0, Q4_1 and Q8_0 blocks, bit for bit as llama.cpp's reference
/// quantisers (`quantize_row_q4_0_ref`, `quantize_row_q4_1_ref`, `quantize_row_q8_0_ref` in
/// `ggml-quants.c`) produce them; ``GGUFDequantization`` is the way back.
///
/// ```swift
/// let blocks = try GGUFQuantization.quantize(weight, named: "blk.0.attn_q.weight", as: .q8_0)
/// try writer.addTensor(named: "blk.0.attn_q.weight", shape: weight.shape, type: .q8_0, blocks: blocks)
/// ```
///
/// Each block of 32 consecutive elements of a row gets its own scale, computed in single precision
/// in ggml's order and stored as binary16 rounded to nearest even (ggml's `GGML_FP32_TO_FP16`):
/// - Q4_0: `max` is the first element of largest magnitude, with its sign; `d = max / -8`,
///   `id = 1/d` (0 when `d` is 0), `q = min(15, trunc(x·id + 8.5))`. The `-8` maps `max` to
///   nibble 0 and lets the other sign reach +7.
/// - Q4_1: `d = (max − min) / 15`, `m = min` (the exact `Float` minimum is used for the nibbles,
///   only the stored copy is rounded), `q = min(15, trunc((x − min)·id + 0.5))`.
/// - Q8_0: `d = max|x| / 127`, `q = roundf(x·id)`: C's `roundf`, halves away from zero, which is
///   `Float.rounded()` (`.toNearestOrAwayFromZero`). gguf-py's `Q8_0` agrees: it rounds with its
///   own `np_roundf`, not numpy's half-to-even `np.round`, so the two give the same bytes on ties.
///   Q4_0 and Q4_1 truncate after adding a half, in C and in gguf-py alike.
///
/// For finite inputs whose scale is normal these are exactly llama.cpp's bytes (the tests hold
/// golden blocks from gguf-py). Where C is undefined (a NaN or infinite input, or a block so small
/// that `1/d` overflows and `0·∞` is NaN) this follows what the x86 build of llama.cpp does: the
/// float-to-integer conversion of such a value gives 0 in the low byte. ``quantize(_:named:as:)``
/// refuses non-finite tensors before it gets there.
public enum GGUFQuantization {
    /// The types this enum writes.
    public static let quantizableTypes: Set<GGUFTensorType> = [.q4_0, .q4_1, .q8_0]

    /// Quantises `tensor` (row-major; its last extent is the row length) to the blocks of `type` that
    /// ``GGUFWriter/addTensor(named:shape:type:blocks:)`` stores, in parallel chunks of rows.
    /// - Parameter name: The tensor's name, for errors only.
    /// - Throws: ``GGUFError/invalidTensorToWrite(tensor:reason:)`` when `type` is not one of
    ///   ``quantizableTypes``, the row length is not a multiple of 32, or an element is NaN or
    ///   infinite (llama.cpp refuses such rows when it loads them).
    public static func quantize(_ tensor: Tensor, named name: String, as type: GGUFTensorType) throws(GGUFError) -> [UInt8] {
        guard quantizableTypes.contains(type) else {
            throw .invalidTensorToWrite(tensor: name, reason: "\(type) is not quantised here (Q4_0, Q4_1 and Q8_0 are)")
        }
        let rowLength = tensor.shape.last ?? 1
        guard rowLength % type.blockSize == 0 else {
            throw .invalidTensorToWrite(tensor: name, reason: "rows of \(rowLength) elements are not whole \(type) blocks of \(type.blockSize)")
        }
        if let index = tensor.firstNonFiniteIndex {
            let value = tensor.withUnsafeBufferPointer { $0[index] }
            throw .invalidTensorToWrite(tensor: name, reason: "element \(index) is \(value); \(type) blocks need finite values")
        }
        let blocks = tensor.count / type.blockSize
        var bytes = [UInt8](repeating: 0, count: blocks * type.bytesPerBlock)
        tensor.withUnsafeBufferPointer { source in
            bytes.withUnsafeMutableBytes { destination in
                // About 100 operations an element; chunks of whole blocks.
                Parallelism.forEachChunk(count: blocks, minimumChunk: 1024) { range in
                    let elements = UnsafeBufferPointer(rebasing: source[range.lowerBound * 32 ..< range.upperBound * 32])
                    let out = UnsafeMutableRawBufferPointer(
                        rebasing: destination[range.lowerBound * type.bytesPerBlock ..< range.upperBound * type.bytesPerBlock])
                    quantize(type, from: elements, into: out)
                }
            }
        }
        return bytes
    }

    /// Quantises whole blocks of `source` into `destination` (little-endian, any alignment).
    /// - Precondition: `type` is one of ``quantizableTypes``, `source.count` is a multiple of 32 and
    ///   `destination` holds exactly its blocks.
    public static func quantize(_ type: GGUFTensorType, from source: UnsafeBufferPointer<Float>,
                                into destination: UnsafeMutableRawBufferPointer) {
        precondition(quantizableTypes.contains(type), "\(type) is not quantised here")
        precondition(source.count % 32 == 0, "\(source.count) elements are not whole \(type) blocks")
        let blocks = source.count / 32
        precondition(destination.count == blocks * type.bytesPerBlock,
                     "\(destination.count) bytes are not \(blocks) blocks of \(type)")
        guard blocks > 0, let x = source.baseAddress, let y = destination.baseAddress else { return }
        for b in 0 ..< blocks {
            let block = x + 32 * b, out = y + type.bytesPerBlock * b
            switch type {
            case .q4_0: q4_0Block(block, out)
            case .q4_1: q4_1Block(block, out)
            default: q8_0Block(block, out)
            }
        }
    }

    // MARK: Blocks (transcribed from ggml-quants.c)

    private static func q4_0Block(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
        var amax: Float = 0, max: Float = 0
        for j in 0 ..< 32 where amax < abs(x[j]) {   // strict: the first of equal magnitudes wins
            amax = abs(x[j])
            max = x[j]
        }
        let d = max / -8
        let id: Float = d != 0 ? 1 / d : 0
        storeHalf(d, y, 0)
        for j in 0 ..< 16 {
            let x0 = x[j] * id, x1 = x[j + 16] * id
            let q0 = nibble(cInt8(x0 + 8.5)), q1 = nibble(cInt8(x1 + 8.5))
            y.storeBytes(of: q0 | q1 << 4, toByteOffset: 2 + j, as: UInt8.self)
        }
    }

    private static func q4_1Block(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
        var min = Float.greatestFiniteMagnitude, max = -Float.greatestFiniteMagnitude
        for j in 0 ..< 32 {
            if x[j] < min { min = x[j] }
            if x[j] > max { max = x[j] }
        }
        let d = (max - min) / 15
        let id: Float = d != 0 ? 1 / d : 0
        storeHalf(d, y, 0)
        storeHalf(min, y, 2)
        for j in 0 ..< 16 {
            let x0 = (x[j] - min) * id, x1 = (x[j + 16] - min) * id
            let q0 = nibble(cInt8(x0 + 0.5)), q1 = nibble(cInt8(x1 + 0.5))
            y.storeBytes(of: q0 | q1 << 4, toByteOffset: 4 + j, as: UInt8.self)
        }
    }

    private static func q8_0Block(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
        var amax: Float = 0
        for j in 0 ..< 32 { amax = Swift.max(amax, abs(x[j])) }
        let d = amax / 127
        let id: Float = d != 0 ? 1 / d : 0
        storeHalf(d, y, 0)
        for j in 0 ..< 32 {
            // roundf: halves away from zero.
            let q = cInt8((x[j] * id).rounded(.toNearestOrAwayFromZero))
            y.storeBytes(of: UInt8(bitPattern: q), toByteOffset: 2 + j, as: UInt8.self)
        }
    }

    /// C's `(int8_t)v` as the x86 build computes it: truncation to a 32-bit integer (NaN and values
    /// out of range give `INT32_MIN`, as `cvttss2si` does), then its low byte.
    @inline(__always)
    static func cInt8(_ v: Float) -> Int8 {
        let wide: Int32 = v.isNaN || v >= 2_147_483_648 || v < -2_147_483_648 ? .min : Int32(v.rounded(.towardZero))
        return Int8(truncatingIfNeeded: wide)
    }

    /// ggml's `MIN(15, q)` stored in a `uint8_t`; the byte is `lo | hi << 4` without masking, so a
    /// negative `q` (possible only where C is undefined) spills into the other nibble as it does in C.
    @inline(__always)
    private static func nibble(_ q: Int8) -> UInt8 {
        UInt8(truncatingIfNeeded: Swift.min(15, Int(q)))
    }

    @inline(__always)
    private static func storeHalf(_ value: Float, _ y: UnsafeMutableRawPointer, _ offset: Int) {
        y.storeBytes(of: HalfPrecision.float16Bits(value).littleEndian, toByteOffset: offset, as: UInt16.self)
    }
}
