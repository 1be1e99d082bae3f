import Foundation
import Training
import XCTest

final class DocumentSplitTests: XCTestCase {
    /// Ten documents of 1...10 ids, each followed by EOS: document d has d + 1 tokens.
    private func tenDocuments() throws -> TokenFile {
        try makeTokenFile((1...10).map { Array(repeating: 5, count: $0) }, vocabularySize: 10, endOfDocumentID: 0,
                          in: try temporaryFolder(self))
    }

    func testTheLastDocumentsAreHeldOutAndThePartsAreDisjoint() throws {
        let file = try tenDocuments()
        XCTAssertEqual(file.tokenCount, 65)          // 2 + 3 + ... + 11
        let split = try DocumentSplit(file: file, heldOutFraction: 0.2)
        XCTAssertEqual(split.trainingDocuments, 0..<8)
        XCTAssertEqual(split.heldOutDocuments, 8..<10)
        XCTAssertEqual(split.training.range, 0..<44, "documents 0...7 hold 2 + 3 + ... + 9 = 44 tokens")
        XCTAssertEqual(split.heldOut.range, 44..<65)
        XCTAssertEqual(split.training.range.upperBound, split.heldOut.range.lowerBound, "adjacent, not overlapping")
        XCTAssertEqual(file.documentTokens(at: 8).lowerBound, 44, "the boundary is a document's start")
    }

    func testTheFractionRoundsUpAndBothPartsKeepADocument() throws {
        let file = try tenDocuments()
        XCTAssertEqual(try DocumentSplit(file: file, heldOutFraction: 0.01).heldOutDocuments, 9..<10)
        XCTAssertEqual(try DocumentSplit(file: file, heldOutFraction: 0.11).heldOutDocuments, 8..<10)
        XCTAssertEqual(try DocumentSplit(file: file, heldOutFraction: 0.99).trainingDocuments, 0..<1)
        XCTAssertEqual(try DocumentSplit(file: file, heldOutFraction: 0.3).heldOut.range,
                       try DocumentSplit(file: file, heldOutFraction: 0.3).heldOut.range, "deterministic")
    }

    func testInvalidSplitsAreRefused() throws {
        let file = try tenDocuments()
        for fraction in [0, 1, -0.5, .nan] {
            XCTAssertThrowsError(try DocumentSplit(file: file, heldOutFraction: fraction), "\(fraction)")
        }
        let single = try makeTokenFile([[1, 2, 3]], vocabularySize: 10, in: try temporaryFolder(self))
        XCTAssertThrowsError(try DocumentSplit(file: single, heldOutFraction: 0.5)) {
            guard case .insufficientData = $0 as? TrainingError else { return XCTFail("\($0)") }
        }
    }
}
