import CQuantKernels
import MiniCPMModel
import Quantization
import TensorCore
import TestSupport
import XCTest

/// The 8-bit activation quantiser and the integer block dot products of `GGUFIntegerDotKernels.c`,
/// portable and AVX2, and `GGUFBlockLinear`'s decode path through them.
final class GGUFIntegerDotTests: XCTestCase {
    static let types: [GGUFTensorType] = [.q8_0, .q4_0, .q4_1]
    static let blockBytes = Int(CQ_Q8_BLOCK_BYTES)

    override func tearDown() {
        cq_force_portable(0)
        cq_gguf_set_integer_decode(-1)
    }

    /// One activation block as the header specifies it, computed in Swift: d = amax/127 (0 below
    /// the least normal float), codes x·(1/d) rounded to nearest even and clamped to ±127, s = d·Σq.
    private func referenceBlock(_ x: ArraySlice<Float>) -> (d: Float, s: Float, q: [Int8]) {
        let amax = x.map(abs).max()!
        var d = amax / 127
        if d < Float.leastNormalMagnitude { d = 0 }
        let id: Float = d == 0 ? 0 : 1 / d
        let q = x.map { Int8(min(127, max(-127, ($0 * id).rounded(.toNearestOrEven)))) }
        return (d, d * Float(q.reduce(0) { $0 + Int($1) }), q)
    }

    private func quantize(_ x: [Float], portable: Bool) -> [UInt8] {
        var out = [UInt8](repeating: 0xAA, count: cq_q8_row_bytes(x.count))
        XCTAssertEqual(out.count, x.count / 32 * Self.blockBytes)
        out.withUnsafeMutableBytes { o in
            if portable { cq_q8_quantize_row_portable(x, x.count, o.baseAddress) } else { cq_q8_quantize_row(x, x.count, o.baseAddress) }
        }
        return out
    }

    private func decodeBlock(_ bytes: [UInt8], _ b: Int) -> (d: Float, s: Float, q: [Int8]) {
        let base = b * Self.blockBytes
        func float(_ at: Int) -> Float {
            Float(bitPattern: UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)
        }
        return (float(base), float(base + 4), bytes[base + 8 ..< base + 40].map { Int8(bitPattern: $0) })
    }

    /// Both quantisers write exactly the reference's bytes: Gaussian blocks, ties of rounding
    /// (block maximum 127, so d = 1 and x = k + ½ is a tie), an all-zero block, a block too small
    /// for a normal scale, and large values.
    func testQuantiserWritesTheReferenceCodesExactly() {
        var x = GGUFBlockFixtures.gaussian(32 * 12, seed: 21)
        for j in 0 ..< 32 { x[32 + j] = j == 0 ? 127 : Float(j - 16) + 0.5 }  // ties: −15.5 … 14.5
        for j in 0 ..< 32 { x[64 + j] = 0 }
        for j in 0 ..< 32 { x[96 + j] = Float(j) * Float(bitPattern: 0x0001_16C2) }   // subnormal (about 1e-40): d < FLT_MIN
        for j in 0 ..< 32 { x[128 + j] *= 1e6 }
        for j in 0 ..< 32 { x[160 + j] = -Float(j) / 31 }                      // amax on a negative value
        for portable in [true, false] {
            let bytes = quantize(x, portable: portable)
            for b in 0 ..< x.count / 32 {
                let got = decodeBlock(bytes, b), want = referenceBlock(x[b * 32 ..< b * 32 + 32])
                XCTAssertEqual(got.d.bitPattern, want.d.bitPattern, "block \(b) portable \(portable)")
                XCTAssertEqual(got.s.bitPattern, want.s.bitPattern, "block \(b) portable \(portable)")
                XCTAssertEqual(got.q, want.q, "block \(b) portable \(portable)")
            }
        }
        let ties = decodeBlock(quantize(x, portable: false), 1).q
        XCTAssertEqual(Array(ties[1 ... 4]), [-14, -14, -12, -12], "−14.5 → −14, −13.5 → −14, … (ties to even)")
        XCTAssertEqual(decodeBlock(quantize(x, portable: false), 3).q, [Int8](repeating: 0, count: 32))
    }

