#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// Saving and loading Hugging Face checkpoint directories (`MiniCPM+Checkpoint.swift`).
final class CheckpointTests: XCTestCase {
    /// A small GQA configuration: 2 layers, hidden 16, 4 heads of 4, 2 KV heads, vocabulary 40.
    static var smallConfiguration: MiniCPMConfiguration {
        var c = MiniCPMConfiguration(vocabularySize: 40, hiddenSize: 16, intermediateSize: 24, layerCount: 2,
                                     attentionHeadCount: 4, keyValueHeadCount: 2)
        c.embeddingScale = 12
        c.depthScale = 1.4
        c.baseModelDimension = 8
        c.initializerRange = 0.1
        c.rmsNormEpsilon = 1e-5
        return c
    }

    /// A model whose every weight is ~N(0, 1) (so that half-precision rounding is visible) and whose
    /// norm gains are not all 1.
    static func model(seed: UInt64, configuration: MiniCPMConfiguration = smallConfiguration) -> MiniCPM {
        var rng = SeededRandom(seed: seed)
        return try! MiniCPM(configuration: configuration) { d in
            d.role == .normGain ? Tensor.uniform(d.shape, in: 0.5...1.5, using: &rng) : Tensor.normal(d.shape, using: &rng)
        }
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("minicpm-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock {
            _ = chmod(url.path, 0o755)
            try? FileManager.default.removeItem(at: url)
        }
        return url
    }

