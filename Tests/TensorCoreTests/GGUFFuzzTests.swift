import Foundation
import XCTest
import TensorCore

/// Seeded mutation fuzzing of the GGUF reader: every mutated file must either be rejected with a
/// ``GGUFError`` or open with every tensor readable and consistent with its entry.
final class GGUFFuzzTests: GGUFTestCase {
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

    /// A small valid file with metadata of every kind and a tensor of every dequantised type plus an
    /// unsupported one, so that most bytes are header.
    private func seedFile() throws -> [UInt8] {
        var writer = GGUFWriter()
        try writer.setValue(.uint32(16), forKey: "general.alignment")
        try writer.setValue(.string("llama"), forKey: "general.architecture")
        try writer.setValue(.uint32(2), forKey: "llama.block_count")
        try writer.setValue(.float32(10_000), forKey: "llama.rope.freq_base")
        try writer.setValue(.bool(true), forKey: "flag")
        try writer.setValue(.array(elementType: .string, elements: [.string("<s>"), .string("a"), .string("Ġb")]), forKey: "tokens")
        try writer.setValue(.array(elementType: .float32, elements: [.float32(0), .float32(-1), .float32(-2)]), forKey: "scores")
        try writer.setValue(.array(elementType: .array, elements: [.array(elementType: .int64, elements: [.int64(-1)])]), forKey: "nested")
        try writer.setValue(.uint64(1 << 40), forKey: "big")
        try writer.setValue(.float64(0.5), forKey: "double")
        try writer.addTensor("f32", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        try writer.addTensor(named: "f16", shape: [4], type: .f16, blocks: [0, 0x3C, 0, 0xC0, 0xFF, 0x7B, 1, 0])
        try writer.addTensor(named: "bf16", shape: [2], type: .bf16, blocks: [0x80, 0x3F, 0x40, 0xC0])
        try writer.addTensor(named: "q4_0", shape: [32], type: .q4_0, blocks: [0, 0x38] + (0 ..< 16).map { UInt8($0 * 13 % 256) })
        try writer.addTensor(named: "q4_1", shape: [32], type: .q4_1, blocks: [0, 0x34, 0, 0xBC] + (0 ..< 16).map { UInt8($0 * 7) })
        try writer.addTensor(named: "q8_0", shape: [32], type: .q8_0, blocks: [0, 0x40] + (0 ..< 32).map { UInt8($0 * 5) })
        try writer.addTensor(named: "q4_K", shape: [256], type: .q4_K, blocks: (0 ..< 144).map { UInt8($0 * 3 % 256) })
        try writer.addTensor(named: "q6_K", shape: [256], type: .q6_K, blocks: (0 ..< 210).map { UInt8($0 * 11 % 256) })
        try writer.addTensor(named: "q5_K", shape: [256], type: .q5_K, blocks: [UInt8](repeating: 9, count: 176))
        return writer.serializedBytes()
    }

    private enum Outcome { case accepted, rejected }

    private func check(_ bytes: [UInt8], index: Int) throws -> Outcome {
        let url = try write(bytes, name: "fuzz-\(index).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        let file: GGUFFile
        do {
            file = try GGUFFile(contentsOf: url)
        } catch {
            XCTAssertFalse(error.description.isEmpty)
            return .rejected
        }
        for key in file.metadataKeys {
            _ = file.string(forKey: key); _ = file.integer(forKey: key); _ = file.float(forKey: key)
            _ = file.strings(forKey: key); _ = file.integers(forKey: key); _ = file.floats(forKey: key)
        }
        XCTAssertLessThanOrEqual(file.tensorInfos.count, bytes.count)
        for info in file.tensorInfos {
            XCTAssertEqual(info.byteCount, info.elementCount / info.type.blockSize * info.type.bytesPerBlock)
            XCTAssertLessThanOrEqual(file.dataOffset + info.offset + info.byteCount, bytes.count)
            XCTAssertEqual(try file.rawBytes(ofTensorNamed: info.name).count, info.byteCount)
            if info.type.isDequantizable {
                let tensor = try file.tensor(named: info.name)
                XCTAssertEqual(tensor.shape, info.shape)
                XCTAssertEqual(tensor.scalars.count, info.elementCount)
            } else {
                XCTAssertThrowsError(try file.tensor(named: info.name))
            }
        }
        return .accepted
    }

    func testSeedFileIsValid() throws {
        XCTAssertEqual(try check(try seedFile(), index: -1), .accepted)
        let file = try open(try seedFile())
        XCTAssertEqual(file.tensorInfos.count, 9)
        XCTAssertEqual(file.alignment, 16)
    }

    func testRandomCorruptionOnlyEverGivesErrorsOrValidTensors() throws {
        let seed = try seedFile()
        var rng = SplitMix64(state: 0x6767_5546)
        var accepted = 0, rejected = 0
        for index in 0 ..< 2000 {
            var bytes = seed
            switch index % 4 {
            case 0:     // flip one to four random bits anywhere
                for _ in 0 ..< Int.random(in: 1 ... 4, using: &rng) {
                    bytes[Int.random(in: 0 ..< bytes.count, using: &rng)] ^= 1 << UInt8.random(in: 0 ... 7, using: &rng)
                }
            case 1:     // overwrite a random byte with an extreme value
                bytes[Int.random(in: 0 ..< bytes.count, using: &rng)] = [0, 0xFF, 0x7F, 0x80].randomElement(using: &rng)!
            case 2:     // truncate
                bytes = Array(bytes[..<Int.random(in: 1 ..< bytes.count, using: &rng)])
            default:    // overwrite eight bytes (a length, count, dimension or offset) with a random value
                let at = Int.random(in: 0 ..< bytes.count - 8, using: &rng)
                let value: UInt64 = [UInt64.max, 1 << 63, 1 << 32, UInt64(rng.next() % 4096), rng.next()].randomElement(using: &rng)!
                for k in 0 ..< 8 { bytes[at + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
            }
            switch try check(bytes, index: index) {
            case .accepted: accepted += 1
            case .rejected: rejected += 1
            }
        }
        XCTAssertGreaterThan(accepted, 100, "some mutations (in tensor data or values) keep the file valid")
        XCTAssertGreaterThan(rejected, 100)
    }
}
