import Foundation
import XCTest
@testable import Schedulers

final class LevenbergMarquardtTests: XCTestCase {
    func testRecoversAnExponentialFromExactData() {
        let xs = (0..<20).map { Double($0) / 4 }
        let ys = xs.map { 2.5 * exp(-0.7 * $0) }
        let solution = LevenbergMarquardt().minimize(from: [1, 1]) { p in
            zip(xs, ys).map { p[0] * exp(-p[1] * $0) - $1 }
        }
        XCTAssertTrue(solution.converged)
        XCTAssertEqual(solution.parameters[0], 2.5, accuracy: 1e-8)
        XCTAssertEqual(solution.parameters[1], 0.7, accuracy: 1e-8)
        XCTAssertLessThan(solution.sumOfSquares, 1e-18)
    }

    func testRosenbrockAsLeastSquares() {
        // r = (10 (y − x²), 1 − x): minimum 0 at (1, 1), a classic hard start at (−1.2, 1).
        let residuals: ([Double]) -> [Double] = { p in [10 * (p[1] - p[0] * p[0]), 1 - p[0]] }
        let jacobian: ([Double]) -> [[Double]] = { p in [[-20 * p[0], 10], [-1, 0]] }
        let analytic = LevenbergMarquardt().minimize(from: [-1.2, 1], residuals: residuals, jacobian: jacobian)
        let numeric = LevenbergMarquardt().minimize(from: [-1.2, 1], residuals: residuals)
        for solution in [analytic, numeric] {
            XCTAssertTrue(solution.converged)
            XCTAssertEqual(solution.parameters[0], 1, accuracy: 1e-6)
            XCTAssertEqual(solution.parameters[1], 1, accuracy: 1e-6)
        }
    }

    func testFiniteDifferencesMatchTheAnalyticJacobian() {
        let p = [0.3, -1.7, 2.0]
        let residuals: ([Double]) -> [Double] = { p in [p[0] * p[1], exp(p[2]) - p[0], sin(p[1]) * p[2]] }
        let numeric = finiteDifferenceJacobian(p, residuals: residuals)
        let analytic = [[p[1], p[0], 0], [-1, 0, exp(p[2])], [0, cos(p[1]) * p[2], sin(p[1])]]
        XCTAssertEqual(numeric.map(\.count), [3, 3, 3], "one row per residual, one column per parameter")
        for (rowN, rowA) in zip(numeric, analytic) {
            for (n, a) in zip(rowN, rowA) { XCTAssertEqual(n, a, accuracy: 1e-8) }
        }
    }

    func testNonFiniteTrialStepsAreRejected() {
        // sqrt is undefined below zero: the solver must back off instead of stepping there.
        let solution = LevenbergMarquardt().minimize(from: [4]) { p in [p[0].squareRoot() - 0.1] }
        XCTAssertEqual(solution.parameters[0], 0.01, accuracy: 1e-9)
        XCTAssertTrue(solution.sumOfSquares.isFinite)
    }

    func testMultipleStartsKeepTheBest() {
        // r(p) = (p² − 1)(p² − 4) + 0.5 p: two local minima, the global one near p = −2.
        let residuals: ([Double]) -> [Double] = { p in
            let x = p[0]
            return [(x * x - 1) * (x * x - 4) / 10 + 0.05 * x + 0.2]
        }
        let solver = LevenbergMarquardt()
        let best = solver.minimize(fromEach: [[1.5], [-1.5], [3]], residuals: residuals)
        let each = [[1.5], [-1.5], [3]].map { solver.minimize(from: $0, residuals: residuals).sumOfSquares }
        XCTAssertEqual(best.sumOfSquares, each.min()!)
        XCTAssertEqual(best.startIndex, each.firstIndex(of: each.min()!)!)
    }

    func testLinearHelpers() {
        XCTAssertNil(solveLinearSystem([[1, 2], [2, 4]], [1, 2]), "singular")
        let x = solveLinearSystem([[0, 2], [3, 1]], [4, 5])!
        XCTAssertEqual(x[0], 1, accuracy: 1e-12)
        XCTAssertEqual(x[1], 2, accuracy: 1e-12)
        let fit = linearLeastSquares(rows: [[1e-6, 1], [2e-6, 1], [3e-6, 1]], targets: [3, 5, 7])!
        XCTAssertEqual(fit[0], 2e6, accuracy: 1e-3)
        XCTAssertEqual(fit[1], 1, accuracy: 1e-9)
    }
}
