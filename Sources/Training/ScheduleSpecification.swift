import Schedulers

/// A learning-rate schedule written in a run configuration (JSON), turned into a
/// `LearningRateSchedule` by ``makeSchedule()``.
///
/// ```json
/// {"kind": "wsd", "peak": 0.01, "warmup": 100, "stable_end": 9000,
///  "decay": {"kind": "exponential", "half_life": 250}}
/// {"kind": "cosine", "peak": 0.01, "warmup": 100, "end": 10000, "minimum_fraction": 0.1}
/// {"kind": "constant", "peak": 0.01, "warmup": 100}
/// ```
public struct ScheduleSpecification: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case wsd, cosine, constant
    }

    public var kind: Kind
    /// The peak (stable) learning rate η before any muP multiplier.
    public var peak: Double
    /// Linear warmup steps.
    public var warmup: Int
    /// WSD: the last step at the peak.
    public var stableEnd: Int?
    /// WSD: the decay after ``stableEnd``.
    public var decay: DecaySpecification?
    /// Cosine: the step at which the minimum is reached (the paper's Cosine(T)).
    public var end: Int?
    /// Cosine: the minimum as a fraction of the peak (the paper: 0.1).
    public var minimumFraction: Double?

    public init(kind: Kind, peak: Double, warmup: Int = 0, stableEnd: Int? = nil, decay: DecaySpecification? = nil,
                end: Int? = nil, minimumFraction: Double? = nil) {
        self.kind = kind
        self.peak = peak
        self.warmup = warmup
        self.stableEnd = stableEnd
        self.decay = decay
        self.end = end
        self.minimumFraction = minimumFraction
    }

    enum CodingKeys: String, CodingKey {
        case kind, peak, warmup, stableEnd = "stable_end", decay, end, minimumFraction = "minimum_fraction"
    }

    /// The schedule.
    /// - Throws: ``TrainingError/invalidConfiguration(field:reason:)`` for a missing or out-of-range value.
    public func makeSchedule() throws -> any LearningRateSchedule {
        guard peak.isFinite, peak >= 0 else { throw TrainingError.invalidConfiguration(field: "schedule.peak", reason: "must be finite and >= 0, got \(peak)") }
        guard warmup >= 0 else { throw TrainingError.invalidConfiguration(field: "schedule.warmup", reason: "must be >= 0, got \(warmup)") }
        switch kind {
        case .constant:
            return ConstantSchedule(learningRate: peak).warmingUp(over: warmup)
        case .cosine:
            guard let end, end > warmup else {
                throw TrainingError.invalidConfiguration(field: "schedule.end", reason: "a cosine schedule needs an end step > warmup")
            }
            let fraction = minimumFraction ?? 0.1
            guard (0...1).contains(fraction) else {
                throw TrainingError.invalidConfiguration(field: "schedule.minimum_fraction", reason: "must be in 0...1, got \(fraction)")
            }
            return CosineSchedule(peak: peak, warmupSteps: warmup, endStep: end, minimumFraction: fraction)
        case .wsd:
            guard let stableEnd, stableEnd >= warmup else {
                throw TrainingError.invalidConfiguration(field: "schedule.stable_end", reason: "a WSD schedule needs stable_end >= warmup")
            }
            guard let decay else {
                throw TrainingError.invalidConfiguration(field: "schedule.decay", reason: "a WSD schedule needs a decay")
            }
            return try decay.branching(ConstantSchedule(learningRate: peak).warmingUp(over: warmup), at: stableEnd)
        }
    }
}

/// A decay written in a run configuration: `exponential` (by `half_life`, the paper's MiniCPM
/// runs), or `linear`, `cosine`, `sqrt` (1 − √) over `steps`; an optional `floor` as a fraction of
/// the rate where the decay starts.
public struct DecaySpecification: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case exponential, linear, cosine, sqrt
    }

    public var kind: Kind
    public var halfLife: Double?
    public var steps: Int?
    public var floor: Double?

    public init(kind: Kind, halfLife: Double? = nil, steps: Int? = nil, floor: Double? = nil) {
        self.kind = kind
        self.halfLife = halfLife
        self.steps = steps
        self.floor = floor
    }

    enum CodingKeys: String, CodingKey {
        case kind, halfLife = "half_life", steps, floor
    }

    /// `base` until `step`, then this decay of `base(step)`.
    public func branching(_ base: any LearningRateSchedule, at step: Int) throws -> any LearningRateSchedule {
        guard step >= 0 else { throw TrainingError.invalidConfiguration(field: "decay", reason: "branch step \(step) < 0") }
        let floor = floor ?? 0
        guard (0...1).contains(floor) else {
            throw TrainingError.invalidConfiguration(field: "decay.floor", reason: "must be in 0...1, got \(floor)")
        }
        if kind == .exponential {
            guard let halfLife, halfLife.isFinite, halfLife > 0 else {
                throw TrainingError.invalidConfiguration(field: "decay.half_life", reason: "an exponential decay needs half_life > 0")
            }
            return AnyLearningRateSchedule(base).branchingDecay(at: step, ExponentialDecay(halfLife: halfLife, floor: floor))
        }
        guard let steps, steps > 0 else {
            throw TrainingError.invalidConfiguration(field: "decay.steps", reason: "a \(kind.rawValue) decay needs steps > 0")
        }
        switch kind {
        case .linear: return AnyLearningRateSchedule(base).branchingDecay(at: step, LinearDecay(steps: steps, floor: floor))
        case .cosine: return AnyLearningRateSchedule(base).branchingDecay(at: step, CosineDecay(steps: steps, floor: floor))
        case .sqrt, .exponential: return AnyLearningRateSchedule(base).branchingDecay(at: step, OneMinusSquareRootDecay(steps: steps, floor: floor))
        }
    }
}
