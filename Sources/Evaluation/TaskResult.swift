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
    /// Whether `score` counts in the averages; false for perplexity (whose metrics are not
    /// fractions: the report prints them as they are) and long-context tasks.
    public var countsInAverages: Bool
    /// Long-context tasks: accuracy by context length and needle depth.
    public var cells: [LengthDepthCell]?

    /// Long-context results of one (context length, depth).
    public struct LengthDepthCell: Codable, Sendable, Equatable {
        public var contextLength: Int
        public var depth: Double
        /// Items answered correctly, and items scored (those that fit the model's context).
        public var correct: Int
        public var scored: Int
        /// Items not run: longer than the model's context.
        public var skipped: Int

        public init(contextLength: Int, depth: Double, correct: Int, scored: Int, skipped: Int) {
            self.contextLength = contextLength
            self.depth = depth
            self.correct = correct
            self.scored = scored
            self.skipped = skipped
        }
    }

    public init(task: String, dataset: String, split: String, count: Int, shots: Int, metrics: [Metric],
                score: Double?, scoreMetric: String, generative: Bool, chinese: Bool, notes: [String] = [],
                countsInAverages: Bool = true, cells: [LengthDepthCell]? = nil) {
        self.countsInAverages = countsInAverages
        self.cells = cells
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
