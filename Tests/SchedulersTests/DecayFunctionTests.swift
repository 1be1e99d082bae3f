import Foundation
import XCTest
import Schedulers

final class DecayFunctionTests: XCTestCase {
    let decays: [any DecayFunction] = [
        ExponentialDecay(halfLife: 50), ExponentialDecay(halfLife: 50, floor: 0.1),
        LinearDecay(steps: 200), LinearDecay(steps: 200, floor: 0.1),
        CosineDecay(steps: 200), CosineDecay(steps: 200, floor: 0.1),
        OneMinusSquareRootDecay(steps: 200), OneMinusSquareRootDecay(steps: 200, floor: 0.1),
    ]

    func testStartAtOneNeverIncreaseAndStayInTheUnitInterval() {
        for decay in decays {
            XCTAssertEqual(decay.factor(afterDecaySteps: 0), 1, "\(decay)")
            var previous = 1.0
            for step in 0...500 {
                let factor = decay.factor(afterDecaySteps: step)
                XCTAssertLessThanOrEqual(factor, previous, "\(decay) at \(step)")
                XCTAssertGreaterThanOrEqual(factor, 0)
                previous = factor
            }
        }
    }

    func testReachAndHoldTheFloorAtTheirDuration() {
        var checked = 0
        for decay in decays {
            guard let duration = decay.duration else { continue }
            checked += 1
            let final = decay.factor(afterDecaySteps: duration)
            XCTAssertEqual(decay.factor(afterDecaySteps: duration + 1_000), final, "\(decay)")
            XCTAssertGreaterThan(decay.factor(afterDecaySteps: duration - 1), final, "\(decay) settles exactly at its duration")
        }
        XCTAssertEqual(checked, 7, "every decay but the unfloored exponential has a duration")
        XCTAssertNil(ExponentialDecay(halfLife: 50).duration)
        XCTAssertEqual(ExponentialDecay(halfLife: 50, floor: 0.125).duration, 150)
        XCTAssertEqual(LinearDecay(steps: 200).duration, 200)
    }

    func testShapesAtTheMidpoint() {
        assertClose(LinearDecay(steps: 200).factor(afterDecaySteps: 100), 0.5)
        assertClose(CosineDecay(steps: 200).factor(afterDecaySteps: 100), 0.5)
        assertClose(OneMinusSquareRootDecay(steps: 200).factor(afterDecaySteps: 100), 1 - 0.5.squareRoot())
        assertClose(ExponentialDecay(halfLife: 100).factor(afterDecaySteps: 100), 0.5)
        assertClose(LinearDecay(steps: 200, floor: 0.2).factor(afterDecaySteps: 100), 0.6)
    }

    func testStaticFactoriesMatchInitializers() {
        XCTAssertEqual(WSDSchedule(peak: 1, warmupSteps: 0, stableEnd: 0, decay: .linear(steps: 7, floor: 0.1)).decay,
                       LinearDecay(steps: 7, floor: 0.1))
        XCTAssertEqual(WSDSchedule(peak: 1, warmupSteps: 0, stableEnd: 0, decay: .cosine(steps: 7)).decay,
                       CosineDecay(steps: 7))
        XCTAssertEqual(WSDSchedule(peak: 1, warmupSteps: 0, stableEnd: 0, decay: .oneMinusSquareRoot(steps: 7)).decay,
                       OneMinusSquareRootDecay(steps: 7))
        XCTAssertEqual(WSDSchedule(peak: 1, warmupSteps: 0, stableEnd: 0, decay: .exponential(halfLife: 7)).decay,
                       ExponentialDecay(halfLife: 7))
    }
}
