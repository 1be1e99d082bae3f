import CQuantKernels
import XCTest

final class CPUFeaturesTests: XCTestCase {
    func testForcingThePortablePathTurnsDetectionOff() {
        let detected = cq_cpu_has_avx2_fma()
        cq_force_portable(1)
        XCTAssertEqual(cq_cpu_has_avx2_fma(), 0)
        cq_force_portable(0)
        XCTAssertEqual(cq_cpu_has_avx2_fma(), detected)
        // This machine kind has AVX2, FMA and F16C (Docs/Performance.md).
        if (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains(" avx2 ") == true {
            XCTAssertEqual(detected, 1)
        }
    }
}