    /// A block holding NaN or ±∞ gets NaN scales and zero codes (its neighbours are quantised as
    /// usual), so the layer's outputs are NaN as the float path's are, not silently finite.
    func testNonFiniteBlocksCarryNaN() throws {
        var x = GGUFBlockFixtures.gaussian(32 * 4, seed: 28)
        x[40] = .nan
        x[95] = -.infinity
        for portable in [true, false] {
            let bytes = quantize(x, portable: portable)
            for b in [1, 2] {
                let block = decodeBlock(bytes, b)
                XCTAssertTrue(block.d.isNaN && block.s.isNaN, "block \(b) portable \(portable)")
                XCTAssertEqual(block.q, [Int8](repeating: 0, count: 32))
            }
            for b in [0, 3] { XCTAssertEqual(decodeBlock(bytes, b).q, referenceBlock(x[b * 32 ..< b * 32 + 32]).q) }
            cq_force_portable(portable ? 1 : 0)
            for type in Self.types {
                let layer = try GGUFBlockLinear(type: type, shape: [3, 128],
                                                blocks: GGUFBlockFixtures.quantize(GGUFBlockFixtures.gaussian(384, seed: 29), as: type))
                GGUFBlockLinear.usesIntegerDotProducts = true
                XCTAssertTrue(layer(Tensor(shape: [1, 128], scalars: x)).scalars.allSatisfy(\.isNaN), "\(type) portable \(portable)")
            }
        }
    }

    /// The quantised block reproduces x within half a step, d/2 = amax/254.
    func testQuantisedActivationIsWithinHalfAStep() {
        let x = GGUFBlockFixtures.gaussian(32 * 8, seed: 22, scale: 3)
        let bytes = quantize(x, portable: false)
        for b in 0 ..< 8 {
            let block = decodeBlock(bytes, b)
            for j in 0 ..< 32 {
                XCTAssertLessThanOrEqual(abs(block.d * Float(block.q[j]) - x[b * 32 + j]), block.d * 0.5001)
            }
        }
    }

    /// The Double reference of an integer dot product on the same quantised x: per block
    /// d_w·d_x·Σ q_w·q_x (Q4_0 with q_w − 8), plus m_w·s_x for Q4_1; also Σ of the terms' magnitudes.
    private func referenceDot(_ type: GGUFTensorType, _ w: [UInt8], _ xq: [UInt8], blocks: Int) -> (Double, Double) {
        var sum = 0.0, magnitude = 0.0
        for b in 0 ..< blocks {
            let base = b * type.bytesPerBlock
            let dw = Double(HalfPrecision.float(fromFloat16Bits: UInt16(w[base]) | UInt16(w[base + 1]) << 8))
            let x = decodeBlock(xq, b)
            var integer = 0
            switch type {
            case .q8_0: for j in 0 ..< 32 { integer += Int(Int8(bitPattern: w[base + 2 + j])) * Int(x.q[j]) }
            case .q4_0:
                for j in 0 ..< 16 {
                    integer += (Int(w[base + 2 + j] & 15) - 8) * Int(x.q[j]) + (Int(w[base + 2 + j] >> 4) - 8) * Int(x.q[j + 16])
                }
                // The AVX2 kernel sums d_w·d_x·Σ q·q_x and −8·d_w·s_x, which can cancel: their sizes
                // bound its rounding.
                magnitude += 8 * abs(dw * Double(x.s)) + abs(dw * Double(x.d) * Double(integer + 8 * x.q.reduce(0) { $0 + Int($1) }))
            default:
                for j in 0 ..< 16 {
                    integer += Int(w[base + 4 + j] & 15) * Int(x.q[j]) + Int(w[base + 4 + j] >> 4) * Int(x.q[j + 16])
                }
                let m = Double(HalfPrecision.float(fromFloat16Bits: UInt16(w[base + 2]) | UInt16(w[base + 3]) << 8))
                sum += m * Double(x.s); magnitude += abs(m * Double(x.s))
            }
            let term = dw * Double(x.d) * Double(integer)
            sum += term; magnitude += abs(term)
        }
        return (sum, magnitude)
    }

