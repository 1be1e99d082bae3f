import TensorCore

/// Where a training run draws its examples from, in a reproducible order: a seeded sampler of
/// token windows, a shuffled list of chat examples, preference pairs.
///
/// A source is a value whose whole state is its ``position``: a checkpoint saves the position, and a
/// resumed run restores it, so that the examples after the checkpoint are exactly those the
/// uninterrupted run would have drawn.
public protocol ExampleSource: Sendable {
    associatedtype Example: Sendable
    /// The next example.
    mutating func next() throws -> Example
    /// Everything needed to continue the sequence of examples from here.
    var position: SourcePosition { get }
    /// Continues from a saved position.
    /// - Throws: ``TrainingError/incompatiblePosition(reason:)`` when it was not made by a source
    ///   like this one.
    mutating func restore(_ position: SourcePosition) throws
}

/// The position of an ``ExampleSource``: its random generator's state and how many examples it has
/// handed out (plus anything else a source needs, by name).
public struct SourcePosition: Sendable, Hashable, Codable {
    /// The four words of a `SeededRandom` state.
    public var generatorState: [UInt64]
    /// Examples handed out so far.
    public var drawn: Int
    /// Further counters a source keeps (e.g. an epoch number), by name.
    public var counters: [String: Int]

    public init(generatorState: [UInt64], drawn: Int, counters: [String: Int] = [:]) {
        self.generatorState = generatorState
        self.drawn = drawn
        self.counters = counters
    }

    /// The position of `generator` after `drawn` examples.
    public init(generator: SeededRandom, drawn: Int, counters: [String: Int] = [:]) {
        let s = generator.state
        self.init(generatorState: [s.0, s.1, s.2, s.3], drawn: drawn, counters: counters)
    }

    /// The generator this position saved.
    /// - Throws: ``TrainingError/incompatiblePosition(reason:)`` unless the state has four words,
    ///   not all zero.
    public func generator() throws -> SeededRandom {
        guard generatorState.count == 4, generatorState.contains(where: { $0 != 0 }) else {
            throw TrainingError.incompatiblePosition(reason: "a generator state has four words, not all zero; got \(generatorState)")
        }
        return SeededRandom(state: (generatorState[0], generatorState[1], generatorState[2], generatorState[3]))
    }
}
