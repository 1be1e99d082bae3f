/// The clock every benchmark reads (monotonic, unaffected by wall-clock changes).
public let clock = ContinuousClock()

/// A duration in seconds.
@inlinable
public func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

/// Seconds elapsed on ``clock`` since `start`.
@inlinable
public func secondsSince(_ start: ContinuousClock.Instant) -> Double {
    seconds(clock.now - start)
}

/// Seconds taken by `body`.
@inlinable @inline(__always)
public func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = clock.now
    try body()
    return secondsSince(start)
}

/// The median of a non-empty sample (the mean of the two middle values for an even count): the
/// figure benchmarks report, robust to the odd run disturbed by other tenants.
public func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    precondition(!s.isEmpty, "median of an empty sample")
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
