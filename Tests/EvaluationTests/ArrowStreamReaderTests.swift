@testable import Evaluation
import Foundation
import XCTest

/// The Arrow stream fixtures hold the same first rows as the JSON Lines fixtures (Fixtures/README.md),
/// written by pyarrow in batches of 3 rows.
final class ArrowStreamReaderTests: XCTestCase {
    func testSchemaAndRowsOfARCWithAStructOfLists() throws {
        let (fields, rows) = try ArrowStreamReader.read(path: EvaluationFixtures.path("arc_challenge_validation.arrow"))
        XCTAssertEqual(fields.map(\.name), ["id", "question", "choices", "answerKey"])
        XCTAssertEqual(fields[2].type, .structure)
        XCTAssertEqual(fields[2].children.map(\.name), ["text", "label"])
        XCTAssertEqual(rows.count, 5)
        guard case let .structure(names, values) = rows[0] else { return XCTFail("row is not a struct") }
        XCTAssertEqual(names, ["id", "question", "choices", "answerKey"])
        XCTAssertEqual(values[0], .string("Mercury_SC_407695"))
        XCTAssertEqual(values[3], .string("D"))
        XCTAssertEqual(values[2], .structure(names: ["text", "label"], values: [
            .list([.string("Put the objects in groups."), .string("Change the height of the ramp."),
                   .string("Choose different objects to roll."), .string("Record the details of the investigation.")]),
            .list([.string("A"), .string("B"), .string("C"), .string("D")]),
        ]))
    }

    func testArrowAndJSONLinesGiveTheSameItems() throws {
        let arcArrow = try DatasetLoader.arc(path: EvaluationFixtures.path("arc_challenge_validation.arrow"))
        let arcJSON = try DatasetLoader.arc(path: EvaluationFixtures.path("arc_challenge_validation.jsonl"))
        XCTAssertEqual(Array(arcArrow.prefix(4)), Array(arcJSON.prefix(4)))

        // HellaSwag: int32 `ind`, strings and a list of strings.
        let hellaswagArrow = try DatasetLoader.hellaswag(path: EvaluationFixtures.path("hellaswag_validation.arrow"))
        let hellaswagJSON = try DatasetLoader.hellaswag(path: EvaluationFixtures.path("hellaswag_validation.jsonl.gz"))
        XCTAssertEqual(hellaswagArrow.count, 5)
        XCTAssertEqual(Array(hellaswagArrow.prefix(3)), Array(hellaswagJSON.prefix(3)))
    }

    func testTruncatedStreamIsAnErrorNamingTheFile() throws {
        let whole = try EvaluationFixtures.bytes("arc_challenge_validation.arrow")
        let path = try EvaluationFixtures.temporaryFile("cut.arrow", whole.prefix(whole.count - 700))
        let reason = EvaluationFixtures.invalidFileReason(path: path) { try ArrowStreamReader.read(path: path) }
        XCTAssertTrue(reason?.hasPrefix("arrow: ") ?? false, reason ?? "")
    }

    /// Every truncation and many single-byte corruptions either read or throw: none may trap.
    func testDamagedStreamsNeverCrash() throws {
        let whole = [UInt8](try EvaluationFixtures.bytes("hellaswag_validation.arrow"))
        var errors = 0
        for cut in stride(from: 0, to: whole.count, by: 7) {
            do { _ = try ArrowStreamReader.read(bytes: Array(whole.prefix(cut)), path: "cut") } catch { errors += 1 }
        }
        var state: UInt64 = 0x9e3779b97f4a7c15
        for _ in 0..<3000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            var damaged = whole
            let position = Int((state >> 33) % UInt64(whole.count))
            damaged[position] ^= UInt8(truncatingIfNeeded: state >> 13) | 1
            do { _ = try ArrowStreamReader.read(bytes: damaged, path: "damaged") } catch is EvaluationError { errors += 1 }
        }
        XCTAssertGreaterThan(errors, 0)
    }
}
