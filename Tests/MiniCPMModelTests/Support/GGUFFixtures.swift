import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// A file under `Fixtures/gguf` (made by `make_gguf_fixtures.py` there).
func ggufFixtureURL(_ name: String) -> URL {
    fixtureURL("gguf").appendingPathComponent(name)
}

/// A test case with a temporary directory, removed by `tearDown`.
class TemporaryDirectoryTestCase: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(type(of: self))-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Copies the GGUF file `source` into the temporary directory with its metadata and tensors
    /// edited: keys removed or set (in place, or appended), tensors removed, replaced (F32) or added.
    /// Untouched tensors keep their stored type and bytes.
    func editedGGUF(_ source: URL, name: String = "edited.gguf", removingKeys: Set<String> = [],
                    setting values: [(String, GGUFValue)] = [], removingTensors: Set<String> = [],
                    replacingTensors replacements: [String: Tensor] = [:],
                    addingTensors additions: [(String, Tensor)] = [],
                    rawTensors: [(name: String, shape: [Int], type: GGUFTensorType, blocks: [UInt8])] = []) throws -> URL {
        let file = try GGUFFile(contentsOf: source)
        var writer = GGUFWriter()
        for key in file.metadataKeys where !removingKeys.contains(key) {
            try writer.setValue(file.metadata[key]!, forKey: key)
        }
        for (key, value) in values { try writer.setValue(value, forKey: key) }
        for info in file.tensorInfos where !removingTensors.contains(info.name) {
            if let replacement = replacements[info.name] {
                try writer.addTensor(replacement, named: info.name)
            } else if let raw = rawTensors.first(where: { $0.name == info.name }) {
                try writer.addTensor(named: raw.name, shape: raw.shape, type: raw.type, blocks: raw.blocks)
            } else {
                try writer.addTensor(named: info.name, shape: info.shape, type: info.type,
                                     blocks: try file.rawBytes(ofTensorNamed: info.name))
            }
        }
        for (name, tensor) in additions { try writer.addTensor(tensor, named: name) }
        let url = directory.appendingPathComponent(name)
        try writer.write(to: url)
        return url
    }

    /// The `CheckpointError` that `body` throws (fails the test when it throws nothing or another error).
    func checkpointError<T>(_ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> CheckpointError? {
        do {
            _ = try body()
            XCTFail("no error was thrown", file: file, line: line)
        } catch let error as CheckpointError {
            XCTAssertFalse(error.description.isEmpty, file: file, line: line)
            return error
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        return nil
    }
}
