import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// MiniCPM-MoE in GGUF: `saveGGUF` writes llama.cpp's stacked `ffn_*_exps` tensors and `init(gguf:)`
/// reads them back, on the `moe-e8-k2-untied` fixture (top-2 of 8 experts, untied head, GQA 4/2),
/// against the Hugging Face load, the float64 numpy reference and llama.cpp's own logits.
final class GGUFMixtureOfExpertsTests: TemporaryDirectoryTestCase {
    private static let fixture = "moe-e8-k2-untied"

    private func huggingFaceModel() throws -> MiniCPM { try MiniCPM(directory: fixtureURL(Self.fixture)) }

    private func saved(_ model: MiniCPM, as type: GGUFTensorType) throws -> URL {
        let url = directory.appendingPathComponent("moe-\(type).gguf")
        try model.saveGGUF(to: url, type: type)
        return url
    }

    /// F32: the file has llama.cpp's layout (router `[E, hidden]` F32, experts stacked with the expert
    /// index slowest, `expert_count`/`expert_used_count`), and loads back to the same parameters
    /// and the same logits bit for bit.
    func testF32RoundTripIsExact() throws {
        let model = try huggingFaceModel()
        let url = try saved(model, as: .f32)
        let file = try GGUFFile(contentsOf: url)
        XCTAssertEqual(file.integer(forKey: "minicpm.expert_count"), 8)
        XCTAssertEqual(file.integer(forKey: "minicpm.expert_used_count"), 2)
        XCTAssertEqual(try file.info(named: "blk.1.ffn_gate_inp.weight").ggmlDimensions, [64, 8])
        XCTAssertEqual(try file.info(named: "blk.1.ffn_gate_exps.weight").ggmlDimensions, [64, 32, 8])
        XCTAssertEqual(try file.info(named: "blk.1.ffn_up_exps.weight").ggmlDimensions, [64, 32, 8])
        XCTAssertEqual(try file.info(named: "blk.1.ffn_down_exps.weight").ggmlDimensions, [32, 64, 8])
        XCTAssertFalse(file.tensorNames.contains { $0.contains("ffn_gate.") || $0.contains("ffn_down.") })
        XCTAssertEqual(file.tensorNames.count, 1 + 2 * 10 + 2)   // embedding, 10 a layer, final norm, head
        // Expert 5's w2 is the sixth [64, 32] slab of ffn_down_exps, as numpy.stack puts it.
        let stackedDown = try file.tensor(named: "blk.1.ffn_down_exps.weight").scalars
        let w2 = try XCTUnwrap(model.namedParameters.first { $0.name == "model.layers.1.mlp.experts.5.w2.weight" }).value
        XCTAssertTrue(Array(stackedDown[5 * 64 * 32 ..< 6 * 64 * 32]) == w2.scalars)

        let loaded = try MiniCPM(gguf: file)
        XCTAssertEqual(loaded.configuration.expertCount, 8)
        XCTAssertEqual(loaded.configuration.expertsPerToken, 2)
        XCTAssertEqual(loaded.namedParameters.map(\.name), model.namedParameters.map(\.name))
        for ((name, value), (_, original)) in zip(loaded.namedParameters, model.namedParameters) {
            XCTAssertTrue(value.scalars == original.scalars, name)
        }
        let expected = try ExpectedOutput(fixture: Self.fixture)
        let reference = try withoutGradients { try model.logits(for: expected.ids) }
        let logits = try withoutGradients { try loaded.logits(for: expected.ids) }
        XCTAssertTrue(logits.scalars == reference.scalars, "bit for bit")
        try checkParity(loaded, against: expected, label: "\(Self.fixture) from GGUF")
    }

