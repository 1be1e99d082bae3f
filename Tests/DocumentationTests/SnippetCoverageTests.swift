import Foundation
import XCTest

/// Every Swift snippet of README.md, Docs/*.md and the DocC catalogues is compiled by this target:
/// its lines stand, in order, in one of the `Snippets/*.swift` files (which the snippet tests also
/// run), or in the library's own sources for an excerpt of a declaration. A snippet that drifts from
/// the code no longer matches, and this test names it.
///
/// Lines are compared trimmed, without blank and comment-only lines; a snippet's `import` lines must
/// be among the covering file's imports. Manifest fragments (`.product(...)`) must name a product and
/// package that `Package.swift` declares.
final class SnippetCoverageTests: XCTestCase {
    func testEverySnippetIsCompiledByATest() throws {
        let root = repositoryRoot
        let snippets = try Self.markdownFiles(root).flatMap { try Self.swiftSnippets(in: $0, root: root) }
        XCTAssertGreaterThan(snippets.count, 20, "the documentation has its snippets")
        let snippetSources = try Self.swiftFiles(under: root.appendingPathComponent("Tests/DocumentationTests/Snippets"))
        let librarySources = try Self.swiftFiles(under: root.appendingPathComponent("Sources"))
        XCTAssertFalse(snippetSources.isEmpty)
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)

        for snippet in snippets {
            if snippet.isManifestFragment {
                for product in snippet.productNames {
                    XCTAssertTrue(manifest.contains(".library(name: \"\(product)\""),
                                  "\(snippet.location): Package.swift has no library product \(product)")
                }
                XCTAssertTrue(manifest.contains("name: \"minicpm-swift\""), "\(snippet.location): package name")
                continue
            }
            let covering = snippetSources.first { $0.contains(snippet) } ?? librarySources.first { $0.contains(snippet) && snippet.imports.isEmpty }
            XCTAssertNotNil(covering, "\(snippet.location): this snippet is in no file of Tests/DocumentationTests/Snippets:\n\(snippet.text)")
        }
    }

    // MARK: Reading the files

    struct Snippet {
        let location: String
        let text: String
        let imports: Set<String>
        let body: [String]

        var isManifestFragment: Bool { !body.isEmpty && body.allSatisfy { $0.hasPrefix(".product(") || $0.hasPrefix(".package(") } }
        var productNames: [String] {
            body.compactMap { line in
                guard line.hasPrefix(".product(name: \""), let end = line.dropFirst(16).firstIndex(of: "\"") else { return nil }
                return String(line.dropFirst(16)[..<end])
            }
        }
    }

    struct SourceFile {
        let path: String
        let imports: Set<String>
        let lines: [String]

        /// Whether the snippet's body lines stand here contiguously and its imports are among ours.
        func contains(_ snippet: Snippet) -> Bool {
            guard snippet.imports.isSubset(of: imports), !snippet.body.isEmpty, snippet.body.count <= lines.count else { return false }
            let first = snippet.body[0]
            for start in lines.indices where lines[start] == first && start + snippet.body.count <= lines.count {
                if Array(lines[start..<(start + snippet.body.count)]) == snippet.body { return true }
            }
            return false
        }
    }

    /// Trimmed lines without blank and comment-only ones, and the `import` lines apart.
    static func normalized(_ text: String) -> (imports: Set<String>, body: [String]) {
        var imports: Set<String> = []
        var body: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("//") { continue }
            if line.hasPrefix("import ") { imports.insert(line); continue }
            body.append(line)
        }
        return (imports, body)
    }

    static func markdownFiles(_ root: URL) throws -> [URL] {
        let fm = FileManager.default
        var files = [root.appendingPathComponent("README.md")]
        let docs = root.appendingPathComponent("Docs")
        files += try fm.contentsOfDirectory(at: docs, includingPropertiesForKeys: nil).filter { $0.pathExtension == "md" }
        let sources = root.appendingPathComponent("Sources")
        for target in try fm.contentsOfDirectory(at: sources, includingPropertiesForKeys: nil) {
            for entry in (try? fm.contentsOfDirectory(at: target, includingPropertiesForKeys: nil)) ?? [] where entry.pathExtension == "docc" {
                files += try fm.contentsOfDirectory(at: entry, includingPropertiesForKeys: nil).filter { $0.pathExtension == "md" }
            }
        }
        return files.sorted { $0.path < $1.path }
    }

    static func swiftSnippets(in url: URL, root: URL) throws -> [Snippet] {
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let relative = String(url.path.dropFirst(root.path.count + 1))
        var snippets: [Snippet] = []
        var current: (start: Int, lines: [Substring])?
        for (i, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if var open = current {
                if trimmed == "```" {
                    let text = open.lines.joined(separator: "\n")
                    let (imports, body) = normalized(text)
                    snippets.append(Snippet(location: "\(relative):\(open.start + 1)", text: text, imports: imports, body: body))
                    current = nil
                } else {
                    open.lines.append(line)
                    current = open
                }
            } else if trimmed == "```swift" {
                current = (i, [])
            }
        }
        return snippets
    }

    static func swiftFiles(under directory: URL) throws -> [SourceFile] {
        guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { return [] }
        var files: [SourceFile] = []
        for case let url as URL in enumerator where url.pathExtension == "swift" {
            let (imports, body) = normalized(try String(contentsOf: url, encoding: .utf8))
            files.append(SourceFile(path: url.path, imports: imports, lines: body))
        }
        return files
    }
}

/// The package root (this file is `Tests/DocumentationTests/SnippetCoverageTests.swift`).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