    /// Random weight bytes (every nibble and int8, −128 included) under random scales: both kernels
    /// agree with the Double reference on the same quantised x to 1e-5 of Σ|terms| (each block's
    /// integer sum is exact; only the float scaling and summation over ≤ 48 blocks round).
    func testIntegerDotMatchesTheDoubleReferenceOnTheSameQuantisedX() {
        var generator = SeededGenerator(seed: 23)
        for type in Self.types {
            for blocks in [1, 2, 3, 9, 18, 48] {
                let columns = blocks * 32
                var w = (0 ..< blocks * type.bytesPerBlock).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
                for b in 0 ..< blocks {
                    for scale in 0 ..< (type == .q4_1 ? 2 : 1) {
                        let bits = HalfPrecision.float16Bits(Float.random(in: -0.1 ... 0.1, using: &generator))
                        w[b * type.bytesPerBlock + 2 * scale] = UInt8(bits & 0xFF)
                        w[b * type.bytesPerBlock + 2 * scale + 1] = UInt8(bits >> 8)
                    }
                    if type == .q8_0 { w[b * type.bytesPerBlock + 2] = 0x80 }  // −128: |w| = 128 in vpmaddubsw
                }
                var x = (0 ..< columns).map { _ in Float.random(in: -2 ... 2, using: &generator) }
                x[0] = 2.5  // a block maximum, so some code is ±127
                let xq = quantize(x, portable: true)
                let (exact, magnitude) = referenceDot(type, w, xq, blocks: blocks)
                for portable in [true, false] {
                    cq_force_portable(portable ? 1 : 0)
                    let dot = w.withUnsafeBytes { wb in xq.withUnsafeBytes { cq_gguf_dot_q8(Int32(type.rawValue), wb.baseAddress, $0.baseAddress, columns) } }
                    XCTAssertEqual(Double(dot), exact, accuracy: 1e-5 * magnitude + 1e-9, "\(type) \(blocks) blocks portable \(portable)")
                }
                let dot = w.withUnsafeBytes { wb in xq.withUnsafeBytes { cq_gguf_dot_q8_portable(Int32(type.rawValue), wb.baseAddress, $0.baseAddress, columns) } }
                XCTAssertEqual(Double(dot), exact, accuracy: 1e-5 * magnitude + 1e-9)
            }
        }
    }

    /// The row-range entry point writes exactly rows [r0, r1) of every input row, each one dot
    /// product of cq_gguf_dot_q8, following a row map when given one.
    func testRowRangeMatmulWritesOnlyItsRows() {
        let (rows, columns, inputs) = (7, 96, 3)
        let xBytes = cq_q8_row_bytes(columns)
        for type in Self.types {
            let weights = GGUFBlockFixtures.quantize(GGUFBlockFixtures.gaussian(rows * columns, seed: 24), as: type)
            let rowBytes = columns / 32 * type.bytesPerBlock
            let xq = quantize(GGUFBlockFixtures.gaussian(inputs * columns, seed: 25), portable: false)
            GGUFBlockFixtures.checkRowRange(rows: rows, inputs: inputs, label: "\(type)") { map, y in
                weights.withUnsafeBytes { w in
                    xq.withUnsafeBytes { xs in
                        cq_gguf_matmul_rows_q8(Int32(type.rawValue), w.baseAddress, rowBytes, map, xs.baseAddress, inputs, columns, y, rows, 2, 5)
                    }
                }
            } expected: { source, n in
                weights.withUnsafeBytes { w in
                    xq.withUnsafeBytes { xs in
                        cq_gguf_dot_q8(Int32(type.rawValue), w.baseAddress! + source * rowBytes, xs.baseAddress! + n * xBytes, columns)
                    }
                }
            }
        }
    }

