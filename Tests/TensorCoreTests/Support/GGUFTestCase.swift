import Foundation
import XCTest
import TensorCore

/// A temporary directory for GGUF test files, removed by `tearDown`.
class GGUFTestCase: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(type(of: self))-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Writes `bytes` to a new file in the test's directory and returns its URL.
    func write(_ bytes: [UInt8], name: String = UUID().uuidString + ".gguf") throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// Writes `writer`'s file (through ``GGUFWriter/write(to:)``) and opens it.
    func open(_ writer: GGUFWriter) throws -> GGUFFile {
        let url = directory.appendingPathComponent(UUID().uuidString + ".gguf")
        try writer.write(to: url)
        return try GGUFFile(contentsOf: url)
    }

    func open(_ bytes: [UInt8]) throws -> GGUFFile {
        try GGUFFile(contentsOf: write(bytes))
    }
}

extension GGUFWriter {
    /// Adds an F32 tensor with the given row-major shape and elements.
    mutating func addTensor(_ name: String, shape: [Int], floats: [Float]) throws {
        try addTensor(Tensor(shape: shape, scalars: floats), named: name)
    }
}
