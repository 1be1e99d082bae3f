import Foundation
import XCTest
import TensorCore

/// Every dequantised tensor type against values computed here independently from hand-built blocks
/// (in `Double`, where each ggml product or sum is exact or rounded once, then rounded to `Float`),
/// and the SIMD kernels against the scalar reference on random blocks.
final class GGUFDequantizationTests: GGUFTestCase {
    private struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    private func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    /// Swift's own binary16 conversion, independent of `HalfPrecision`.
    private func half(_ bits: UInt16) -> Double { Double(Float(Float16(bitPattern: bits))) }
    /// A random normal binary16 of moderate magnitude (exponent -8...3), either sign.
    private func randomHalf(_ rng: inout SplitMix64) -> UInt16 {
        let sign: UInt16 = UInt16.random(in: 0 ... 1, using: &rng) << 15
        let exponent: UInt16 = UInt16.random(in: 7 ... 18, using: &rng) << 10
        let significand: UInt16 = UInt16.random(in: 0 ... 0x3FF, using: &rng)
        return sign | exponent | significand
    }

    private func dequantised(_ type: GGUFTensorType, rows: Int, columns: Int, data: [UInt8]) throws -> Tensor {
        var writer = GGUFWriter()
        try writer.addTensor(named: "w", shape: [rows, columns], type: type, blocks: data)
        let tensor = try open(writer).tensor(named: "w")
        XCTAssertEqual(tensor.shape, [rows, columns])
        return tensor
    }

    // MARK: Hand-computed blocks

    func testQ4_0HandBlock() throws {
        // d = 0.5 (0x3800); byte j holds element j (low nibble) and element j + 16 (high nibble).
        var qs = [UInt8](repeating: 0x88, count: 16)       // both nibbles 8 -> 0
        qs[0] = 0x1F       // element 0: 15 -> 3.5, element 16: 1 -> -3.5
        qs[3] = 0xF0       // element 3: 0 -> -4,  element 19: 15 -> 3.5
        let t = try dequantised(.q4_0, rows: 1, columns: 32, data: le16(0x3800) + qs)
        var expected = [Float](repeating: 0, count: 32)
        expected[0] = 3.5; expected[16] = -3.5; expected[3] = -4; expected[19] = 3.5
        XCTAssertEqual(t.scalars, expected)
    }

    func testQ4_1HandBlock() throws {
        // d = 0.25 (0x3400), m = -1 (0xBC00): value = nibble * 0.25 - 1.
        let qs: [UInt8] = (0 ..< 16).map { (j: Int) -> UInt8 in UInt8(j) | UInt8(15 - j) << 4 }
        let t = try dequantised(.q4_1, rows: 1, columns: 32, data: le16(0x3400) + le16(0xBC00) + qs)
        let low: [Float] = (0 ..< 16).map { (j: Int) -> Float in Float(j) * 0.25 - 1 }
        let high: [Float] = (0 ..< 16).map { (j: Int) -> Float in Float(15 - j) * 0.25 - 1 }
        let expected = low + high
        XCTAssertEqual(t.scalars, expected)
    }

    func testQ8_0HandBlock() throws {
        // d = 2 (0x4000): value = int8 * 2.
        let qs: [Int8] = (0 ..< 32).map { Int8($0 * 8 - 128) }
        let t = try dequantised(.q8_0, rows: 1, columns: 32, data: le16(0x4000) + qs.map { UInt8(bitPattern: $0) })
        XCTAssertEqual(t.scalars, qs.map { Float($0) * 2 })
    }

    func testF16AndBF16() throws {
        let f16: [UInt16] = [0x3C00, 0xC000, 0x0001, 0x7BFF, 0xFC00, 0x8000]
        let t16 = try dequantised(.f16, rows: 2, columns: 3, data: f16.flatMap(le16))
        XCTAssertEqual(t16.scalars, [1, -2, Float(sign: .plus, exponent: -24, significand: 1), 65504, -.infinity, -0.0])
        let bf16: [UInt16] = [0x3F80, 0xC040, 0x4049, 0x0001]
        let tb = try dequantised(.bf16, rows: 1, columns: 4, data: bf16.flatMap(le16))
        XCTAssertEqual(tb.scalars, bf16.map { Float(bitPattern: UInt32($0) << 16) })
    }

    func testF32() throws {
        var writer = GGUFWriter()
        try writer.addTensor("w", shape: [2, 2], floats: [1, -0.5, .pi, -1e30])
        XCTAssertEqual(try open(writer).tensor(named: "w").scalars, [1, -0.5, .pi, -1e30])
    }

    // MARK: Random blocks against an independent formula

    func testQ4_0Q4_1Q8_0RandomBlocks() throws {
        var rng = SplitMix64(state: 41)
        let rows = 3, columns = 96
        var q40: [UInt8] = [], q41: [UInt8] = [], q80: [UInt8] = []
        var e40: [Float] = [], e41: [Float] = [], e80: [Float] = []
        for _ in 0 ..< rows * columns / 32 {
            let d = randomHalf(&rng), m = randomHalf(&rng)
            let nibbles = (0 ..< 32).map { _ in UInt8.random(in: 0 ... 15, using: &rng) }
            let packed = (0 ..< 16).map { nibbles[$0] | nibbles[$0 + 16] << 4 }
            q40 += le16(d) + packed
            e40 += nibbles.map { Float((Double($0) - 8) * half(d)) }
            q41 += le16(d) + le16(m) + packed
            e41 += nibbles.map { Float(Double($0) * half(d) + half(m)) }
            let ints = (0 ..< 32).map { _ in Int8.random(in: .min ... .max, using: &rng) }
            q80 += le16(d) + ints.map { UInt8(bitPattern: $0) }
            e80 += ints.map { Float(Double($0) * half(d)) }
        }
        XCTAssertEqual(try dequantised(.q4_0, rows: rows, columns: columns, data: q40).scalars, e40)
        XCTAssertEqual(try dequantised(.q4_1, rows: rows, columns: columns, data: q41).scalars, e41)
        XCTAssertEqual(try dequantised(.q8_0, rows: rows, columns: columns, data: q80).scalars, e80)
    }

