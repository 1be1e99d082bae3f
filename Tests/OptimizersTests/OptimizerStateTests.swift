import MiniCPMModel
import Optimizers
import TensorCore
import XCTest

/// Saving and loading optimizer state: exact resumption, and typed errors for every bad file.
final class OptimizerStateTests: XCTestCase {
    let batches: [(inputs: [[Int]], targets: [[Int]])] = (0..<6).map { k in
        let tokens = (0..<9).map { (5 * $0 + 3 * k) % 23 }
        return ([Array(tokens.dropLast())], [Array(tokens.dropFirst())])
    }

    func makeAdamW(_ model: MiniCPM) -> AdamW {
        AdamW(groups: .miniCPM(model, widthMultiplier: Double(model.configuration.widthMultiplier), weightDecay: 0.1),
              schedule: ListedSchedule(rates: [0.004, 0.008, 0.01, 0.01, 0.006, 0.003]),
              beta1: 0.9, beta2: 0.95, maxGradientNorm: 0.5)
    }

    func train(_ model: inout MiniCPM, _ optimizer: inout some Optimizer, steps: Range<Int>) throws {
        for step in steps {
            try model.loss(inputs: batches[step].inputs, targets: batches[step].targets).backward()
            try optimizer.step(&model)
        }
    }

    /// 6 steps straight, versus 3 steps, save, load into a fresh optimizer, 3 more steps: the same
    /// parameters bit for bit.
    func testAdamWResumesBitForBit() throws {
        let directory = try temporaryDirectory(self)
        var straight = try trainableTinyModel(tied: false)
        var optimizer = makeAdamW(straight)
        try train(&straight, &optimizer, steps: 0..<6)

        var resumed = try trainableTinyModel(tied: false)
        var first = makeAdamW(resumed)
        try train(&resumed, &first, steps: 0..<3)
        try first.save(to: directory)
        // A fresh optimizer made with other hyper-parameters takes the saved ones.
        var second = AdamW(groups: .miniCPM(resumed, widthMultiplier: 4, weightDecay: 0.7),
                           schedule: ListedSchedule(rates: [0.004, 0.008, 0.01, 0.01, 0.006, 0.003]), beta2: 0.5)
        try second.load(from: directory, matching: resumed)
        XCTAssertEqual(second.stepCount, 3)
        XCTAssertEqual(second.beta2, 0.95)
        XCTAssertEqual(second.maxGradientNorm, 0.5)
        XCTAssertEqual(second.groups, first.groups)
        try train(&resumed, &second, steps: 3..<6)

        assertBitIdentical(straight, resumed)
    }

    func testSGDResumesBitForBit() throws {
        let directory = try temporaryDirectory(self)
        func make(_ model: MiniCPM) -> SGD {
            SGD(groups: .miniCPM(model, widthMultiplier: 4, weightDecay: 0.01), learningRate: 0.3,
                momentum: 0.9, nesterov: true, maxGradientNorm: 1)
        }
        var straight = try trainableTinyModel(tied: true)
        var optimizer = make(straight)
        try train(&straight, &optimizer, steps: 0..<6)

        var resumed = try trainableTinyModel(tied: true)
        var first = make(resumed)
        try train(&resumed, &first, steps: 0..<3)
        try first.save(to: directory)
        var second = SGD(groups: .miniCPM(resumed, widthMultiplier: 4, weightDecay: 0.01), learningRate: 0.3)
        try second.load(from: directory)
        XCTAssertEqual(second.momentum, 0.9)
        XCTAssertTrue(second.nesterov)
        try train(&resumed, &second, steps: 3..<6)

        assertBitIdentical(straight, resumed)
    }

    func assertBitIdentical(_ a: MiniCPM, _ b: MiniCPM, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(a.namedParameters.isEmpty, file: file, line: line)
        XCTAssertEqual(a.namedParameters.map(\.name), b.namedParameters.map(\.name), file: file, line: line)
        for ((name, x), (_, y)) in zip(a.namedParameters, b.namedParameters) {
            XCTAssertEqual(x.scalars.map(\.bitPattern), y.scalars.map(\.bitPattern), name, file: file, line: line)
        }
    }

