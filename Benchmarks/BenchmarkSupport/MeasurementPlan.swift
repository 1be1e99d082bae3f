/// How long and how often each measurement of ``measureInterleaved(_:_:)`` runs.
public struct MeasurementPlan: Sendable {
    public var warmupRounds: Int
    public var minimumRounds: Int
    public var maximumRounds: Int
    /// Rounds continue until at least this many seconds have been spent measuring (and the minimum
    /// number of rounds is reached).
    public var budgetSeconds: Double

    public init(warmupRounds: Int = 2, minimumRounds: Int = 7, maximumRounds: Int = 60, budgetSeconds: Double = 1.5) {
        self.warmupRounds = warmupRounds
        self.minimumRounds = minimumRounds
        self.maximumRounds = maximumRounds
        self.budgetSeconds = budgetSeconds
    }
}

/// Times several variants of one measurement, interleaved round by round (A, B, A, B, ...) so slow
/// drifts of the machine (frequency, other tenants) affect all of them alike. Returns one array of
/// per-run seconds for each variant.
public func measureInterleaved(_ plan: MeasurementPlan, _ variants: [() -> Void]) -> [[Double]] {
    for _ in 0..<plan.warmupRounds { for v in variants { v() } }
    var samples = Array(repeating: [Double](), count: variants.count)
    var spent = 0.0
    var rounds = 0
    while rounds < plan.maximumRounds && (rounds < plan.minimumRounds || spent < plan.budgetSeconds) {
        for (i, v) in variants.enumerated() {
            let t = seconds(v)
            samples[i].append(t)
            spent += t
        }
        rounds += 1
    }
    return samples
}
