import XCTest
@testable import Evaluation

final class SubjectInterleavingTests: XCTestCase {
    private func item(_ id: String, _ subject: String?) -> TaskItem {
        .multipleChoice(MultipleChoiceItem(id: id, question: "q\(id)", choices: ["x", "y"], answer: 0, subject: subject))
    }

    func testSubjectsAreTakenInTurnInOrderOfFirstAppearance() {
        let items = [item("a1", "alg"), item("a2", "alg"), item("a3", "alg"), item("b1", "bio"),
                     item("c1", "chem"), item("c2", "chem")]
        XCTAssertEqual(TaskRunner.subjectInterleaved(items).map(\.id), ["a1", "b1", "c1", "a2", "c2", "a3"])
    }

    func testDataSetsWithoutSubjectsKeepTheirOrder() {
        let items = [item("3", nil), item("1", nil), item("2", nil)]
        XCTAssertEqual(TaskRunner.subjectInterleaved(items).map(\.id), ["3", "1", "2"])
    }

    func testItemsWithoutASubjectAmongOthersFormTheirOwnGroup() {
        let items = [item("a1", "alg"), item("n1", nil), item("a2", "alg"), item("n2", nil)]
        XCTAssertEqual(TaskRunner.subjectInterleaved(items).map(\.id), ["a1", "n1", "a2", "n2"])
    }

    func testALongerLimitExtendsAShorterOne() {
        let items = (0..<30).map { item("\($0)", "s\($0 / 7)") }
        let order = TaskRunner.subjectInterleaved(items)
        XCTAssertEqual(Set(order.map(\.id)).count, 30)
        XCTAssertEqual(order.prefix(5).map(\.subject), ["s0", "s1", "s2", "s3", "s4"])
        XCTAssertEqual(order.prefix(6).map(\.id), ["0", "7", "14", "21", "28", "1"])
    }
}
