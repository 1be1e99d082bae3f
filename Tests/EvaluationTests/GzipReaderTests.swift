@testable import Evaluation
import Foundation
import XCTest

final class GzipReaderTests: XCTestCase {
    /// The gzip fixture inflates to the same bytes Python's gzip module compressed (checked through
    /// the first row's text and the line count).
    func testInflatesARealGzipFixture() throws {
        let data = try GzipReader.contents(ofFile: EvaluationFixtures.path("humaneval.jsonl.gz"))
        let text = try XCTUnwrap(String(data: data, encoding: .utf8))
        XCTAssertTrue(text.hasPrefix("{\"task_id\": \"HumanEval/0\", \"prompt\": \"from typing import List"))
        XCTAssertEqual(text.split(separator: "\n").count, 5)
    }

    func testPlainFilesAreReturnedAsTheyAre() throws {
        let path = EvaluationFixtures.path("piqa_validation.jsonl")
        XCTAssertEqual(try GzipReader.contents(ofFile: path), try EvaluationFixtures.bytes("piqa_validation.jsonl"))
    }

    /// `cat a.gz b.gz` is a valid gzip file holding both contents.
    func testConcatenatedMembersAreReadInOrder() throws {
        let one = try EvaluationFixtures.bytes("mmlu_abstract_algebra_test.jsonl.gz")
        let path = try EvaluationFixtures.temporaryFile("twice.jsonl.gz", one + one)
        let single = try GzipReader.contents(ofFile: EvaluationFixtures.path("mmlu_abstract_algebra_test.jsonl.gz"))
        XCTAssertEqual(try GzipReader.contents(ofFile: path), single + single)
    }

    func testTruncatedGzipIsAnErrorNamingTheFile() throws {
        let whole = try EvaluationFixtures.bytes("gsm8k_test.jsonl.gz")
        let path = try EvaluationFixtures.temporaryFile("truncated.jsonl.gz", whole.prefix(whole.count / 2))
        let reason = EvaluationFixtures.invalidFileReason(path: path) { try GzipReader.contents(ofFile: path) }
        XCTAssertTrue(reason?.contains("truncated") ?? false, reason ?? "")
        // Only the 8-byte trailer (CRC, size) missing is truncation too.
        let noTrailer = try EvaluationFixtures.temporaryFile("notrailer.jsonl.gz", whole.prefix(whole.count - 8))
        XCTAssertNotNil(EvaluationFixtures.invalidFileReason(path: noTrailer) { try GzipReader.contents(ofFile: noTrailer) })
    }

    func testCorruptDataIsAnError() throws {
        var bytes = [UInt8](try EvaluationFixtures.bytes("gsm8k_test.jsonl.gz"))
        for index in 20..<60 { bytes[index] ^= 0x5a }
        let path = try EvaluationFixtures.temporaryFile("corrupt.jsonl.gz", Data(bytes))
        let reason = EvaluationFixtures.invalidFileReason(path: path) { try GzipReader.contents(ofFile: path) }
        XCTAssertTrue(reason?.hasPrefix("gzip:") ?? false, reason ?? "")
    }

    func testInflatedSizeOverTheLimitIsAnError() throws {
        let path = EvaluationFixtures.path("gsm8k_test.jsonl.gz")
        let reason = EvaluationFixtures.invalidFileReason(path: path) { try GzipReader.contents(ofFile: path, maximumBytes: 1000) }
        XCTAssertEqual(reason, "inflates to more than the limit of 1000 bytes")
    }

    func testMissingFileIsAnError() {
        let path = "/nonexistent/data.jsonl.gz"
        let reason = EvaluationFixtures.invalidFileReason(path: path) { try GzipReader.contents(ofFile: path) }
        XCTAssertTrue(reason?.hasPrefix("cannot read") ?? false, reason ?? "")
    }
}