    /// A file written by gguf-py alone (`Fixtures/gguf/make_moe_gguf_fixture.py`: the converter's
    /// metadata, experts stacked with `numpy.stack`, F16 matrices, F32 router and norms) loads to
    /// the float64 reference's logits for its own weights within 1e-4.
    func testFileWrittenByGGUFPyLoads() throws {
        let loaded = try MiniCPM(ggufFile: ggufFixtureURL("minicpm-moe-f16.gguf"))
        XCTAssertEqual(loaded.configuration.expertCount, 8)
        XCTAssertEqual(loaded.configuration.expertsPerToken, 2)
        XCTAssertFalse(loaded.configuration.tieWordEmbeddings)
        let expected = try ExpectedOutput(contentsOf: ggufFixtureURL("minicpm-moe-f16.expected.safetensors"))
        try checkParity(loaded, against: expected, label: "gguf-py MoE F16", checks: [.fullForward, .cachedStepwise])
    }

    /// `saveGGUF` in F16 writes what gguf-py writes: every tensor of its file with the same type,
    /// dimensions and bytes, and the same metadata values.
    func testSavedF16FileMatchesGGUFPy() throws {
        let file = try GGUFFile(contentsOf: try saved(try huggingFaceModel(), as: .f16))
        let reference = try GGUFFile(contentsOf: ggufFixtureURL("minicpm-moe-f16.gguf"))
        XCTAssertEqual(Set(file.tensorNames), Set(reference.tensorNames))
        for info in reference.tensorInfos {
            let mine = try file.info(named: info.name)
            XCTAssertEqual(mine.type, info.type, info.name)
            XCTAssertEqual(mine.ggmlDimensions, info.ggmlDimensions, info.name)
            XCTAssertTrue(try file.rawBytes(ofTensorNamed: info.name) == reference.rawBytes(ofTensorNamed: info.name), info.name)
        }
        for key in reference.metadataKeys {
            let expected = try XCTUnwrap(reference.metadata[key]), actual = try XCTUnwrap(file.metadata[key], key)
            if key == "minicpm.residual_scale" {       // 1.4 / √2, rounded once by Python, twice here
                XCTAssertEqual(try XCTUnwrap(actual.doubleValue), try XCTUnwrap(expected.doubleValue), accuracy: 1e-7)
            } else {
                XCTAssertEqual(actual, expected, key)
            }
        }
    }

    /// F16 stores experts (and every other matrix) as F16 and the router as F32, as llama.cpp's
    /// converter does; loading gives the rounded weights.
    func testF16RoundsExpertsAndKeepsTheRouter() throws {
        let model = try huggingFaceModel()
        let file = try GGUFFile(contentsOf: try saved(model, as: .f16))
        XCTAssertEqual(try file.info(named: "blk.0.ffn_up_exps.weight").type, .f16)
        XCTAssertEqual(try file.info(named: "blk.0.ffn_gate_inp.weight").type, .f32)
        let loaded = try MiniCPM(gguf: file)
        for ((name, value), (_, original)) in zip(loaded.namedParameters, model.namedParameters) {
            let rounded = original.rank == 2 && !name.hasSuffix("mlp.gate.weight")
                ? HalfPrecision.floats(from: HalfPrecision.float16s(from: original.scalars)) : original.scalars
            XCTAssertTrue(value.scalars == rounded, name)
        }
    }

