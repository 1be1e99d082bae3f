import Foundation
import XCTest
@testable import TensorCore

/// ``GGUFQuantization`` against blocks written by llama.cpp's Python package and checked against its
/// C (`Fixtures/gguf-quantization/make_reference.py` and its README).
final class GGUFQuantizationTests: GGUFTestCase {
    private struct Reference: Decodable {
        struct Quantized: Decodable {
            var blocks: String
            var dequantized: String
        }

        struct Case: Decodable {
            var name: String
            var input: String
            var q4_0: Quantized
            var q4_1: Quantized
            var q8_0: Quantized
        }

        var cases: [Case]
    }

    private static var types: [(GGUFTensorType, KeyPath<Reference.Case, Reference.Quantized>)] {
        [(.q4_0, \.q4_0), (.q4_1, \.q4_1), (.q8_0, \.q8_0)]
    }

    private func reference() throws -> Reference {
        let root = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let data = try Data(contentsOf: root.appendingPathComponent("gguf-quantization/quantization.json"))
        return try JSONDecoder().decode(Reference.self, from: data)
    }

    private static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        precondition(digits.count % 2 == 0)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0 ..< $0 + 2], as: UTF8.self), radix: 16)! }
    }

    /// Little-endian float32 bytes in hexadecimal, as bit patterns (so -0 and NaN stay distinct).
    private static func bitPatterns(_ hex: String) -> [UInt32] {
        let b = bytes(hex)
        return stride(from: 0, to: b.count, by: 4).map { i in (0 ..< 4).reduce(UInt32(0)) { $0 | UInt32(b[i + $1]) << (8 * $1) } }
    }

    private static func quantize(_ type: GGUFTensorType, _ input: [Float]) -> [UInt8] {
        var out = [UInt8](repeating: 0xAA, count: input.count / 32 * type.bytesPerBlock)
        input.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBytes { GGUFQuantization.quantize(type, from: source, into: $0) }
        }
        return out
    }

    func testBlocksMatchLlamaCppBitForBit() throws {
        let reference = try reference()
        XCTAssertGreaterThanOrEqual(reference.cases.count, 19)
        for testCase in reference.cases {
            let input = Self.bitPatterns(testCase.input).map(Float.init(bitPattern:))
            for (type, path) in Self.types {
                let expected = Self.bytes(testCase[keyPath: path].blocks)
                let found = Self.quantize(type, input)
                XCTAssertEqual(found, expected, "\(type), \(testCase.name)")
                // The Tensor path (parallel chunks, checks) gives the same bytes.
                let tensor = Tensor(shape: [1, input.count], scalars: input)
                XCTAssertEqual(try GGUFQuantization.quantize(tensor, named: testCase.name, as: type), expected,
                               "\(type), \(testCase.name), Tensor")
            }
        }
    }

    func testRoundTripGivesGGUFPyDequantisationBitForBit() throws {
        for testCase in try reference().cases {
            let input = Self.bitPatterns(testCase.input).map(Float.init(bitPattern:))
            for (type, path) in Self.types {
                let blocks = Self.quantize(type, input)
                var back = [Float](repeating: .nan, count: input.count)
                blocks.withUnsafeBytes { source in
                    back.withUnsafeMutableBufferPointer { GGUFDequantization.dequantize(type, from: source, into: $0) }
                }
                XCTAssertEqual(back.map(\.bitPattern), Self.bitPatterns(testCase[keyPath: path].dequantized),
                               "\(type), \(testCase.name)")
            }
        }
    }

    /// The parallel path over many chunks gives the blocks of the serial one, and the error stays
    /// within half a step of each block's scale.
    func testLargeTensorMatchesSerialQuantisation() throws {
        var generator = SeededRandom(seed: 13)
        let tensor = Tensor.normal([256, 1024], using: &generator)
        let input = tensor.withUnsafeBufferPointer { Array($0) }
        for type in [GGUFTensorType.q4_0, .q4_1, .q8_0] {
            let blocks = try GGUFQuantization.quantize(tensor, named: "w", as: type)
            XCTAssertEqual(blocks, Self.quantize(type, input), "\(type)")
            var back = [Float](repeating: 0, count: input.count)
            blocks.withUnsafeBytes { source in
                back.withUnsafeMutableBufferPointer { GGUFDequantization.dequantize(type, from: source, into: $0) }
            }
            for b in stride(from: 0, to: input.count, by: 32) {
                let block = input[b ..< b + 32]
                let step: Float = switch type {
                case .q4_0: block.map(abs).max()! / 8
                case .q4_1: (block.max()! - block.min()!) / 15
                default: block.map(abs).max()! / 127
                }
                // Half a step, widened by the binary16 scale (relative error 2^-11, times up to 127
                // steps for Q8_0) and the stored minimum of Q4_1; Q4_0 clamps +8 steps to +7.
                let bound: Float = switch type {
                case .q4_0: step * 1.01
                case .q4_1: step * 0.51 + abs(block.min()!) / 2048
                default: step * 0.57
                }
                for i in b ..< b + 32 {
                    XCTAssertLessThanOrEqual(abs(back[i] - input[i]), bound, "\(type), element \(i)")
                }
            }
        }
    }

    func testRefusesWhatItCannotQuantise() {
        let ragged = Tensor(repeating: 1, shape: [2, 48])
        XCTAssertThrowsError(try GGUFQuantization.quantize(ragged, named: "blk.0.ffn_down.weight", as: .q8_0)) { error in
            XCTAssertEqual(error as? GGUFError, .invalidTensorToWrite(
                tensor: "blk.0.ffn_down.weight", reason: "rows of 48 elements are not whole Q8_0 blocks of 32"))
        }
        XCTAssertThrowsError(try GGUFQuantization.quantize(Tensor(repeating: 1, shape: [32]), named: "x", as: .q4_K)) { error in
            guard case let .invalidTensorToWrite(tensor, _)? = error as? GGUFError else { return XCTFail("\(error)") }
            XCTAssertEqual(tensor, "x")
        }
        var scalars = [Float](repeating: 0.5, count: 64)
        scalars[37] = .nan
        XCTAssertThrowsError(try GGUFQuantization.quantize(Tensor(shape: [2, 32], scalars: scalars), named: "w", as: .q4_1)) { error in
            guard case let .invalidTensorToWrite(tensor, reason)? = error as? GGUFError else { return XCTFail("\(error)") }
            XCTAssertEqual(tensor, "w")
            XCTAssertTrue(reason.contains("element 37"), reason)
        }
    }

    /// C's `(int8_t)` conversion as llama.cpp's x86 build performs it, where C leaves it undefined.
    func testUndefinedConversionsFollowX86() {
        XCTAssertEqual(GGUFQuantization.cInt8(8.99), 8)
        XCTAssertEqual(GGUFQuantization.cInt8(-0.7), 0)
        XCTAssertEqual(GGUFQuantization.cInt8(200), -56)
        XCTAssertEqual(GGUFQuantization.cInt8(.nan), 0)
        XCTAssertEqual(GGUFQuantization.cInt8(.infinity), 0)
    }
}