    /// One activation row (decode) takes the AVX2 kernel's four-rows-per-pass path for Q4_0 and
    /// Q4_1: row ranges whose start and length are not multiples of four (the last rows one at a
    /// time), with and without a row map, give each row within 1e-5 of Σ|terms| of the Double
    /// reference and within 2e-5 of it of the one-row kernel, and leave the other rows untouched.
    func testFourRowPathMatchesTheOneRowKernelOnOddRanges() {
        var generator = SeededGenerator(seed: 30)
        let rows = 13
        let map: [Int32] = [7, 12, 0, 5, 3, 11, 1, 9, 2, 10, 4, 8, 6]
        for type in [GGUFTensorType.q4_0, .q4_1] {
            for blocks in [1, 2, 3, 48] {
                let columns = blocks * 32, rowBytes = blocks * type.bytesPerBlock
                var w = (0 ..< rows * rowBytes).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
                for b in 0 ..< rows * blocks {
                    for scale in 0 ..< (type == .q4_1 ? 2 : 1) {
                        let bits = HalfPrecision.float16Bits(Float.random(in: -0.1 ... 0.1, using: &generator))
                        w[b * type.bytesPerBlock + 2 * scale] = UInt8(bits & 0xFF)
                        w[b * type.bytesPerBlock + 2 * scale + 1] = UInt8(bits >> 8)
                    }
                }
                var x = (0 ..< columns).map { _ in Float.random(in: -2 ... 2, using: &generator) }
                x[0] = 2.5
                let xq = quantize(x, portable: false)
                for portable in [false, true] {
                    cq_force_portable(portable ? 1 : 0)
                    for (r0, r1) in [(0, 13), (1, 6), (3, 12), (5, 9), (2, 3), (0, 4), (4, 12), (6, 13)] {
                        for useMap in [false, true] {
                            var y = [Float](repeating: .nan, count: rows)
                            w.withUnsafeBytes { wb in
                                xq.withUnsafeBytes { xs in
                                    map.withUnsafeBufferPointer { m in
                                        cq_gguf_matmul_rows_q8(Int32(type.rawValue), wb.baseAddress, rowBytes, useMap ? m.baseAddress : nil,
                                                               xs.baseAddress, 1, columns, &y, rows, r0, r1)
                                    }
                                }
                            }
                            for r in 0 ..< rows {
                                let label = "\(type) \(blocks) blocks rows \(r0)..<\(r1) map \(useMap) portable \(portable) r \(r)"
                                guard (r0 ..< r1).contains(r) else { XCTAssertTrue(y[r].isNaN, label); continue }
                                let source = useMap ? Int(map[r]) : r
                                let row = Array(w[source * rowBytes ..< (source + 1) * rowBytes])
                                let (exact, magnitude) = referenceDot(type, row, xq, blocks: blocks)
                                let one = row.withUnsafeBytes { wb in
                                    xq.withUnsafeBytes { cq_gguf_dot_q8(Int32(type.rawValue), wb.baseAddress, $0.baseAddress, columns) }
                                }
                                XCTAssertEqual(Double(y[r]), exact, accuracy: 1e-5 * magnitude + 1e-9, label)
                                XCTAssertEqual(Double(y[r]), Double(one), accuracy: 2e-5 * magnitude + 1e-9, label)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Q4_0 and Q4_1 take the integer path by default, Q8_0 keeps the float kernel.
    func testIntegerPathTypes() {
        XCTAssertEqual(GGUFBlockLinear.integerDotProductTypes, [.q4_0, .q4_1])
        XCTAssertTrue(GGUFBlockLinear.usesIntegerDotProducts || ProcessInfo.processInfo.environment["MINICPM_GGUF_FLOAT_DECODE"] != nil)
    }

    /// The layer's decode path with integer dot products against its float path. x's rounding
    /// moves each block's contribution by at most Σ_j |w_j|·d_x/2 (|x̂_j − x_j| ≤ d_x/2), so the
    /// outputs may differ by the sum of that over the blocks (plus float rounding, 1e-5 of Σ|w·x|);
    /// the path switch selects the float kernel, which then gives cq_gguf_matmul_rows bit for bit.
    func testDecodePathStaysWithinTheActivationRoundingBound() throws {
        let (rows, columns) = (75, 192)
        for type in Self.types {
            let blocks = GGUFBlockFixtures.quantize(GGUFBlockFixtures.gaussian(rows * columns, seed: 26, scale: 0.05), as: type)
            let weight = GGUFBlockFixtures.dequantize(blocks, as: type, count: rows * columns)
            let layer = try GGUFBlockLinear(type: type, shape: [rows, columns], blocks: blocks)
            for inputs in [1, 3, 7] {
                let xs = GGUFBlockFixtures.gaussian(inputs * columns, seed: 27)
                let x = Tensor(shape: [inputs, columns], scalars: xs)
                GGUFBlockLinear.usesIntegerDotProducts = false
                let float = layer(x).scalars
                var reference = [Float](repeating: 0, count: inputs * rows)
                blocks.withUnsafeBytes { w in
                    cq_gguf_matmul_rows(Int32(type.rawValue), w.baseAddress, columns / 32 * type.bytesPerBlock, nil,
                                        xs, inputs, columns, &reference, rows, 0, rows)
                }
                XCTAssertEqual(float, reference, "the float path is cq_gguf_matmul_rows")
                GGUFBlockLinear.usesIntegerDotProducts = true
                XCTAssertTrue(GGUFBlockLinear.usesIntegerDotProducts)
                for portable in [true, false] {
                    cq_force_portable(portable ? 1 : 0)
                    let integer = layer(x).scalars
                    guard GGUFBlockLinear.integerDotProductTypes.contains(type) else {
                        if !portable { XCTAssertEqual(integer, float, "\(type) keeps the float kernel") }
                        continue
                    }
                    XCTAssertNotEqual(integer, float, "\(type): the integer path is taken")
                    for n in 0 ..< inputs {
                        for r in 0 ..< rows {
                            var bound = 0.0, magnitude = 0.0
                            for b in 0 ..< columns / 32 {
                                let xBlock = xs[n * columns + b * 32 ..< n * columns + b * 32 + 32]
                                let halfStep = Double(xBlock.map(abs).max()!) / 254
                                for j in 0 ..< 32 {
                                    let wj = Double(weight[r * columns + b * 32 + j])
                                    bound += abs(wj) * halfStep * 1.0001
                                    magnitude += abs(wj * Double(xs[n * columns + b * 32 + j]))
                                }
                            }
                            XCTAssertEqual(Double(integer[n * rows + r]), Double(float[n * rows + r]), accuracy: bound + 1e-5 * magnitude,
                                           "\(type) inputs \(inputs) row \(r) portable \(portable)")
                        }
                    }
                }
            }
        }
    }
}

/// SmolLM2-135M-Instruct Q4_1 (skipped when absent) decoding with integer dot products against
/// the same block model's float decode path, both fed the float path's greedy tokens.
///
/// Tolerance: every decode matmul of the 30 layers and the head rounds x to 8 bits per block, and
/// a block holding one of the model's large activations leaves its other values few codes; a
/// code that flips moves later layers' inputs by whole steps, so even the float summation order of
/// the kernel changes these numbers. The largest logit difference measured over these 8 steps was
/// 4.7% and 6.6% of the step's largest logit with two versions of the AVX2 kernel (Q8_0 output
/// layer included), 6.9% (1.29 of 18.7) with the output layer on the float kernel, so the layers,
/// not the output layer, make most of it; the test allows 10%, far below what a wrong kernel
/// gives. The greedy choice
/// agreed at every step but one near tie (step 1: 28.3475 against 28.3438 in float), which is why
/// the choice is checked against twice the difference rather than for equality.
final class GGUFIntegerDotModelTests: XCTestCase {
    override func tearDown() { cq_gguf_set_integer_decode(-1) }

    func testSmolLM2IntegerDecodeStaysCloseToTheFloatPath() throws {
        let file = try GGUFFile(contentsOf: try smolLM2URL())
        let model = try MiniCPM(keepingQuantizedBlocksOf: file)
        let prompt = [1, 4093, 198, 1780, 314, 260, 3575, 282, 4649, 47]
        let (floatCache, integerCache) = (KVCache(configuration: model.configuration, maximumLength: 64),
                                          KVCache(configuration: model.configuration, maximumLength: 64))
        func logits(_ tokens: [Int], integer: Bool, _ cache: KVCache) throws -> [Float] {
            GGUFBlockLinear.usesIntegerDotProducts = integer
            let out = try model.logits(for: tokens, cache: cache)
            return Array(out.scalars.suffix(out.shape[out.rank - 1]))
        }
        var tokens = prompt
        for step in 0 ..< 8 {
            let expected = try logits(tokens, integer: false, floatCache), got = try logits(tokens, integer: true, integerCache)
            let scale = expected.map(abs).max()!
            let difference = zip(got, expected).map { abs($0 - $1) }.max()!
            let best = expected.indices.max { expected[$0] < expected[$1] }!
            let mine = got.indices.max { got[$0] < got[$1] }!
            print("step \(step): max |Δ logit| \(difference) of \(scale); float top \(best) integer top \(mine)")
            XCTAssertLessThanOrEqual(difference, 0.1 * scale, "step \(step)")
            // The integer path's choice is the float path's or within twice the difference of it.
            XCTAssertGreaterThanOrEqual(expected[mine], expected[best] - 2 * difference, "step \(step)")
            tokens = [best]
        }
    }
}