    func fileNames(in directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    /// Every file of a directory with its bytes.
    func snapshot(_ directory: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        for name in try fileNames(in: directory) {
            result[name] = try Data(contentsOf: directory.appendingPathComponent(name))
        }
        return result
    }

    /// Asserts equal parameter names (in order) and, element by element, `transform(original)`
    /// bit-equal to the loaded value.
    func assertParameters(of loaded: MiniCPM, equal original: MiniCPM, after transform: (Float) -> Float = { $0 },
                          file: StaticString = #filePath, line: UInt = #line) {
        let a = original.namedParameters, b = loaded.namedParameters
        XCTAssertEqual(a.map(\.name), b.map(\.name), file: file, line: line)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.value.shape, y.value.shape, x.name, file: file, line: line)
            let expected = x.value.scalars.map { transform($0).bitPattern }
            let actual = y.value.scalars.map(\.bitPattern)
            XCTAssertTrue(expected == actual, "\(x.name) differs", file: file, line: line)
        }
    }

    /// Round to the nearest bfloat16 (ties to even) on the bit pattern, written out independently of
    /// TensorCore's converter (finite values only).
    static func bfloat16Rounded(_ x: Float) -> Float {
        let bits = x.bitPattern
        let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000
        return Float(bitPattern: rounded)
    }

    /// Writes `config.json` for `configuration` and one `model.safetensors` from `body`.
    func writeCheckpoint(_ directory: URL, configuration: MiniCPMConfiguration = smallConfiguration,
                         _ body: (inout SafetensorsWriter) throws -> Void) throws {
        try JSONEncoder().encode(configuration).write(to: directory.appendingPathComponent("config.json"))
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        try body(&writer)
        try writer.write(to: directory.appendingPathComponent("model.safetensors"))
    }

    /// A checkpoint with `model`'s tensors minus `removing`, with `replacing` substituted.
    func writeCheckpoint(_ directory: URL, from model: MiniCPM, removing: Set<String> = [],
                         replacing: [String: Tensor] = [:]) throws {
        try writeCheckpoint(directory, configuration: model.configuration) { writer in
            for (name, value) in model.namedParameters where !removing.contains(name) {
                try writer.add(replacing[name] ?? value, named: name)
            }
        }
    }

    func assertLoadFails(_ directory: URL, _ expected: CheckpointError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try MiniCPM(directory: directory), file: file, line: line) { error in
            XCTAssertEqual(error as? CheckpointError, expected, file: file, line: line)
        }
    }

    // MARK: Round trips

    func testFloat32RoundTripIsBitExact() throws {
        let dir = try temporaryDirectory()
        let model = Self.model(seed: 1)
        try model.save(to: dir)
        XCTAssertEqual(try fileNames(in: dir), ["config.json", "model.safetensors"])

        let loaded = try MiniCPM(directory: dir)
        XCTAssertEqual(loaded.configuration, model.configuration)
        assertParameters(of: loaded, equal: model)

        let file = try SafetensorsFile(contentsOf: dir.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(Set(file.tensorNames), Set(model.namedParameters.map(\.name)))
        XCTAssertTrue(file.tensorInfos.allSatisfy { $0.dtype == .f32 })
        XCTAssertEqual(file.metadata["format"], "pt")
    }

    func testLoadedModelGivesIdenticalLogits() throws {
        let dir = try temporaryDirectory()
        let model = Self.model(seed: 2)
        try model.save(to: dir)
        let loaded = try MiniCPM(directory: dir)
        let ids = [3, 17, 0, 39, 8, 8, 21]
        let before = try withoutGradients { try model.logits(for: ids) }
        let after = try withoutGradients { try loaded.logits(for: ids) }
        XCTAssertEqual(before.shape, [ids.count, 40])
        XCTAssertTrue(before.scalars.map(\.bitPattern) == after.scalars.map(\.bitPattern))
    }

    func testFloat16RoundTripRoundsToNearestHalf() throws {
        let dir = try temporaryDirectory()
        let model = Self.model(seed: 3)
        try model.save(to: dir, dtype: .f16)
        let file = try SafetensorsFile(contentsOf: dir.appendingPathComponent("model.safetensors"))
        XCTAssertTrue(file.tensorInfos.allSatisfy { $0.dtype == .f16 })

        let loaded = try MiniCPM(directory: dir)
        assertParameters(of: loaded, equal: model, after: { Float(Float16($0)) })
        // The rounding is visible (the weights are not all representable in F16).
        XCTAssertNotEqual(loaded.namedParameters[1].value.scalars, model.namedParameters[1].value.scalars)
    }

    func testBFloat16RoundTripRoundsToNearestBFloat16() throws {
        let dir = try temporaryDirectory()
        let model = Self.model(seed: 4)
        try model.save(to: dir, dtype: .bf16)
        let file = try SafetensorsFile(contentsOf: dir.appendingPathComponent("model.safetensors"))
        XCTAssertTrue(file.tensorInfos.allSatisfy { $0.dtype == .bf16 })

        let loaded = try MiniCPM(directory: dir)
        assertParameters(of: loaded, equal: model, after: Self.bfloat16Rounded)
        XCTAssertNotEqual(loaded.namedParameters[1].value.scalars, model.namedParameters[1].value.scalars)
        // Saving the loaded (already representable) weights again changes nothing.
        let again = try temporaryDirectory()
        try loaded.save(to: again, dtype: .bf16)
        XCTAssertEqual(try Data(contentsOf: again.appendingPathComponent("model.safetensors")),
                       try Data(contentsOf: dir.appendingPathComponent("model.safetensors")))
    }

    func testUntiedRoundTrip() throws {
        var c = Self.smallConfiguration
        c.tieWordEmbeddings = false
        let dir = try temporaryDirectory()
        let model = Self.model(seed: 5, configuration: c)
        XCTAssertEqual(model.namedParameters.last?.name, "lm_head.weight")
        try model.save(to: dir)
        let loaded = try MiniCPM(directory: dir)
        XCTAssertFalse(loaded.configuration.tieWordEmbeddings)
        XCTAssertNotNil(loaded.outputHead)
        assertParameters(of: loaded, equal: model)
        let ids = [1, 2, 3]
        XCTAssertEqual(try withoutGradients { try loaded.logits(for: ids) }.scalars,
                       try withoutGradients { try model.logits(for: ids) }.scalars)
    }

    func testShardedRoundTrip() throws {
        let dir = try temporaryDirectory()
        let model = Self.model(seed: 6)
        let parameters = model.namedParameters
        let limit = 4096                                   // bytes per shard (a 40x16 F32 table is 2560)
        try model.save(to: dir, maximumShardBytes: limit)

        let names = try fileNames(in: dir)
        let shards = names.filter { $0.hasSuffix(".safetensors") }
        XCTAssertGreaterThan(shards.count, 2)
        XCTAssertEqual(shards, (1...shards.count).map { String(format: "model-%05d-of-%05d.safetensors", $0, shards.count) })
        XCTAssertEqual(Set(names), Set(shards + ["config.json", "model.safetensors.index.json"]))

        // The index maps every tensor to the shard that holds it and states the total size.
        let indexData = try Data(contentsOf: dir.appendingPathComponent("model.safetensors.index.json"))
        let index = try XCTUnwrap(try JSONSerialization.jsonObject(with: indexData) as? [String: Any])
        let weightMap = try XCTUnwrap(index["weight_map"] as? [String: String])
        XCTAssertEqual(Set(weightMap.keys), Set(parameters.map(\.name)))
        let total = parameters.reduce(0) { $0 + $1.value.count * 4 }
        XCTAssertEqual((index["metadata"] as? [String: Any])?["total_size"] as? Int, total)
        var seen = Set<String>()
        for shard in shards {
            let file = try SafetensorsFile(contentsOf: dir.appendingPathComponent(shard))
            let bytes = file.tensorInfos.reduce(0) { $0 + $1.elementCount * 4 }
            XCTAssertTrue(bytes <= limit || file.tensorNames.count == 1, "\(shard) holds \(bytes) bytes")
            for name in file.tensorNames {
                XCTAssertEqual(weightMap[name], shard)
                XCTAssertTrue(seen.insert(name).inserted)
            }
        }
        XCTAssertEqual(seen.count, parameters.count)

        assertParameters(of: try MiniCPM(directory: dir), equal: model)

        // Sharded half precision: the limit counts stored bytes.
        let half = try temporaryDirectory()
        try model.save(to: half, dtype: .bf16, maximumShardBytes: limit)
        XCTAssertLessThan(try fileNames(in: half).filter { $0.hasSuffix(".safetensors") }.count, shards.count)
        assertParameters(of: try MiniCPM(directory: half), equal: model, after: Self.bfloat16Rounded)
    }

    func testSavingAgainReplacesTheCheckpoint() throws {
        let dir = try temporaryDirectory()
        try Self.model(seed: 7).save(to: dir)
        let second = Self.model(seed: 8)
        try second.save(to: dir)
        XCTAssertEqual(try fileNames(in: dir), ["config.json", "model.safetensors"], "no temporary files remain")
        assertParameters(of: try MiniCPM(directory: dir), equal: second)
    }

    func testSwitchingBetweenShardedAndSingleFileLeavesNoStaleFiles() throws {
        let dir = try temporaryDirectory()
        let first = Self.model(seed: 30), second = Self.model(seed: 31), third = Self.model(seed: 32)
        try first.save(to: dir, maximumShardBytes: 4096)
        XCTAssertTrue(try fileNames(in: dir).contains("model.safetensors.index.json"))
        // A single-file save over a sharded checkpoint removes the index and the old shards...
        try second.save(to: dir)
        XCTAssertEqual(try fileNames(in: dir), ["config.json", "model.safetensors"])
        assertParameters(of: try MiniCPM(directory: dir), equal: second)
        // ...and a sharded save over a single file removes model.safetensors.
        try third.save(to: dir, maximumShardBytes: 4096)
        let names = try fileNames(in: dir)
        XCTAssertFalse(names.contains("model.safetensors"))
        XCTAssertTrue(names.contains("model.safetensors.index.json"))
        assertParameters(of: try MiniCPM(directory: dir), equal: third)
    }

    func testSingleFileIsPreferredOverAnIndexAsHuggingFaceDoes() throws {
        let dir = try temporaryDirectory()
        let sharded = Self.model(seed: 33), single = Self.model(seed: 34)
        try sharded.save(to: dir, maximumShardBytes: 4096)
        let other = try temporaryDirectory()
        try single.save(to: other)
        try FileManager.default.copyItem(at: other.appendingPathComponent("model.safetensors"),
                                         to: dir.appendingPathComponent("model.safetensors"))
        assertParameters(of: try MiniCPM(directory: dir), equal: single)
    }

    // MARK: Failed saves

    /// Runs `body` with the process's file-size limit at `bytes` (`SIGXFSZ` ignored, so that writes
    /// past it fail with `EFBIG`), then restores both. Works for root, which ignores permissions.
    func withFileSizeLimit<R>(_ bytes: Int, _ body: () throws -> R) rethrows -> R {
        #if os(Linux)
        var old = rlimit()
        XCTAssertEqual(getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &old), 0)
        let oldHandler = signal(SIGXFSZ, SIG_IGN)
        var limited = old
        limited.rlim_cur = rlim_t(bytes)
        XCTAssertEqual(setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limited), 0)
        defer {
            _ = setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &old)
            _ = signal(SIGXFSZ, oldHandler)
        }
        #else
        var old = rlimit()
        XCTAssertEqual(getrlimit(RLIMIT_FSIZE, &old), 0)
        let oldHandler = signal(SIGXFSZ, SIG_IGN)
        var limited = old
        limited.rlim_cur = rlim_t(bytes)
        XCTAssertEqual(setrlimit(RLIMIT_FSIZE, &limited), 0)
        defer {
            _ = setrlimit(RLIMIT_FSIZE, &old)
            _ = signal(SIGXFSZ, oldHandler)
        }
        #endif
        return try body()
    }

    func assertWriteFailed(_ directory: URL, _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard case let .writeFailed(path, reason)? = error as? CheckpointError else {
                return XCTFail("expected CheckpointError.writeFailed, got \(error)", file: file, line: line)
            }
            XCTAssertEqual(path, directory.path, file: file, line: line)
            XCTAssertFalse(reason.isEmpty, file: file, line: line)
        }
    }

    /// A save that fails while writing (here: at `config.json`, the first file, or at the weights
    /// after `config.json`) reports `writeFailed`, leaves no temporary file and leaves the previous
    /// checkpoint as it was.
    func testFailedSaveLeavesThePreviousCheckpointIntact() throws {
        let dir = try temporaryDirectory()
        let original = Self.model(seed: 9)
        try original.save(to: dir)
        let before = try snapshot(dir)
        let configBytes = try XCTUnwrap(before["config.json"]).count
        let replacement = Self.model(seed: 10)      // same configuration, other weights

        for limit in [16, configBytes + 64] {
            assertWriteFailed(dir) {
                try withFileSizeLimit(limit) { try replacement.save(to: dir) }
            }
            XCTAssertEqual(try fileNames(in: dir), ["config.json", "model.safetensors"], "limit \(limit)")
            XCTAssertEqual(try snapshot(dir), before, "limit \(limit)")
            assertParameters(of: try MiniCPM(directory: dir), equal: original)
        }
        // The same save succeeds without the limit.
        try replacement.save(to: dir)
        assertParameters(of: try MiniCPM(directory: dir), equal: replacement)
    }

    /// Saving into a read-only directory fails with `writeFailed` before anything changes. (Root
    /// ignores the permission, so the test is skipped there; the file-size test covers that case.)
    func testSaveIntoReadOnlyDirectoryFails() throws {
        guard geteuid() != 0 else { throw XCTSkip("running as root: directory permissions are not enforced") }
        let dir = try temporaryDirectory()
        let original = Self.model(seed: 11)
        try original.save(to: dir)
        let before = try snapshot(dir)
        XCTAssertEqual(chmod(dir.path, 0o555), 0)
        assertWriteFailed(dir) { try Self.model(seed: 12).save(to: dir) }
        XCTAssertEqual(chmod(dir.path, 0o755), 0)
        XCTAssertEqual(try snapshot(dir), before)
        assertParameters(of: try MiniCPM(directory: dir), equal: original)
    }

    func testSaveWhereTheDirectoryIsAFileFails() throws {
        let dir = try temporaryDirectory()
        let path = dir.appendingPathComponent("occupied")
        try Data("x".utf8).write(to: path)
        assertWriteFailed(path) { try Self.model(seed: 13).save(to: path) }
        XCTAssertEqual(try Data(contentsOf: path), Data("x".utf8))
    }

    func testSaveRejectsIntegerDType() throws {
        let dir = try temporaryDirectory()
        XCTAssertThrowsError(try Self.model(seed: 14).save(to: dir, dtype: .i32)) { error in
            XCTAssertEqual(error as? CheckpointError, .unsupportedDType(name: "(save)", dtype: "I32"))
        }
        XCTAssertEqual(try fileNames(in: dir), [])
    }

    // MARK: Load errors

    func testMissingConfiguration() throws {
        let dir = try temporaryDirectory()
        try Self.model(seed: 20).save(to: dir)
        let config = dir.appendingPathComponent("config.json")
        try FileManager.default.removeItem(at: config)
        assertLoadFails(dir, .missingFile(path: config.path))
    }

    func testInvalidConfiguration() throws {
        let dir = try temporaryDirectory()
        try Self.model(seed: 21).save(to: dir)
        let config = dir.appendingPathComponent("config.json")

        try Data("{ not json".utf8).write(to: config)
        XCTAssertThrowsError(try MiniCPM(directory: dir)) { error in
            guard case let .configuration(.unreadable(path, _))? = error as? CheckpointError else {
                return XCTFail("expected .configuration(.unreadable), got \(error)")
            }
            XCTAssertEqual(path, config.path)
        }

        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: JSONEncoder().encode(Self.smallConfiguration)) as? [String: Any])
        object["num_key_value_heads"] = 3
        try JSONSerialization.data(withJSONObject: object).write(to: config)
        assertLoadFails(dir, .configuration(.inFile(path: config.path,
                                                    .inconsistent("num_key_value_heads 3 does not divide num_attention_heads 4"))))

        object["num_key_value_heads"] = 2
        object["intermediate_size"] = nil
        try JSONSerialization.data(withJSONObject: object).write(to: config)
        assertLoadFails(dir, .configuration(.inFile(path: config.path, .missingKey("intermediate_size"))))
    }

    func testMissingWeightsFile() throws {
        let dir = try temporaryDirectory()
        try JSONEncoder().encode(Self.smallConfiguration).write(to: dir.appendingPathComponent("config.json"))
        assertLoadFails(dir, .missingFile(path: dir.appendingPathComponent("model.safetensors").path))
    }

    func testMissingTensorIsNamed() throws {
        let dir = try temporaryDirectory()
        let name = "model.layers.1.mlp.up_proj.weight"
        try writeCheckpoint(dir, from: Self.model(seed: 22), removing: [name])
        assertLoadFails(dir, .missingTensor(name: name))

        // A tied checkpoint loaded as untied misses its LM head.
        var untied = Self.smallConfiguration
        untied.tieWordEmbeddings = false
        try writeCheckpoint(dir, from: Self.model(seed: 22))
        try JSONEncoder().encode(untied).write(to: dir.appendingPathComponent("config.json"))
        assertLoadFails(dir, .missingTensor(name: "lm_head.weight"))
    }

    func testUnexpectedTensorIsNamed() throws {
        let dir = try temporaryDirectory()
        let model = Self.model(seed: 23)
        try writeCheckpoint(dir) { writer in
            for (name, value) in model.namedParameters { try writer.add(value, named: name) }
            try writer.add(Tensor.ones([2]), named: "model.layers.0.self_attn.rotary_emb.inv_freq")
        }
        assertLoadFails(dir, .unexpectedTensor(name: "model.layers.0.self_attn.rotary_emb.inv_freq", file: "model.safetensors"))

        // An LM head in a checkpoint whose configuration ties it.
        try writeCheckpoint(dir) { writer in
            for (name, value) in model.namedParameters { try writer.add(value, named: name) }
            try writer.add(model.embedding.weight, named: "lm_head.weight")
        }
        assertLoadFails(dir, .unexpectedTensor(name: "lm_head.weight", file: "model.safetensors"))
    }

    func testWrongShapeNamesExpectedAndFound() throws {
        let dir = try temporaryDirectory()
        let name = "model.layers.0.self_attn.k_proj.weight"     // [2 KV heads x 4, 16]
        try writeCheckpoint(dir, from: Self.model(seed: 24), replacing: [name: Tensor.zeros([16, 16])])
        assertLoadFails(dir, .shapeMismatch(name: name, expected: [8, 16], found: [16, 16]))

        try writeCheckpoint(dir, from: Self.model(seed: 24), replacing: ["model.norm.weight": Tensor.ones([1, 16])])
        assertLoadFails(dir, .shapeMismatch(name: "model.norm.weight", expected: [16], found: [1, 16]))
    }

    func testUnsupportedDTypeIsNamed() throws {
        let dir = try temporaryDirectory()
        let model = Self.model(seed: 25)
        try writeCheckpoint(dir) { writer in
            for (name, value) in model.namedParameters where name != "model.norm.weight" {
                try writer.add(value, named: name)
            }
            try writer.add([Int32](repeating: 1, count: 16), shape: [16], named: "model.norm.weight")
        }
        assertLoadFails(dir, .unsupportedDType(name: "model.norm.weight", dtype: "I32"))
    }

    /// Writes `model` as two shards (`model.embed_tokens.weight` alone in the second) with an index.
    func writeTwoShards(_ dir: URL, model: MiniCPM, extraInSecond: [String: Tensor] = [:]) throws -> (first: String, second: String) {
        let first = "model-00001-of-00002.safetensors", second = "model-00002-of-00002.safetensors"
        try JSONEncoder().encode(model.configuration).write(to: dir.appendingPathComponent("config.json"))
        var a = SafetensorsWriter(), b = SafetensorsWriter()
        var map: [String: String] = [:]
        for (name, value) in model.namedParameters {
            if name == "model.embed_tokens.weight" { try b.add(value, named: name); map[name] = second }
            else { try a.add(value, named: name); map[name] = first }
        }
        for (name, value) in extraInSecond { try b.add(value, named: name) }
        try a.write(to: dir.appendingPathComponent(first))
        try b.write(to: dir.appendingPathComponent(second))
        let index: [String: Any] = ["metadata": ["total_size": 0], "weight_map": map]
        try JSONSerialization.data(withJSONObject: index).write(to: dir.appendingPathComponent("model.safetensors.index.json"))
        return (first, second)
    }

    func testHandWrittenShardsLoad() throws {
        let dir = try temporaryDirectory()
        let model = Self.model(seed: 26)
        _ = try writeTwoShards(dir, model: model)
        assertParameters(of: try MiniCPM(directory: dir), equal: model)
    }

    func testMissingShardFile() throws {
        let dir = try temporaryDirectory()
        let (_, second) = try writeTwoShards(dir, model: Self.model(seed: 27))
        try FileManager.default.removeItem(at: dir.appendingPathComponent(second))
        assertLoadFails(dir, .missingFile(path: dir.appendingPathComponent(second).path))
    }

    func testInvalidIndex() throws {
        let dir = try temporaryDirectory()
        _ = try writeTwoShards(dir, model: Self.model(seed: 28))
        let index = dir.appendingPathComponent("model.safetensors.index.json")
        let reason = "expected an object with a \"weight_map\" of tensor name to file name"
        for text in ["{ not json", "[]", #"{"metadata": {}}"#, #"{"weight_map": {"model.norm.weight": 3}}"#] {
            try Data(text.utf8).write(to: index)
            assertLoadFails(dir, .invalidIndex(path: index.path, reason: reason))
        }
        try Data(#"{"weight_map": {"model.norm.weight": "../model.safetensors"}}"#.utf8).write(to: index)
        assertLoadFails(dir, .invalidIndex(path: index.path, reason: "shard name \"../model.safetensors\" is not a plain file name"))
    }

    func testTensorInTwoShards() throws {
        let dir = try temporaryDirectory()
        let model = Self.model(seed: 29)
        let (first, second) = try writeTwoShards(dir, model: model, extraInSecond: ["model.norm.weight": Tensor.ones([16])])
        assertLoadFails(dir, .duplicateTensor(name: "model.norm.weight", files: [first, second]))
    }

    func testCorruptWeightsFileIsASafetensorsError() throws {
        let dir = try temporaryDirectory()
        try Self.model(seed: 30).save(to: dir)
        let weights = dir.appendingPathComponent("model.safetensors")
        try Data([1, 2, 3]).write(to: weights)
        assertLoadFails(dir, .safetensors(.truncatedFile(path: weights.path, byteCount: 3)))
    }
}
