import Foundation
import XCTest

/// The llama.cpp peer of the opt-in tests (`MINICPM_LLAMA_CPP=1`): llama-cpp-python's interpreter,
/// `$MINICPM_DATA/llama-venv/bin/python` unless `MINICPM_LLAMA_CPP_PYTHON` names another, and the
/// directory the tests' files go to, `MINICPM_LLAMA_CPP_OUT` to keep them.
struct LlamaCppPeer {
    let python: URL
    let output: URL
    /// The repository, where `Benchmarks/llama_cpp/` holds the peer's scripts.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The peer, or a skip saying `why` the test wants it when `MINICPM_LLAMA_CPP` is not 1.
    /// - Parameters:
    ///   - data: `$MINICPM_DATA`, when the caller knows it from a file it found there.
    ///   - scratch: Where the files go without `MINICPM_LLAMA_CPP_OUT`.
    init(skippingUnlessEnabled why: String, data: URL? = nil, scratch: URL) throws {
        let environment = ProcessInfo.processInfo.environment
        guard environment["MINICPM_LLAMA_CPP"] == "1" else { throw XCTSkip("set MINICPM_LLAMA_CPP=1 to \(why)") }
        let data = data ?? environment["MINICPM_DATA"].map { URL(fileURLWithPath: $0) }
            ?? Self.repository.appendingPathComponent(".data")
        python = environment["MINICPM_LLAMA_CPP_PYTHON"].map { URL(fileURLWithPath: $0) }
            ?? data.appendingPathComponent("llama-venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else { throw XCTSkip("no Python at \(python.path)") }
        output = environment["MINICPM_LLAMA_CPP_OUT"].map { URL(fileURLWithPath: $0) } ?? scratch
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
    }

    /// `Benchmarks/llama_cpp/<name>`.
    static func script(_ name: String) -> URL { repository.appendingPathComponent("Benchmarks/llama_cpp/\(name)") }

    /// Runs the peer's Python with `arguments`; its standard output comes back, and its standard
    /// error (llama.cpp's loading log) goes to a file, so that neither pipe can fill and block, and
    /// is printed when the run fails.
    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = python
        process.arguments = arguments
        let log = output.appendingPathComponent("\(UUID().uuidString).log")
        try Data().write(to: log)
        let pipe = Pipe(), errors = try FileHandle(forWritingTo: log)
        process.standardOutput = pipe
        process.standardError = errors
        try process.run()
        let standardOutput = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try errors.close()
        if process.terminationStatus != 0 { print(String(decoding: try Data(contentsOf: log), as: UTF8.self)) }
        return (process.terminationStatus, standardOutput)
    }
}