    func testFilesHoldTheDocumentedLayout() throws {
        let directory = try temporaryDirectory(self)
        var parameters = referenceParameters()
        var optimizer = AdamW(groups: try referenceGroups(matrixDecay: 0.1), learningRate: 0.01)
        backpropagateReferenceGradients(parameters, step: ReferenceValues.skipStep)     // b gets no gradient
        try optimizer.step(&parameters)
        try optimizer.save(to: directory)

        let tensors = try SafetensorsFile(contentsOf: directory.appendingPathComponent(OptimizerStateFiles.tensorsFileName))
        XCTAssertEqual(tensors.tensorNames.sorted(), ["exp_avg/w", "exp_avg_sq/w"])
        XCTAssertEqual(tensors.metadata["step"], "1")
        XCTAssertEqual(tensors.metadata["algorithm"], "AdamW")
        XCTAssertEqual(try tensors.info(for: "exp_avg/w").shape, [2, 3])
        XCTAssertEqual(try tensors.info(for: "exp_avg/w").dtype, .f32)

        let json = try JSONSerialization.jsonObject(
            with: Data(contentsOf: directory.appendingPathComponent(OptimizerStateFiles.jsonFileName))) as! [String: Any]
        XCTAssertEqual(json["algorithm"] as? String, "AdamW")
        XCTAssertEqual(json["step"] as? Int, 1)
        XCTAssertEqual(json["version"] as? Int, 1)
        XCTAssertEqual((json["groups"] as? [[String: Any]])?.map { $0["name"] as? String }, ["matrices", "vectors"])
        let records = json["parameters"] as? [[String: Any]]
        XCTAssertEqual(records?.count, 1)
        XCTAssertEqual(records?.first?["name"] as? String, "w")
        XCTAssertEqual(records?.first?["updates"] as? Int, 1)
        let hyper = json["hyperparameters"] as? [String: Double]
        XCTAssertEqual(hyper, ["beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8])
    }

    // MARK: Errors

    /// A saved AdamW state (2 steps on the reference parameters) in a fresh directory.
    func savedState() throws -> (directory: URL, optimizer: AdamW) {
        let directory = try temporaryDirectory(self)
        var parameters = referenceParameters()
        var optimizer = AdamW(groups: try referenceGroups(matrixDecay: 0.1), learningRate: 0.01)
        for step in 0..<2 {
            backpropagateReferenceGradients(parameters, step: step)
            try optimizer.step(&parameters)
        }
        try optimizer.save(to: directory)
        return (directory, optimizer)
    }

    func freshOptimizer() throws -> AdamW {
        AdamW(groups: try referenceGroups(matrixDecay: 0.1), learningRate: 0.01)
    }

    func assertLoadFails(from directory: URL, into optimizer: AdamW? = nil,
                         _ check: (OptimizerError) -> Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        var target = try optimizer ?? freshOptimizer()
        let before = target.stepCount
        XCTAssertThrowsError(try target.load(from: directory), file: file, line: line) { error in
            XCTAssertTrue(check(error as! OptimizerError), "unexpected error: \(error)", file: file, line: line)
        }
        XCTAssertEqual(target.stepCount, before, "a failed load changes nothing", file: file, line: line)
    }

    func testMissingFilesAreTypedErrors() throws {
        let empty = try temporaryDirectory(self)
        try assertLoadFails(from: empty) { if case .cannotReadState = $0 { true } else { false } }
        let (directory, _) = try savedState()
        try FileManager.default.removeItem(at: directory.appendingPathComponent(OptimizerStateFiles.tensorsFileName))
        try assertLoadFails(from: directory) {
            if case .safetensors(.cannotOpenFile) = $0 { true } else { false }
        }
    }

    func testMalformedJSONIsATypedError() throws {
        let (directory, _) = try savedState()
        let url = directory.appendingPathComponent(OptimizerStateFiles.jsonFileName)
        try Data("{\"format\": 3".utf8).write(to: url)
        try assertLoadFails(from: directory) { if case .malformedState = $0 { true } else { false } }

        var json = try String(contentsOf: url, encoding: .utf8)
        json = """
        {"format": "\(OptimizerStateFiles.formatName)", "version": 1, "algorithm": "AdamW", "step": 2}
        """
        try Data(json.utf8).write(to: url)
        try assertLoadFails(from: directory) {
            if case let .malformedState(_, reason) = $0 { reason.contains("missing field") } else { false }
        }
    }

    func testVersionAndAlgorithmAreChecked() throws {
        let (directory, _) = try savedState()
        let url = directory.appendingPathComponent(OptimizerStateFiles.jsonFileName)
        let original = try String(contentsOf: url, encoding: .utf8)
        try Data(original.replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : 99").utf8).write(to: url)
        try assertLoadFails(from: directory) {
            if case .unsupportedStateVersion(_, 99, 1) = $0 { true } else { false }
        }
        try Data(original.utf8).write(to: url)
        var sgd = SGD(groups: try referenceGroups(matrixDecay: 0.1), learningRate: 0.1)
        XCTAssertThrowsError(try sgd.load(from: directory)) { error in
            XCTAssertEqual(error as? OptimizerError, .algorithmMismatch(path: url.path, expected: "SGD", found: "AdamW"))
        }
    }

    func testGroupLayoutIsChecked() throws {
        let (directory, _) = try savedState()
        let other = AdamW(groups: .single(referenceParameters()), learningRate: 0.01)
        try assertLoadFails(from: directory, into: other) {
            if case .groupLayoutMismatch = $0 { true } else { false }
        }
        let renamed = AdamW(groups: try ParameterGroups([
            ParameterGroup(name: "matrices", parameterNames: ["w2"]),
            ParameterGroup(name: "vectors", parameterNames: ["b"]),
        ]), learningRate: 0.01)
        try assertLoadFails(from: directory, into: renamed) {
            if case let .groupLayoutMismatch(_, reason) = $0 { reason.contains("'w2'") } else { false }
        }
    }

    /// Rewrites the tensor file with `tensors` and the metadata of a save at `step`.
    func replaceTensors(in directory: URL, step: Int = 2, _ tensors: [String: Tensor], as dtype: SafetensorsDType = .f32) throws {
        try SafetensorsWriter.write(tensors, as: dtype, metadata: ["algorithm": "AdamW", "step": "\(step)"],
                                    to: directory.appendingPathComponent(OptimizerStateFiles.tensorsFileName))
    }

    func validTensors() -> [String: Tensor] {
        ["exp_avg/w": .zeros([2, 3]), "exp_avg_sq/w": .zeros([2, 3]),
         "exp_avg/b": .zeros([3]), "exp_avg_sq/b": .zeros([3])]
    }

    func testTensorFileIsValidatedAgainstTheJSON() throws {
        let (directory, _) = try savedState()
        try replaceTensors(in: directory, validTensors())
        var optimizer = try freshOptimizer()
        XCTAssertNoThrow(try optimizer.load(from: directory), "the valid replacement loads")

        var tensors = validTensors()
        tensors["exp_avg_sq/b"] = nil
        try replaceTensors(in: directory, tensors)
        try assertLoadFails(from: directory) { if case .missingStateTensor(_, "exp_avg_sq/b") = $0 { true } else { false } }

        tensors = validTensors()
        tensors["exp_avg/w"] = .zeros([3, 2])
        try replaceTensors(in: directory, tensors)
        try assertLoadFails(from: directory) { if case .shapeMismatch(_, [2, 3], [3, 2]) = $0 { true } else { false } }

        tensors = validTensors()
        tensors["momentum_buffer/w"] = .zeros([2, 3])
        try replaceTensors(in: directory, tensors)
        try assertLoadFails(from: directory) { if case .unexpectedStateTensor(_, "momentum_buffer/w") = $0 { true } else { false } }

        try replaceTensors(in: directory, validTensors(), as: .bf16)
        try assertLoadFails(from: directory) { if case .stateTensorNotFloat32(_, _, "BF16") = $0 { true } else { false } }

        try replaceTensors(in: directory, step: 1, validTensors())
        try assertLoadFails(from: directory) { if case .inconsistentStateFiles(_, 2, "1") = $0 { true } else { false } }

        try Data([1, 2, 3]).write(to: directory.appendingPathComponent(OptimizerStateFiles.tensorsFileName))
        try assertLoadFails(from: directory) { if case .safetensors(.truncatedFile) = $0 { true } else { false } }
    }

    func testLoadingCanCheckShapesAgainstTheParameters() throws {
        let (directory, _) = try savedState()
        var optimizer = try freshOptimizer()
        var parameters = referenceParameters()
        XCTAssertNoThrow(try optimizer.load(from: directory, matching: parameters))
        parameters["w"] = .zeros([6])
        var other = try freshOptimizer()
        XCTAssertThrowsError(try other.load(from: directory, matching: parameters)) {
            XCTAssertEqual($0 as? OptimizerError, .shapeMismatch(parameter: "w", expected: [2, 3], actual: [6]))
        }
        XCTAssertEqual(other.stepCount, 0)
        parameters["w"] = nil
        XCTAssertThrowsError(try other.load(from: directory, matching: parameters)) {
            XCTAssertEqual($0 as? OptimizerError, .parameterNotFound(name: "w"))
        }
    }

    func testSavingReplacesTheFilesAtomically() throws {
        let (directory, optimizer) = try savedState()
        try optimizer.save(to: directory)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".partial") }
        XCTAssertEqual(leftovers, [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(),
                       [OptimizerStateFiles.jsonFileName, OptimizerStateFiles.tensorsFileName])
    }
}
