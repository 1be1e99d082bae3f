import Foundation
import XCTest

extension SnippetTestCase {
    /// Makes a fresh temporary directory the current one for the rest of the test (the snippets'
    /// relative output paths land there; `tearDown` goes back, and the directory is removed), with
    /// copies of package files under the names a snippet expects: `["tokenizer.model":
    /// "Tests/TokenizerTests/Fixtures/tokenizer.model.v1"]`.
    @discardableResult
    func enterTemporaryDirectory(copying files: [String: String] = [:]) throws -> URL {
        let fileManager = FileManager.default
        let directory = fileManager.temporaryDirectory.appendingPathComponent("snippet-\(UUID().uuidString)")
        try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        for (name, source) in files {
            try fileManager.copyItem(at: repositoryRoot.appendingPathComponent(source), to: directory.appendingPathComponent(name))
        }
        XCTAssertTrue(fileManager.changeCurrentDirectoryPath(directory.path))
        return directory
    }

    /// Runs `body` with the process's standard output going to a file, and returns what it wrote.
    func capturingStandardOutput<T>(_ body: () throws -> T) throws -> (value: T, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("stdout-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        fflush(nil)
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
        let saved = dup(STDOUT_FILENO)
        dup2(descriptor, STDOUT_FILENO)
        close(descriptor)
        let value: T
        do {
            defer {
                fflush(nil)
                dup2(saved, STDOUT_FILENO)
                close(saved)
            }
            value = try body()
        }
        return (value, try String(contentsOf: file, encoding: .utf8))
    }

    /// The lines of the fenced block of a documentation page whose first line starts with `prefix`.
    func documentationBlock(_ page: String, startingWith prefix: String,
                            file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let lines = try String(contentsOf: repositoryRoot.appendingPathComponent(page), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (index, fence) in lines.enumerated() where fence.hasPrefix("```") && index + 1 < lines.count {
            guard lines[index + 1].hasPrefix(prefix) else { continue }
            let rest = lines[(index + 1)...]
            return Array(rest.prefix { !$0.hasPrefix("```") })
        }
        XCTFail("\(page) has no block starting with \(prefix)", file: file, line: line)
        return []
    }

    /// The data rows of the Markdown table of `page` whose header row starts with `header`, as cells.
    func documentationTable(_ page: String, headerStartingWith header: String,
                            file: StaticString = #filePath, line: UInt = #line) throws -> [[String]] {
        let lines = try String(contentsOf: repositoryRoot.appendingPathComponent(page), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(where: { $0.hasPrefix(header) }) else {
            XCTFail("\(page) has no table headed \(header)", file: file, line: line)
            return []
        }
        return lines[(start + 2)...].prefix { $0.hasPrefix("|") }.map { row in
            row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }
}

/// Asserts that `value` rounds to `printed`, a number as a documentation page prints it (`0.0075786`,
/// `2.27e8`, `322`): within half a unit of its last digit.
func assertPrinted(_ value: Double, _ printed: String, _ message: String = "",
                   file: StaticString = #filePath, line: UInt = #line) {
    guard let expected = Double(printed) else {
        XCTFail("\(printed) is not a number \(message)", file: file, line: line)
        return
    }
    let lowercased = printed.lowercased()
    let mantissa = lowercased.split(separator: "e").first.map(String.init) ?? lowercased
    let exponent = lowercased.contains("e") ? Int(lowercased.split(separator: "e")[1])! : 0
    let decimals = mantissa.split(separator: ".").dropFirst().first?.count ?? 0
    let tolerance = 0.5 * pow(10, Double(exponent - decimals)) * (1 + 1e-9)
    XCTAssertLessThanOrEqual(abs(value - expected), tolerance, "\(value) does not print as \(printed) \(message)",
                             file: file, line: line)
}

/// The numbers in a line of text, in order (`745.9·C^(−0.1328)` gives 745.9 and 0.1328).
func printedNumbers(in text: String) -> [String] {
    let regex = try! NSRegularExpression(pattern: "[0-9]+(\\.[0-9]+)?(e[-+]?[0-9]+)?")
    return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map {
        String(text[Range($0.range, in: text)!])
    }
}