    /// Q8_0: experts in 32-weight blocks (per row of `ne0`, so per expert), router F32. The float
    /// loader's logits match the float64 reference run on the weights gguf-py dequantises from this
    /// very file (`Fixtures/gguf/moe-e8-k2-untied-q8_0.expected.safetensors`; the blocks are
    /// byte-identical to gguf-py's `quantize` of the stacked F32 tensors) within 1e-4. Against the
    /// unquantised reference they differ by 0.73: this random fixture amplifies Q8_0's 0.4% weight
    /// rounding (top-2 routing flips), which is why the comparison is with the dequantised weights.
    func testQ8_0RoundTripMatchesTheReferenceOnItsBlocks() throws {
        let model = try huggingFaceModel()
        let file = try GGUFFile(contentsOf: try saved(model, as: .q8_0))
        XCTAssertEqual(try file.info(named: "blk.1.ffn_down_exps.weight").type, .q8_0)
        XCTAssertEqual(try file.info(named: "blk.1.ffn_gate_inp.weight").type, .f32)
        XCTAssertEqual(file.integer(forKey: "general.file_type"), 7)
        let loaded = try MiniCPM(gguf: file)
        let expected = try ExpectedOutput(contentsOf: ggufFixtureURL("moe-e8-k2-untied-q8_0.expected.safetensors"))
        let logits = try withoutGradients { try loaded.logits(for: expected.ids) }
        XCTAssertLessThan(maxAbsDifference(logits, expected.logits), 1e-4)
        let unquantised = try ExpectedOutput(fixture: Self.fixture)
        XCTAssertGreaterThan(maxAbsDifference(logits, unquantised.logits), 0.1, "the experts were quantised")
    }

    /// llama.cpp's logits for the fixture prompt, computed once by llama.cpp (llama-cpp-python 0.3.36,
    /// F32 KV cache) from the F32 file `saveGGUF` writes (`Fixtures/gguf/moe_llama_cpp.py`): they
    /// agree with the float64 reference and with this library's logits from that file to float32
    /// rounding, so llama.cpp reads the stacked experts, router and metadata as this library does.
    func testLlamaCppLogitsOfTheSavedFile() throws {
        let llamaCpp = try ExpectedOutput(contentsOf: ggufFixtureURL("moe-e8-k2-untied.llama-cpp.safetensors"))
        let expected = try ExpectedOutput(fixture: Self.fixture)
        XCTAssertEqual(llamaCpp.ids, expected.ids)
        XCTAssertLessThan(maxAbsDifference(llamaCpp.logits, expected.logits), 1e-4, "llama.cpp against the float64 reference")
        let loaded = try MiniCPM(ggufFile: try saved(try huggingFaceModel(), as: .f32))
        let logits = try withoutGradients { try loaded.logits(for: expected.ids) }
        XCTAssertLessThan(maxAbsDifference(logits, llamaCpp.logits), 1e-4, "this library against llama.cpp")
    }

    // MARK: Malformed files

    private func loadingError(_ url: URL, file: StaticString = #filePath, line: UInt = #line) -> CheckpointError? {
        checkpointError({ try MiniCPM(ggufFile: url) }, file: file, line: line)
    }

    func testExpertMetadataErrorsNameTheKey() throws {
        let source = try saved(try huggingFaceModel(), as: .f32)
        var url = try editedGGUF(source, setting: [("minicpm.expert_used_count", .uint32(9))])
        XCTAssertEqual(loadingError(url), .invalidMetadata(key: "minicpm.expert_used_count", value: "9",
                                                           reason: "must lie in 1...minicpm.expert_count = 8", path: url.path))
        url = try editedGGUF(source, name: "zero-used.gguf", setting: [("minicpm.expert_used_count", .uint32(0))])
        guard case .invalidMetadata(key: "minicpm.expert_used_count", value: "0", _, _)? = loadingError(url) else { return XCTFail() }
        url = try editedGGUF(source, name: "no-used.gguf", removingKeys: ["minicpm.expert_used_count"])
        XCTAssertEqual(loadingError(url), .missingMetadata(key: "minicpm.expert_used_count", path: url.path))
        url = try editedGGUF(source, name: "negative.gguf", setting: [("minicpm.expert_count", .int32(-8))])
        guard case .invalidMetadata(key: "minicpm.expert_count", value: "-8", _, _)? = loadingError(url) else { return XCTFail() }
        // Experts used without any experts: a dense file with a stray key.
        let dense = ggufFixtureURL("minicpm-f32.gguf")
        url = try editedGGUF(dense, name: "stray.gguf", setting: [("minicpm.expert_used_count", .uint32(2))])
        guard case .invalidMetadata(key: "minicpm.expert_used_count", value: "2", _, _)? = loadingError(url) else { return XCTFail() }
    }

