import Evaluation
import Foundation
import XCTest

/// The committed data fixtures (a few rows cut from the fetched files; see Fixtures/README.md) and a
/// scratch folder for the malformed files the tests write.
enum EvaluationFixtures {
    static func path(_ name: String) -> String {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name).path
    }

    static func bytes(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path(name)))
    }

    /// One scratch folder per test process, removed when the process exits, so runs leave nothing behind.
    private static let scratch: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("EvaluationTests-\(UUID().uuidString)")
        atexit { try? FileManager.default.removeItem(at: EvaluationFixtures.scratch) }
        return url
    }()

    /// Writes `data` to a fresh temporary file named `name` and returns its path.
    static func temporaryFile(_ name: String, _ data: Data) throws -> String {
        let folder = scratch.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }

    /// The `reason` of an `EvaluationError.invalidFile` thrown by `body`, after checking its path.
    static func invalidFileReason<T>(path: String, file: StaticString = #filePath, line: UInt = #line,
                                     _ body: () throws -> T) -> String? {
        do {
            _ = try body()
            XCTFail("no error thrown", file: file, line: line)
        } catch let error as EvaluationError {
            guard case let .invalidFile(errorPath, reason) = error else {
                XCTFail("expected invalidFile, got \(error)", file: file, line: line)
                return nil
            }
            XCTAssertEqual(errorPath, path, file: file, line: line)
            return reason
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        return nil
    }
}
