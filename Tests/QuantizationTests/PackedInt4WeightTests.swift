import Foundation
import Quantization
import TensorCore
import XCTest

/// The AutoGPTQ v1 bit layout, checked against words written out by hand, and the integer-zero
/// round-to-nearest quantiser.
final class PackedInt4WeightTests: XCTestCase {
    /// in = 16, out = 8, G = 8, with codes q[o][i] = (o + i) mod 16: word [k, o] holds inputs
    /// 8k … 8k+7 of output o, lowest input in the lowest nibble, so it reads as hex digits counting
    /// down from the top nibble.
    static let handQweight: [Int32] = ([
        0x7654_3210, 0x8765_4321, 0x9876_5432, 0xA987_6543, 0xBA98_7654, 0xCBA9_8765, 0xDCBA_9876, 0xEDCB_A987,
        0xFEDC_BA98, 0x0FED_CBA9, 0x10FE_DCBA, 0x210F_EDCB, 0x3210_FEDC, 0x4321_0FED, 0x5432_10FE, 0x6543_210F,
    ] as [UInt32]).map { Int32(bitPattern: $0) }
    static let handCodes: [UInt8] = (0..<8).flatMap { o in (0..<16).map { i in UInt8((o + i) % 16) } }

    /// Zeros of group 0 are o + 1 (stored o), of group 1 are 16 − o (stored 15 − o); one word per
    /// group, lowest output in the lowest nibble.
    static let handQzeros: [Int32] = ([0x7654_3210, 0x89AB_CDEF] as [UInt32]).map { Int32(bitPattern: $0) }
    static let handZeros: [UInt8] = (0..<8).map { UInt8($0 + 1) } + (0..<8).map { UInt8(16 - $0) }

    func testHandMadeWordsUnpackToTheirNibbles() {
        XCTAssertEqual(PackedInt4Weight.unpackCodes(Self.handQweight, outputFeatures: 8, inputFeatures: 16), Self.handCodes)
        XCTAssertEqual(PackedInt4Weight.unpackZeros(Self.handQzeros, groups: 2, outputFeatures: 8), Self.handZeros)
    }

    func testPackingReproducesTheHandMadeWords() {
        XCTAssertEqual(PackedInt4Weight.packCodes(Self.handCodes, outputFeatures: 8, inputFeatures: 16), Self.handQweight)
        XCTAssertEqual(PackedInt4Weight.packZeros(Self.handZeros, groups: 2, outputFeatures: 8), Self.handQzeros)
    }

    /// w = scale · (q − zero) on the hand-made tensors, with g_idx = i / G.
    func testHandMadeWeightDequantises() throws {
        let scales = (0..<8).map { _ in Float16(0.5) } + (0..<8).map { _ in Float16(2) }
        let packed = try PackedInt4Weight(outputFeatures: 8, inputFeatures: 16, groupSize: 8,
                                          qweight: Self.handQweight, qzeros: Self.handQzeros, scales: scales,
                                          groupIndex: (0..<16).map { Int32($0 / 8) })
        let w = packed.dequantized().scalars
        XCTAssertEqual(w[0 * 16 + 0], 0.5 * (0 - 1))          // o 0, i 0: q 0, zero 1
        XCTAssertEqual(w[3 * 16 + 5], 0.5 * (8 - 4))          // o 3, i 5: q 8, zero 4
        XCTAssertEqual(w[1 * 16 + 9], 2 * (10 - 15))          // o 1, i 9: q 10, zero 15
        XCTAssertEqual(w[0 * 16 + 15], 2 * (15 - 16))         // o 0, group 1: nibble 15 means zero 16
        // G = 8 is below the AVX2 kernel's 16-input step: the layer falls back to the portable loop.
        let x = Tensor(shape: [1, 16], scalars: (0..<16).map { Float($0) / 8 - 1 })
        let y = try Int4Linear(packed: packed)(x).scalars
        for (a, b) in zip(y, matmul(x, packed.dequantized(), transposeB: true).scalars) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        XCTAssertThrowsError(try PackedInt4Weight(outputFeatures: 8, inputFeatures: 16, groupSize: 8,
                                                  qweight: Self.handQweight, qzeros: Self.handQzeros, scales: scales,
                                                  groupIndex: (0..<16).map { Int32($0 % 2) }), "act-order g_idx")
    }

