import Foundation
import XCTest

/// Asserts `|actual − expected| <= tolerance · |expected|` (absolute `tolerance` when `expected`
/// is zero) with a readable message.
func assertClose(_ actual: Double, _ expected: Double, relative tolerance: Double = 1e-12,
                 _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    let bound = expected == 0 ? tolerance : tolerance * abs(expected)
    if !(abs(actual - expected) <= bound) {
        XCTFail("\(actual) is not within \(tolerance) (relative) of \(expected). \(message)", file: file, line: line)
    }
}