    /// Packs eight 6-bit scales and mins the way ggml's `get_scale_min_k4` unpacks them.
    private func packQ4KScales(_ sc: [UInt8], _ m: [UInt8]) -> [UInt8] {
        var s = [UInt8](repeating: 0, count: 12)
        for j in 0 ..< 4 {
            s[j] = sc[j] | (sc[j + 4] >> 4) << 6
            s[j + 4] = m[j] | (m[j + 4] >> 4) << 6
            s[j + 8] = (sc[j + 4] & 0xF) | (m[j + 4] & 0xF) << 4
        }
        return s
    }

    func testQ4_KRandomBlocks() throws {
        var rng = SplitMix64(state: 7)
        var data: [UInt8] = [], expected: [Float] = []
        for _ in 0 ..< 2 {
            let d = randomHalf(&rng), dmin = randomHalf(&rng)
            let sc = (0 ..< 8).map { _ in UInt8.random(in: 0 ... 63, using: &rng) }
            let m = (0 ..< 8).map { _ in UInt8.random(in: 0 ... 63, using: &rng) }
            let q = (0 ..< 256).map { _ in UInt8.random(in: 0 ... 15, using: &rng) }
            // Chunk c of 64 elements: byte 32c + l holds element 64c + l (low) and 64c + 32 + l (high).
            var qs = [UInt8](repeating: 0, count: 128)
            for c in 0 ..< 4 { for l in 0 ..< 32 { qs[32 * c + l] = q[64 * c + l] | q[64 * c + 32 + l] << 4 } }
            data += le16(d) + le16(dmin) + packQ4KScales(sc, m) + qs
            for i in 0 ..< 256 {
                let sub = i / 32
                expected.append(Float(half(d) * Double(sc[sub]) * Double(q[i]) - half(dmin) * Double(m[sub])))
            }
        }
        XCTAssertEqual(try dequantised(.q4_K, rows: 2, columns: 256, data: data).scalars, expected)
    }

    func testQ6_KRandomBlocks() throws {
        var rng = SplitMix64(state: 9)
        var data: [UInt8] = [], expected: [Float] = []
        for _ in 0 ..< 2 {
            let d = randomHalf(&rng)
            let scales = (0 ..< 16).map { _ in Int8.random(in: .min ... .max, using: &rng) }
            let q = (0 ..< 256).map { _ in UInt8.random(in: 0 ... 63, using: &rng) }
            var ql = [UInt8](repeating: 0, count: 128), qh = [UInt8](repeating: 0, count: 64)
            for i in 0 ..< 256 {
                let n = i / 128, quadrant = (i % 128) / 32, l = i % 32
                let low = q[i] & 0xF, high = q[i] >> 4
                let qlIndex = 64 * n + l + (quadrant % 2 == 1 ? 32 : 0)
                ql[qlIndex] |= quadrant < 2 ? low : low << 4
                qh[32 * n + l] |= high << (2 * quadrant)
                expected.append(Float(half(d) * Double(scales[i / 16]) * (Double(q[i]) - 32)))
            }
            data += ql + qh + scales.map { UInt8(bitPattern: $0) } + le16(d)
        }
        XCTAssertEqual(try dequantised(.q6_K, rows: 2, columns: 256, data: data).scalars, expected)
    }

    // MARK: SIMD kernels against the scalar reference

    func testSIMDKernelsMatchScalarReferenceBitForBit() {
        var rng = SplitMix64(state: 2024)
        for type in GGUFTensorType.allCases where type.isDequantizable {
            let elements = 4 * 256
            let bytes = (0 ..< elements / type.blockSize * type.bytesPerBlock).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
            var fast = [Float](repeating: 0, count: elements), slow = fast
            bytes.withUnsafeBytes { source in
                fast.withUnsafeMutableBufferPointer { GGUFDequantization.dequantize(type, from: source, into: $0) }
                slow.withUnsafeMutableBufferPointer { GGUFDequantization.referenceDequantize(type, from: source, into: $0) }
            }
            for i in 0 ..< elements where !(fast[i].isNaN && slow[i].isNaN) {
                XCTAssertEqual(fast[i].bitPattern, slow[i].bitPattern, "\(type) element \(i)")
            }
        }
    }

    func testLargeTensorDequantisesInParallelChunks() throws {
        var rng = SplitMix64(state: 5)
        let rows = 64, columns = 4096            // 8192 Q4_1 blocks: several chunks
        let bytes = (0 ..< rows * columns / 32 * 20).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
        let tensor = try dequantised(.q4_1, rows: rows, columns: columns, data: bytes)
        var slow = [Float](repeating: 0, count: rows * columns)
        bytes.withUnsafeBytes { source in
            slow.withUnsafeMutableBufferPointer { GGUFDequantization.referenceDequantize(.q4_1, from: source, into: $0) }
        }
        XCTAssertTrue(zip(tensor.scalars, slow).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) })
    }
}