    /// An expert count that disagrees with the tensors, a stacked tensor of the wrong shape or a
    /// missing one: errors naming the tensor, before anything is read.
    func testStackedTensorErrorsNameTheTensor() throws {
        let source = try saved(try huggingFaceModel(), as: .f32)
        // expert_count 4 against 8 stacked experts: the stacks are checked first.
        var url = try editedGGUF(source, setting: [("minicpm.expert_count", .uint32(4))])
        XCTAssertEqual(loadingError(url), .shapeMismatch(name: "blk.0.ffn_gate_exps.weight", expected: [4, 32, 64], found: [8, 32, 64]))
        // A forged count fails as fast, before any per-expert declaration is listed.
        url = try editedGGUF(source, name: "forged.gguf", setting: [("minicpm.expert_count", .uint32(1_000_000_000))])
        XCTAssertEqual(loadingError(url), .shapeMismatch(name: "blk.0.ffn_gate_exps.weight", expected: [1_000_000_000, 32, 64], found: [8, 32, 64]))
        // The stacks agree but the router does not.
        url = try editedGGUF(source, name: "router.gguf", replacingTensors: ["blk.1.ffn_gate_inp.weight": Tensor.zeros([4, 64])])
        XCTAssertEqual(loadingError(url), .shapeMismatch(name: "blk.1.ffn_gate_inp.weight", expected: [8, 64], found: [4, 64]))
        // The router agrees but one layer stacks 7 experts.
        url = try editedGGUF(source, name: "seven.gguf", replacingTensors: ["blk.1.ffn_up_exps.weight": Tensor.zeros([7, 32, 64])])
        XCTAssertEqual(loadingError(url), .shapeMismatch(name: "blk.1.ffn_up_exps.weight", expected: [8, 32, 64], found: [7, 32, 64]))
        // Down is [E, hidden, intermediate]; a gate-shaped one is refused.
        url = try editedGGUF(source, name: "transposed.gguf", replacingTensors: ["blk.0.ffn_down_exps.weight": Tensor.zeros([8, 32, 64])])
        XCTAssertEqual(loadingError(url), .shapeMismatch(name: "blk.0.ffn_down_exps.weight", expected: [8, 64, 32], found: [8, 32, 64]))
        // 2-D where a stack belongs.
        url = try editedGGUF(source, name: "flat.gguf", replacingTensors: ["blk.0.ffn_gate_exps.weight": Tensor.zeros([256, 64])])
        XCTAssertEqual(loadingError(url), .shapeMismatch(name: "blk.0.ffn_gate_exps.weight", expected: [8, 32, 64], found: [256, 64]))
        url = try editedGGUF(source, name: "missing.gguf", removingTensors: ["blk.1.ffn_gate_exps.weight"])
        XCTAssertEqual(loadingError(url), .missingTensor(name: "blk.1.ffn_gate_exps.weight"))
        // Dense feed-forward tensors in an MoE file are not part of the model.
        url = try editedGGUF(source, name: "dense-too.gguf", addingTensors: [("blk.0.ffn_up.weight", Tensor.zeros([32, 64]))])
        XCTAssertEqual(loadingError(url), .unexpectedTensor(name: "blk.0.ffn_up.weight", file: "dense-too.gguf"))
    }

    /// A dense file that claims experts lacks the stacks: the first one is named.
    func testDenseFileClaimingExperts() throws {
        let url = try editedGGUF(ggufFixtureURL("minicpm-f32.gguf"),
                                 setting: [("minicpm.expert_count", .uint32(4)), ("minicpm.expert_used_count", .uint32(2))])
        XCTAssertEqual(loadingError(url), .missingTensor(name: "blk.0.ffn_gate_exps.weight"))
    }
}
