import XCTest
import Schedulers

final class CompositionTests: XCTestCase {
    func testJoinedSegmentsSeeStepsCountedFromTheirBoundary() {
        let first = ConstantSchedule(learningRate: 0.01)
        let second = CosineSchedule(peak: 0.01, endStep: 500)
        let joined = first.followed(by: second, at: 2_000)
        XCTAssertEqual(joined.learningRate(atStep: 0), 0.01)
        XCTAssertEqual(joined.learningRate(atStep: 1_999), 0.01)
        for local in [0, 1, 250, 499, 500, 900] {
            XCTAssertEqual(joined.learningRate(atStep: 2_000 + local), second.learningRate(atStep: local), "local \(local)")
        }
        XCTAssertEqual(joined.boundaries, [2_000])
        XCTAssertEqual(joined.segments.count, 2)
    }

    func testThreeSegmentsAndChainingEqualsTheExplicitJoin() {
        let a = ConstantSchedule(learningRate: 1), b = ConstantSchedule(learningRate: 2)
        let c = AnyLearningRateSchedule { step in Double(step) }
        let chained = a.followed(by: b, at: 10).followed(by: c, at: 30)
        let explicit = JoinedSchedule(segments: [a, b, c], boundaries: [10, 30])
        for step in 0..<60 {
            XCTAssertEqual(chained.learningRate(atStep: step), explicit.learningRate(atStep: step))
        }
        XCTAssertEqual(chained.learningRate(atStep: 9), 1)
        XCTAssertEqual(chained.learningRate(atStep: 10), 2)
        XCTAssertEqual(chained.learningRate(atStep: 29), 2)
        XCTAssertEqual(chained.learningRate(atStep: 30), 0, "c sees step 0 at its boundary")
        XCTAssertEqual(chained.learningRate(atStep: 45), 15)
        XCTAssertEqual(chained.boundaries, [10, 30])
    }

    func testNestedJoinSeesLocalStepsOfItsOwnSegments() {
        let inner = ConstantSchedule(learningRate: 1).followed(by: AnyLearningRateSchedule { Double($0) }, at: 5)
        let outer = ConstantSchedule(learningRate: 9).followed(by: inner, at: 100)
        XCTAssertEqual(outer.learningRate(atStep: 104), 1)
        XCTAssertEqual(outer.learningRate(atStep: 105), 0)
        XCTAssertEqual(outer.learningRate(atStep: 112), 7)
    }

    func testScaleAndClamp() {
        let wsd = WSDSchedule(peak: 0.01, warmupSteps: 10, stableEnd: 100, decay: .linear(steps: 100))
        let scaled = wsd.scaled(by: 0.5)
        let clamped = wsd.clamped(to: 0.002 ... 0.008)
        for step in [0, 5, 9, 50, 100, 150, 200, 300] {
            XCTAssertEqual(scaled.learningRate(atStep: step), 0.5 * wsd.learningRate(atStep: step))
            XCTAssertEqual(clamped.learningRate(atStep: step), min(max(wsd.learningRate(atStep: step), 0.002), 0.008))
        }
        XCTAssertEqual(clamped.learningRate(atStep: 0), 0.002)
        XCTAssertEqual(clamped.learningRate(atStep: 50), 0.008)
        XCTAssertEqual(wsd.clamped(to: 0.001 ... .infinity).learningRate(atStep: 10_000), 0.001, "minimum rate")
    }

    func testCompositionsAreValues() {
        let a = ConstantSchedule(learningRate: 1).warmingUp(over: 3).scaled(by: 2).clamped(to: 0 ... 1.5)
        let b = ConstantSchedule(learningRate: 1).warmingUp(over: 3).scaled(by: 2).clamped(to: 0 ... 1.5)
        XCTAssertEqual(a, b)
        XCTAssertEqual(Set([a, b]).count, 1)
        XCTAssertEqual(a.learningRate(atStep: 0), 2.0 / 3.0)
        XCTAssertEqual(a.learningRate(atStep: 2), 1.5)
    }

    func testTypeErasureForwards() {
        let wsd = WSDSchedule(peak: 0.01, warmupSteps: 10, stableEnd: 100, decay: .cosine(steps: 50))
        let erased = AnyLearningRateSchedule(wsd)
        let doubleErased = AnyLearningRateSchedule(erased)
        for step in [0, 9, 10, 100, 125, 150, 1_000] {
            XCTAssertEqual(erased.learningRate(atStep: step), wsd.learningRate(atStep: step))
            XCTAssertEqual(doubleErased.learningRate(atStep: step), wsd.learningRate(atStep: step))
        }
        // Schedules of different types chosen at run time and erased keep their own rates.
        let schedules: [any LearningRateSchedule] = [wsd, ConstantSchedule(learningRate: 0.3), erased]
        let rates = schedules.map { AnyLearningRateSchedule($0).learningRate(atStep: 125) }
        XCTAssertEqual(rates.count, 3)
        assertClose(rates[0], 0.005, "halfway through the 50-step cosine decay")
        XCTAssertEqual(rates[1], 0.3)
        assertClose(rates[2], 0.005, "an erased schedule erased again")
    }
}
