import Foundation
import Tokenizer
import XCTest

/// One tokenizer shared by many tasks gives the same ids as encoding one text at a time.
final class ConcurrencyTests: XCTestCase {
    func testManyTasksEncodeAndDecodeConcurrently() async throws {
        let texts = Golden.shared.cases.map(\.text)
        let expected = try texts.map { try mistral.encode($0) }
        let tokenizer = mistral
        let results = try await withThrowingTaskGroup(of: (Int, [Int], String).self) { group in
            for task in 0..<64 {
                group.addTask {
                    let index = task % texts.count
                    var ids: [Int] = []
                    for _ in 0..<5 { ids = try tokenizer.encode(texts[index]) }
                    return (index, ids, try tokenizer.decode(ids))
                }
            }
            var results: [(Int, [Int], String)] = []
            for try await result in group { results.append(result) }
            return results
        }
        XCTAssertEqual(results.count, 64)
        for (index, ids, text) in results {
            XCTAssertEqual(ids, expected[index], Golden.shared.cases[index].name)
            XCTAssertEqual(text, Golden.shared.cases[index].decoded)
        }
    }

    func testConcurrentPerformOverThreads() throws {
        let texts = Golden.shared.cases.map(\.text)
        let expected = try texts.map { try mistral.encode($0) }
        let lock = NSLock()
        nonisolated(unsafe) var mismatches = 0
        DispatchQueue.concurrentPerform(iterations: 200) { i in
            let ids = try? mistral.encode(texts[i % texts.count])
            if ids != expected[i % texts.count] {
                lock.lock(); mismatches += 1; lock.unlock()
            }
        }
        XCTAssertEqual(mismatches, 0)
    }

    /// The byte-level tokenizer shares a word cache between calls: many tasks at once still get
    /// the serial results.
    func testByteLevelTokenizerFromManyTasks() async throws {
        let cases = BPEGolden.shared.cases
        let tokenizer = smolLM2
        let results = try await withThrowingTaskGroup(of: (Int, [Int], String).self) { group in
            for task in 0..<64 {
                group.addTask {
                    let index = task % cases.count
                    var ids: [Int] = []
                    for _ in 0..<3 { ids = try tokenizer.encode(cases[index].text) }
                    return (index, ids, try tokenizer.decode(ids))
                }
            }
            var results: [(Int, [Int], String)] = []
            for try await result in group { results.append(result) }
            return results
        }
        XCTAssertEqual(results.count, 64)
        for (index, ids, text) in results {
            XCTAssertEqual(ids, cases[index].ids, cases[index].name)
            XCTAssertEqual(text, cases[index].decoded, cases[index].name)
        }
    }
}
