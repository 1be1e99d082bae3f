import TensorCore

/// A fixed list of examples (chat examples, preference pairs, synthetic tasks) handed out epoch
/// after epoch, each epoch in a fresh seeded order.
///
/// The order of an epoch is a Fisher–Yates shuffle drawn from a `SeededRandom`; the
/// generator state saved in ``position`` is the one the current epoch's shuffle started from, so a
/// restored source redraws the same order and continues at the same index. (The shuffle is written
/// out rather than taken from the standard library, whose algorithm may change between Swift
/// releases and would silently change a resumed run's data.)
public struct ShuffledExampleSource<Example: Sendable>: ExampleSource {
    /// The examples, in the order given.
    public let examples: [Example]
    /// The generator state the current epoch's order was drawn from.
    private var epochStart: SeededRandom
    /// The generator after this epoch's shuffle: where the next epoch's starts.
    private var nextEpochStart: SeededRandom
    private var order: [Int]
    private var index = 0
    /// Completed passes over ``examples`` (0 during the first).
    public private(set) var epoch = 0
    private var drawn = 0

    /// A source over `examples`, shuffled by `seed`.
    /// - Throws: ``TrainingError/insufficientData(reason:)`` for an empty list.
    public init(_ examples: [Example], seed: UInt64) throws {
        guard !examples.isEmpty else { throw TrainingError.insufficientData(reason: "no examples to draw from") }
        self.examples = examples
        epochStart = SeededRandom(seed: seed)
        (order, nextEpochStart) = Self.shuffledOrder(count: examples.count, from: epochStart)
    }

    /// The next example; after the last of an epoch, the first of a newly shuffled one.
    public mutating func next() -> Example {
        if index == order.count {
            epochStart = nextEpochStart
            (order, nextEpochStart) = Self.shuffledOrder(count: examples.count, from: epochStart)
            index = 0
            epoch += 1
        }
        defer { index += 1; drawn += 1 }
        return examples[order[index]]
    }

    /// The epoch's starting generator state, examples drawn in all, and the counters `epoch`,
    /// `index` (examples drawn in this epoch) and `exampleCount` (to refuse a different list).
    public var position: SourcePosition {
        SourcePosition(generator: epochStart, drawn: drawn,
                       counters: ["epoch": epoch, "index": index, "exampleCount": examples.count])
    }

    /// Continues from `position`: redraws the order of its epoch and resumes at its index.
    /// - Throws: ``TrainingError/incompatiblePosition(reason:)`` for a position without this
    ///   source's counters, saved for a different number of examples, or out of range.
    public mutating func restore(_ position: SourcePosition) throws {
        guard let epoch = position.counters["epoch"], let index = position.counters["index"],
              let count = position.counters["exampleCount"] else {
            throw TrainingError.incompatiblePosition(reason: "a shuffled-list position has the counters epoch, index and exampleCount; got \(position.counters.keys.sorted())")
        }
        guard count == examples.count else {
            throw TrainingError.incompatiblePosition(reason: "saved for \(count) examples, this source has \(examples.count)")
        }
        guard (0...count).contains(index), epoch >= 0, position.drawn >= 0 else {
            throw TrainingError.incompatiblePosition(reason: "index \(index), epoch \(epoch) or drawn \(position.drawn) out of range")
        }
        epochStart = try position.generator()
        (order, nextEpochStart) = Self.shuffledOrder(count: count, from: epochStart)
        self.index = index
        self.epoch = epoch
        drawn = position.drawn
    }

    /// A Fisher–Yates permutation of `0..<count` and the generator after drawing it.
    private static func shuffledOrder(count: Int, from start: SeededRandom) -> ([Int], SeededRandom) {
        var generator = start
        let order = generator.permutation(of: count)
        return (order, generator)
    }
}
