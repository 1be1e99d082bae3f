/// A task's scores: every metric computed, the one the paper reports as the task score, and the
/// notes a reader needs (few-shot source, sandbox unavailable, limit).
public struct TaskResult: Codable, Sendable, Equatable {
    /// One named metric value (a fraction in 0...1).
    public struct Metric: Codable, Sendable, Equatable {
        public var name: String
        public var value: Double
        public init(name: String, value: Double) {
            self.name = name
            self.value = value
        }
    }

    /// The task's name.
    public var task: String
    /// The data set and split evaluated.
    public var dataset: String
    public var split: String
    /// Items scored.
    public var count: Int
    /// Few-shot examples per item.
    public var shots: Int
    /// Every metric, e.g. `acc` and `acc_norm` side by side.
    public var metrics: [Metric]
    /// The task score (0...1), or nil when it could not be computed (a code task without sandbox).
    public var score: Double?
    /// What `score` is, e.g. `acc_norm` or `max(acc_norm, acc_gen)`.
    public var scoreMetric: String
    /// Counts towards Avg_gen / Avg_chn.
    public var generative: Bool
    public var chinese: Bool
    /// Remarks for the report.
    public var notes: [String]

    public init(task: String, dataset: String, split: String, count: Int, shots: Int, metrics: [Metric],
                score: Double?, scoreMetric: String, generative: Bool, chinese: Bool, notes: [String] = []) {
        self.task = task
        self.dataset = dataset
        self.split = split
        self.count = count
        self.shots = shots
        self.metrics = metrics
        self.score = score
        self.scoreMetric = scoreMetric
        self.generative = generative
        self.chinese = chinese
        self.notes = notes
    }

    /// The value of the metric named `name`.
    public func metric(_ name: String) -> Double? { metrics.first { $0.name == name }?.value }
}
