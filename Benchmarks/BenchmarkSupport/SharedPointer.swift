/// A pointer that may cross into `DispatchQueue.concurrentPerform` closures; the benchmark makes sure
/// threads touch disjoint ranges.
public struct SharedPointer: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Float>

    public init(base: UnsafeMutablePointer<Float>) {
        self.base = base
    }
}
