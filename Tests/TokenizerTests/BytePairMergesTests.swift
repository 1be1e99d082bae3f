@testable import Tokenizer
import XCTest

/// The two merge loops (scanning for short words, a priority queue for long ones) agree, on
/// SmolLM2's 48900 rules and on rules built to tie and overlap.
final class BytePairMergesTests: XCTestCase {
    static let smolLM2Merges: (table: BytePairMerges, byteIDs: [Int32]) = {
        let vocabulary = SmolLM2Vocabulary.shared
        var ids: [String: Int32] = [:]
        for (id, token) in vocabulary.tokens.enumerated() { ids[token] = Int32(id) }
        var table = BytePairMerges(capacity: vocabulary.merges.count)
        for (rank, merge) in vocabulary.merges.enumerated() {
            let parts = merge.split(separator: " ").map(String.init)
            _ = table.insert(ids[parts[0]]!, ids[parts[1]]!, merged: ids[parts[0] + parts[1]]!, rank: Int32(rank))
        }
        let byteIDs = (0..<256).map { ids[String(ByteLevelAlphabet.characters[$0])] ?? -1 }
        return (table, byteIDs)
    }()

    func testScanningEqualsTheQueueOnRealRules() {
        let (table, byteIDs) = Self.smolLM2Merges
        let words = BPEGolden.shared.cases.flatMap { PreTokenizer.smollm.split($0.text) }
        var rng = SplitMix64(seed: 5)
        var scratch = MergeScratch()
        var compared = 0
        for trial in 0..<3000 {
            // Real words, and random concatenations of them (longer than any real word).
            var bytes = Array(words.randomElement(using: &rng)!.utf8)
            if trial % 3 == 0 {
                for _ in 0..<Int.random(in: 1...6, using: &rng) { bytes += Array(words.randomElement(using: &rng)!.utf8) }
            }
            let symbols = bytes.map { byteIDs[Int($0)] }.filter { $0 >= 0 }
            guard symbols.count > 1 else { continue }
            var scanned = symbols, queued = symbols
            table.applyByScanning(to: &scanned, scratch: &scratch)
            table.applyWithQueue(to: &queued, scratch: &scratch)
            XCTAssertEqual(scanned, queued, String(decoding: bytes, as: UTF8.self))
            compared += 1
        }
        XCTAssertGreaterThan(compared, 2000)
    }

    /// `a a a a a` with the single rule `a a`: leftmost first, so `aa aa a`; with a better rule for
    /// `aa a`, that one wins as soon as it exists.
    func testTiesAndOverlaps() {
        var scratch = MergeScratch()
        var table = BytePairMerges(capacity: 4)
        XCTAssertNil(table.insert(0, 0, merged: 1, rank: 0))          // a a -> aa
        XCTAssertEqual(table.insert(0, 0, merged: 9, rank: 7), 0)     // repeated: rejected, rank 0 reported
        for apply in [table.applyByScanning, table.applyWithQueue] {
            var symbols: [Int32] = [0, 0, 0, 0, 0]
            apply(&symbols, &scratch)
            XCTAssertEqual(symbols, [1, 1, 0])
        }
        var better = BytePairMerges(capacity: 4)
        _ = better.insert(1, 0, merged: 2, rank: 0)                   // aa a -> aaa (best)
        _ = better.insert(0, 0, merged: 1, rank: 1)                   // a a -> aa
        _ = better.insert(1, 1, merged: 3, rank: 2)                   // aa aa -> aaaa
        for apply in [better.applyByScanning, better.applyWithQueue] {
            var symbols: [Int32] = [0, 0, 0, 0, 0]
            apply(&symbols, &scratch)
            // a a a a a -> aa a a a -> aaa a a -> aaa aa (no rule for aaa aa)
            XCTAssertEqual(symbols, [2, 1])
        }
    }
}