    func testPackUnpackRoundTripsBitExactly() {
        var rng = SeededRandom(seed: 5)
        let codes = (0..<(24 * 64)).map { _ in UInt8.random(in: 0...15, using: &rng) }
        let words = PackedInt4Weight.packCodes(codes, outputFeatures: 24, inputFeatures: 64)
        XCTAssertEqual(PackedInt4Weight.unpackCodes(words, outputFeatures: 24, inputFeatures: 64), codes)
        XCTAssertEqual(PackedInt4Weight.packCodes(PackedInt4Weight.unpackCodes(words, outputFeatures: 24, inputFeatures: 64),
                                                  outputFeatures: 24, inputFeatures: 64), words)
        let zeros = (0..<(2 * 24)).map { _ in UInt8.random(in: 1...16, using: &rng) }
        let zwords = PackedInt4Weight.packZeros(zeros, groups: 2, outputFeatures: 24)
        XCTAssertEqual(PackedInt4Weight.unpackZeros(zwords, groups: 2, outputFeatures: 24), zeros)
    }

    /// Codes in [0, 15], zeros in [1, 15], errors within scale/2 except at a clamped end (< scale),
    /// exact zeros, and the edge cases (all-zero and non-negative groups).
    func testIntegerZeroQuantiserBounds() throws {
        var rng = SeededRandom(seed: 21)
        var weight = Tensor.normal([16, 256], standardDeviation: 0.02, using: &rng)
        weight = Tensor(shape: [16, 256], scalars: weight.scalars.enumerated().map { i, v in
            i < 32 ? 0 : (i < 64 ? abs(v) : v)               // an all-zero group, a non-negative group
        })
        let packed = try PackedInt4Weight(quantizing: weight, groupSize: 32)
        XCTAssertTrue(packed.codes.allSatisfy { $0 <= 15 })
        XCTAssertTrue(packed.zeroPoints.allSatisfy { (1...15).contains($0) })
        let w = weight.scalars, d = packed.dequantized().scalars
        var clampedEnds = 0
        for i in 0..<w.count {
            let scale = Float(packed.scales[((i % 256) / 32) * 16 + i / 256])
            let error = abs(w[i] - d[i])
            XCTAssertLessThan(error, scale * 1.001, "at \(i)")
            if error > scale / 2 * 1.001 { clampedEnds += 1 }
            if w[i] == 0 { XCTAssertEqual(d[i], 0, "0 is exactly representable") }
        }
        XCTAssertLessThan(clampedEnds, w.count / 100, "only range ends are clamped")
    }

    /// The integer zero point costs little against the paper's fractional one: RMS reconstruction
    /// error on Gaussian weights (G = 128), printed for the documentation.
    func testIntegerZeroCostsLittleAgainstThePapersZero() throws {
        var rng = SeededRandom(seed: 2024)
        let weight = Tensor.normal([256, 1024], standardDeviation: 0.02, using: &rng)
        func rms(_ a: [Float], _ b: [Float]) -> Double {
            (zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(a.count)).squareRoot()
        }
        let paper = rms(weight.scalars, try GroupQuantizedWeight(quantizing: weight, groupSize: 128).dequantized().scalars)
        let gptq = rms(weight.scalars, try PackedInt4Weight(quantizing: weight, groupSize: 128).dequantized().scalars)
        print("int4 G=128 RMS error / weight std: paper (fractional zero) \(paper / 0.02), AutoGPTQ (integer zero) \(gptq / 0.02)")
        XCTAssertLessThan(gptq, paper * 1.1)
        XCTAssertLessThan(paper / 0.02, 0.12)
    }
}
