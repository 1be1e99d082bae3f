import TensorCore

/// Pre-training examples drawn from several corpora in fixed proportions, as in the paper's
/// Figure 11, where the stable stage and the decay stage each have their own mixture.
///
/// Each draw first picks a component with probability proportional to its weight, then a window
/// at a uniform offset in that component's slice (as ``PackedSequenceSampler`` does). Both choices
/// come from one seeded generator, so the mixture's ``position`` — that generator, the draw count
/// and each component's draw count in ``SourcePosition/counters`` (as `drawn.<name>`) — is all a
/// resumed run needs to continue with exactly the same examples.
public struct DataMixture: ExampleSource {
    /// One corpus of a mixture.
    public struct Component: Sendable {
        /// A name unique within the mixture (reported in ``DataMixture/position``).
        public var name: String
        /// Where this component's windows come from.
        public var slice: TokenSlice
        /// The component's relative share of draws (the weights need not sum to 1).
        public var weight: Double

        /// A component named `name` drawing from `slice` with relative weight `weight`.
        public init(name: String, slice: TokenSlice, weight: Double) {
            self.name = name
            self.slice = slice
            self.weight = weight
        }
    }

    /// The corpora, in the order their weights partition `[0, total)`.
    public let components: [Component]
    /// Inputs (and targets) per example.
    public let sequenceLength: Int

    private let cumulativeWeights: [Double]
    private var generator: SeededRandom
    private var drawn = 0
    private var drawnPerComponent: [Int]

    /// A mixture of `components` seeded with `seed`.
    /// - Throws: ``TrainingError/invalidConfiguration(field:reason:)`` for no components, duplicate
    ///   names, a weight that is negative or not finite, weights summing to zero, a sequence length
    ///   below 1; ``TrainingError/insufficientData(reason:)`` when a component with a positive weight
    ///   is shorter than one window.
    public init(components: [Component], sequenceLength: Int, seed: UInt64) throws(TrainingError) {
        guard !components.isEmpty else { throw .invalidConfiguration(field: "components", reason: "none given") }
        guard Set(components.map(\.name)).count == components.count else {
            throw .invalidConfiguration(field: "components", reason: "names \(components.map(\.name)) are not unique")
        }
        var total = 0.0
        var cumulative: [Double] = []
        for component in components {
            guard component.weight.isFinite, component.weight >= 0 else {
                throw .invalidConfiguration(field: "weight of \(component.name)", reason: "\(component.weight) is not a finite number ≥ 0")
            }
            if component.weight > 0 {
                try PackedSequenceSampler.checkWindow(sequenceLength, fits: component.slice, name: "component \(component.name)")
            }
            total += component.weight
            cumulative.append(total)
        }
        guard total > 0 else { throw .invalidConfiguration(field: "weights", reason: "they sum to 0") }
        self.components = components
        self.sequenceLength = sequenceLength
        self.cumulativeWeights = cumulative
        self.generator = SeededRandom(seed: seed)
        self.drawnPerComponent = Array(repeating: 0, count: components.count)
    }

    /// Each component's share of draws: its weight over the sum of the weights.
    public var proportions: [Double] { components.map { $0.weight / cumulativeWeights.last! } }

    public mutating func next() throws -> TrainingSequence {
        let point = generator.nextDouble() * cumulativeWeights.last!
        // The first component whose cumulative weight exceeds the point (a zero weight owns an empty
        // interval, so it is never chosen); rounding can put the point on the total itself.
        let chosen = cumulativeWeights.firstIndex { point < $0 } ?? components.lastIndex { $0.weight > 0 }!
        drawn += 1
        drawnPerComponent[chosen] += 1
        return PackedSequenceSampler.window(of: sequenceLength, from: components[chosen].slice, using: &generator)
    }

    /// How many examples each component has given, by name.
    public var drawnByComponent: [String: Int] {
        Dictionary(uniqueKeysWithValues: zip(components.map(\.name), drawnPerComponent))
    }

    public var position: SourcePosition {
        var counters = Dictionary(uniqueKeysWithValues: drawnByComponent.map { ("drawn.\($0.key)", $0.value) })
        counters["sequenceLength"] = sequenceLength
        return SourcePosition(generator: generator, drawn: drawn, counters: counters)
    }

    /// - Throws: ``TrainingError/incompatiblePosition(reason:)`` when `position` was saved by a
    ///   mixture with other component names or another sequence length, its counts do not add up,
    ///   or it holds no valid generator state.
    public mutating func restore(_ position: SourcePosition) throws {
        let expected = Set(components.map { "drawn.\($0.name)" } + ["sequenceLength"])
        guard Set(position.counters.keys) == expected else {
            throw TrainingError.incompatiblePosition(
                reason: "saved for counters \(position.counters.keys.sorted()), this mixture has \(expected.sorted())")
        }
        guard position.counters["sequenceLength"] == sequenceLength else {
            throw TrainingError.incompatiblePosition(
                reason: "saved for sequence length \(position.counters["sequenceLength"]!), this mixture has \(sequenceLength)")
        }
        let counts = components.map { position.counters["drawn.\($0.name)"]! }
        guard counts.allSatisfy({ $0 >= 0 }), counts.reduce(0, +) == position.drawn else {
            throw TrainingError.incompatiblePosition(
                reason: "component counts \(counts) do not add up to the drawn count \(position.drawn)")
        }
        generator = try position.generator()
        drawn = position.drawn
        drawnPerComponent = counts
    }
}
